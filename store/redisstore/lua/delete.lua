-- delete.lua: Store.Delete, whatever the record's state.
--
-- KEYS[1] record key; its response key KEYS[1] .. ':b' (see claim.lua)
--         goes with it when field b says it is there
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
-- and a second Delete call gets 0. The writes that free memory come first
-- (DEL of the response key, HDEL of the record's other fields), then the
-- tombstone's HSET: once a script has written, Redis lets it finish, so a
-- Redis out of memory under noeviction still deletes (a delete frees
-- memory) and writes the small tombstone. The record key itself never
-- stops existing: in a Cluster slot being migrated a key that is gone is
-- no longer local, and a tombstone written to it after a DEL would fail
-- with the record already deleted.
--
-- Publishes "0" on the channel named like the key, for Wait, with pcall:
-- a refused PUBLISH (an ACL user without the channel) must not fail a
-- delete that is done.
local key, nonce = KEYS[1], ARGV[1]
local keep, offset = tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + offset

local r = redis.call('HMGET', key, 's', 'e', 'n', 'v', 'b', 'k')
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
if r[5] then
  redis.call('DEL', key .. ':b')
end
-- Every field but s, v and e (the tombstone rewrites them): a live record
-- always has f, so this is a write.
local drop = {'f', 'o', 'l', 'c', 'n', 'r', 'k', 't', 'b'}
for i = 1, (tonumber(r[6]) or 1) - 1 do
  drop[#drop + 1] = 'r' .. i
end
redis.call('HDEL', key, unpack(drop))
redis.call('HSET', key, 's', 4, 'v', r[4] or 0, 'n', nonce, 'e', e)
redis.call('PEXPIREAT', key, e)
redis.pcall('PUBLISH', key, '0')
return 1
