-- get.lua: Store.Get, and Wait's look at the record.
--
-- KEYS[1] record key; its response key KEYS[1] .. ':b' is read only when
--         field b says it is there (see claim.lua)
-- ARGV[1] "1" to return the stored response too, "0" for the state only
-- ARGV[2] clock offset, ms (0 in production)
--
-- Returns nil when the record is absent, expired or released, else
-- {state, fingerprint, owner, version, lease_until_ms, expires_ms, status,
-- response}, missing fields as nil; the response as one string, or the
-- array of its chunks (see finish.lua).
local key, offset = KEYS[1], tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + offset

local r = redis.call('HMGET', key, 's', 'f', 'o', 'v', 'l', 'e', 'c', 'k', 'b')
local state, expires = tonumber(r[1]), tonumber(r[6])
if state == nil or state == 4 or expires <= now then
  return false
end
local chunks, separate = tonumber(r[8]), r[9]
r[8], r[9] = nil, nil
if ARGV[1] == '1' then
  if separate then
    r[8] = redis.call('GET', key .. ':b')
  elseif chunks then
    local names = {'r'}
    for i = 1, chunks - 1 do
      names[i + 1] = 'r' .. i
    end
    r[8] = redis.call('HMGET', key, unpack(names))
  else
    r[8] = redis.call('HGET', key, 'r')
  end
end
return r
