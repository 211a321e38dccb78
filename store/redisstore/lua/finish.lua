-- finish.lua: Store.Finish, fenced by the owner token.
--
-- KEYS[1] record key
-- ARGV[1] owner token
-- ARGV[2] state: 2 completed, 3 failed
-- ARGV[3] upstream status
-- ARGV[4] ttl, ms
-- ARGV[5] encoded response, or "" when there is none to replay
-- ARGV[6] call nonce: random per Finish call, the same in a client retry
-- ARGV[7] clock offset, ms (0 in production)
--
-- Returns 1 when finished, 0 when the record is absent, expired, finished,
-- released or held by another owner. A retry of the very call that
-- finished the record (same owner, same nonce) returns 1 again, so a lost
-- reply never turns a success into ErrNotOwner; a second Finish call by
-- the same owner has another nonce and gets 0.
--
-- Publishes the state on the channel named like the key, for Wait, with
-- pcall: the record is already written, and an ACL user without the
-- channel (NOPERM) must not make a finished record look like a failed
-- Finish. Its waiters then learn nothing; Wait refuses such a user itself.
local key, owner = KEYS[1], ARGV[1]
local ttl, nonce, offset = tonumber(ARGV[4]), ARGV[6], tonumber(ARGV[7])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + offset

local r = redis.call('HMGET', key, 's', 'o', 'e', 'n')
local state, expires = tonumber(r[1]), tonumber(r[3])
if state == nil or expires <= now or r[2] ~= owner then
  return 0
end
if state ~= 1 then
  if (state == 2 or state == 3) and r[4] == nonce then
    return 1
  end
  return 0
end
local e = now + ttl
-- HSET first: Redis checks maxmemory only at a script's first
-- memory-adding write, so an HDEL first would let an OOM Redis store the
-- response anyway (RELIABILITY.md D2). Refused, the record stays
-- IN_PROGRESS until its lease ends, as after any failed finish.
if ARGV[5] ~= '' then
  redis.call('HSET', key, 's', ARGV[2], 'c', ARGV[3], 'e', e, 'n', nonce, 'r', ARGV[5])
else
  redis.call('HSET', key, 's', ARGV[2], 'c', ARGV[3], 'e', e, 'n', nonce)
end
redis.call('HDEL', key, 'l')
redis.call('PEXPIREAT', key, e)
redis.pcall('PUBLISH', key, ARGV[2])
return 1
