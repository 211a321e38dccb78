-- delete.lua: Store.Delete, whatever the record's state.
--
-- KEYS[1] record key
-- KEYS[2] its response key (see finish.lua), deleted with it
-- ARGV[1] call nonce: random per Delete call, the same in a client retry
-- ARGV[2] how long the tombstone is kept, ms
-- ARGV[3] clock offset, ms (0 in production)
--
-- Returns 1 when a record was deleted, 0 when there was none to delete:
-- absent, past its logical expiry, or a tombstone (released, or deleted
-- by another call), as get.lua would say. Those are left as they are: a
-- released record's tombstone still guards its owner's late claim
-- (claim.lua).
--
-- The record is replaced by a tombstone (state 4) with no owner, keeping
-- the version, so the next claim's version still grows, and this call's
-- nonce, so that a retry of this very call (a lost reply) returns 1 again
-- and a second Delete call gets 0. DEL first, then HSET: once a script has
-- written, Redis lets it finish, so a Redis out of memory under noeviction
-- still deletes (a delete frees memory) and writes the small tombstone.
--
-- Publishes "0" on the channel named like the key, for Wait, with pcall:
-- a refused PUBLISH (an ACL user without the channel) must not fail a
-- delete that is done.
local key, nonce = KEYS[1], ARGV[1]
local keep, offset = tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + offset

local r = redis.call('HMGET', key, 's', 'e', 'n', 'v')
local state, expires = tonumber(r[1]), tonumber(r[2])
if state == 4 then
  if r[3] == nonce then
    return 1
  end
  return 0
end
if state == nil or expires <= now then
  return 0
end
local e = now + keep
redis.call('DEL', key, KEYS[2])
redis.call('HSET', key, 's', 4, 'v', r[4] or 0, 'n', nonce, 'e', e)
redis.call('PEXPIREAT', key, e)
redis.pcall('PUBLISH', key, '0')
return 1
