-- finish.lua: Store.Finish, fenced by the owner token.
--
-- KEYS[1] record key
-- KEYS[2] (a large response only) the staged response: a string key the
--         caller SET just before this script, named for this call's nonce;
--         it is moved to the response key KEYS[1] .. ':b' (derived, not
--         declared: see claim.lua)
-- ARGV[1] owner token
-- ARGV[2] state: 2 completed, 3 failed
-- ARGV[3] upstream status
-- ARGV[4] ttl, ms
-- ARGV[5] call nonce: random per Finish call, the same in a client retry
-- ARGV[6] clock offset, ms (0 in production)
-- ARGV[7..] the encoded response in chunks, in order; none when there is
--         nothing to replay or when it is staged
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
-- hashtable, about 360 bytes in all instead of 900. (Earlier releases
-- stored a response too large for chunks as field r alone; claim.lua and
-- get.lua still read such records.)
--
-- A response too large for chunks is not an argument at all: a script
-- that receives a large value copies it into Lua and again into the hash
-- (some 4 ms for 1 MiB on a 2-core VM, every other client of the server
-- waiting meanwhile), while a plain SET keeps the very buffer Redis read.
-- So the store SETs it under a staged key of its own and this script,
-- once the fence holds, RENAMEs that to the response key (no copy) and
-- marks the record with b = 1; on every other answer it deletes the staged
-- key, so a fenced-out owner never replaces a response and leaves nothing.
-- Where staging fails (an ACL user granted only the commands of earlier
-- releases, a Redis Cluster slot in migration), the script writes nothing
-- and the store sends the response as one argument, field r, as earlier
-- releases did.
--
-- Publishes the state on the channel named like the key, for Wait, with
-- pcall: the record is already written, and an ACL user without the
-- channel (NOPERM) must not make a finished record look like a failed
-- Finish. Its waiters then learn nothing; Wait refuses such a user itself.
local key, owner = KEYS[1], ARGV[1]
local staged = KEYS[2]
local ttl, nonce, offset = tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + offset

-- answer drops the staged response, if any, and returns n.
local function answer(n)
  if staged then
    redis.call('DEL', staged)
  end
  return n
end

local r = redis.call('HMGET', key, 's', 'o', 'e', 'n')
local state, expires = tonumber(r[1]), tonumber(r[3])
if state == nil or expires <= now then
  return answer(0)
end
if state ~= 1 then
  -- A finished record has no owner left: its nonce says whether this is
  -- the call that finished it (a re-send, which staged its response
  -- again: that copy goes).
  if (state == 2 or state == 3) and r[4] == nonce then
    return answer(1)
  end
  return answer(0)
end
if r[2] ~= owner then
  return answer(0)
end
if staged then
  -- The first write, so that a RENAME that fails writes nothing: the SET
  -- before this script was refused (out of memory, an ACL user without
  -- SET), RENAME is not allowed, or the slot is migrating. An error, not a
  -- fenced-out owner: the record stays IN_PROGRESS, and the store falls
  -- back to the argument. An IN_PROGRESS record's response key, if any, is
  -- garbage (a record evicted or expired without it), so replacing it is
  -- right.
  local moved = redis.pcall('RENAME', staged, key .. ':b')
  if type(moved) == 'table' and moved.err then
    return redis.error_reply('idem: the staged response of ' .. key .. ': ' .. moved.err)
  end
end
local e = now + ttl
-- HSET first: Redis checks maxmemory only at a script's first
-- memory-adding write, so an HDEL first would let an OOM Redis store the
-- response anyway (RELIABILITY.md D2). Refused, the record stays
-- IN_PROGRESS until its lease ends, as after any failed finish. A staged
-- response was checked already, by its SET: the RENAME before this HSET
-- adds no memory, but as a write it spares the HSET the check, so a staged
-- finish whose SET was admitted completes even if Redis is full by now.
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
if staged then
  set[#set + 1] = 'b'
  set[#set + 1] = 1
end
redis.call('HSET', unpack(set))
redis.call('HDEL', key, 'o', 'l', 't')
redis.call('PEXPIREAT', key, e)
if staged then
  redis.call('PEXPIREAT', key .. ':b', e)
end
redis.pcall('PUBLISH', key, ARGV[2])
return 1
