-- finish.lua: Store.Finish, fenced by the owner token.
--
-- KEYS[1] record key
-- ARGV[1] owner token
-- ARGV[2] state: 2 completed, 3 failed
-- ARGV[3] upstream status
-- ARGV[4] ttl, ms
-- ARGV[5] call nonce: random per Finish call, the same in a client retry
-- ARGV[6] clock offset, ms (0 in production)
-- ARGV[7..] the encoded response in chunks, in order; none when there is
--         nothing to replay
--
-- Returns 1 when finished, 0 when the record is absent, expired, finished,
-- released or held by another owner. A retry of the very call that
-- finished the record (same nonce) returns 1 again, so a lost reply never
-- turns a success into ErrNotOwner; a second Finish call by the same owner
-- has another nonce and gets 0.
--
-- A finished record keeps only what a claim, a replay or a retried finish
-- reads: state, fingerprint, version, expiry, status, nonce and the
-- response; the owner, lease and takeover flag go. And the response is kept
-- in chunks no longer than a listpack value (64 bytes by default), fields
-- r, r1, r2, ... with their count in k: so the hash of a record with a small
-- response stays in Redis's compact listpack encoding instead of a
-- hashtable, about 360 bytes in all instead of 900 (the store sends one
-- chunk, field r alone, for a response too large for a listpack anyway).
--
-- Publishes the state on the channel named like the key, for Wait, with
-- pcall: the record is already written, and an ACL user without the
-- channel (NOPERM) must not make a finished record look like a failed
-- Finish. Its waiters then learn nothing; Wait refuses such a user itself.
local key, owner = KEYS[1], ARGV[1]
local ttl, nonce, offset = tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + offset

local r = redis.call('HMGET', key, 's', 'o', 'e', 'n')
local state, expires = tonumber(r[1]), tonumber(r[3])
if state == nil or expires <= now then
  return 0
end
if state ~= 1 then
  -- A finished record has no owner left: its nonce says whether this is
  -- the call that finished it.
  if (state == 2 or state == 3) and r[4] == nonce then
    return 1
  end
  return 0
end
if r[2] ~= owner then
  return 0
end
local e = now + ttl
-- HSET first: Redis checks maxmemory only at a script's first
-- memory-adding write, so an HDEL first would let an OOM Redis store the
-- response anyway (RELIABILITY.md D2). Refused, the record stays
-- IN_PROGRESS until its lease ends, as after any failed finish.
local set = {key, 's', ARGV[2], 'c', ARGV[3], 'e', e, 'n', nonce}
local chunks = #ARGV - 6
for i = 1, chunks do
  set[#set + 1] = i == 1 and 'r' or 'r' .. (i - 1)
  set[#set + 1] = ARGV[6 + i]
end
if chunks > 1 then
  set[#set + 1] = 'k'
  set[#set + 1] = chunks
end
redis.call('HSET', unpack(set))
redis.call('HDEL', key, 'o', 'l', 't')
redis.call('PEXPIREAT', key, e)
redis.pcall('PUBLISH', key, ARGV[2])
return 1
