-- renew.lua: Store.Renew, fenced by the owner token.
--
-- KEYS[1] record key
-- ARGV[1] owner token
-- ARGV[2] lease, ms
-- ARGV[3] clock offset, ms (0 in production)
--
-- Returns 1 when the lease was extended, 0 when the record is absent,
-- expired, finished, released or held by another owner. Repeating it (a
-- client retry) is harmless: it extends from the new now.
local key, owner = KEYS[1], ARGV[1]
local lease, offset = tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + offset

local r = redis.call('HMGET', key, 's', 'o', 'e')
local expires = tonumber(r[3])
if tonumber(r[1]) ~= 1 or r[2] ~= owner or expires <= now then
  return 0
end
local lease_until = now + lease
redis.call('HSET', key, 'l', lease_until)
-- The record outlives its lease, whatever lease the owner asks for.
if lease_until > expires then
  expires = lease_until
  redis.call('HSET', key, 'e', expires)
end
redis.call('PEXPIREAT', key, expires)
return 1
