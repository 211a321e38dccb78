-- get.lua: Store.Get, and Wait's look at the record.
--
-- KEYS[1] record key
-- ARGV[1] "1" to return the stored response too, "0" for the state only
-- ARGV[2] clock offset, ms (0 in production)
--
-- Returns nil when the record is absent, expired or released, else
-- {state, fingerprint, owner, version, lease_until_ms, expires_ms, status,
-- response}, missing fields as nil.
local key, offset = KEYS[1], tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + offset

local fields = {'s', 'f', 'o', 'v', 'l', 'e', 'c'}
if ARGV[1] == '1' then
  fields[8] = 'r'
end
local r = redis.call('HMGET', key, unpack(fields))
local state, expires = tonumber(r[1]), tonumber(r[6])
if state == nil or state == 4 or expires <= now then
  return false
end
return r
