-- release.lua: Store.Release, fenced by the owner token.
--
-- KEYS[1] record key
-- ARGV[1] owner token
-- ARGV[2] call nonce: random per Release call, the same in a client retry
-- ARGV[3] how long the tombstone is kept, ms
-- ARGV[4] clock offset, ms (0 in production)
--
-- Returns 1 when released, 0 when the record is absent, expired, finished,
-- released or held by another owner. An absent or expired record is
-- replaced by a tombstone of this owner all the same, so that the owner's
-- own claim, should it arrive after this release, does not take the key. The record is replaced by a tombstone
-- (state 4) that every other script treats as absent; it keeps the
-- version, so the next claim's version still grows, and the owner and
-- nonce, so that a retry of this very call returns 1 again.
--
-- Publishes "0" on the channel named like the key, for Wait, with pcall:
-- a refused PUBLISH (an ACL user without the channel) must not fail a
-- release that is already written.
local key, owner, nonce = KEYS[1], ARGV[1], ARGV[2]
local keep, offset = tonumber(ARGV[3]), tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + offset

local r = redis.call('HMGET', key, 's', 'o', 'e', 'n', 'v', 'k')
local state, expires = tonumber(r[1]), tonumber(r[3])
local e = now + keep

-- tombstone replaces the record by this owner's tombstone, keeping the
-- version. HSET first, then HDEL the rest: the same order as claim.lua, so
-- a Redis out of memory refuses the whole release rather than applying a
-- DEL and refusing the rest (the record gone, with no tombstone).
local function tombstone()
  redis.call('HSET', key, 's', 4, 'o', owner, 'v', r[5] or 0, 'n', nonce, 'e', e)
  -- Every other field goes, response chunks too (an expired record may
  -- have some, see finish.lua).
  local drop = {'f', 'l', 't', 'c', 'r', 'k'}
  for i = 1, (tonumber(r[6]) or 1) - 1 do
    drop[#drop + 1] = 'r' .. i
  end
  redis.call('HDEL', key, unpack(drop))
  redis.call('PEXPIREAT', key, e)
end

if state == nil or expires <= now then
  -- Nothing to release, yet: the owner's claim may still be on its way
  -- (it timed out, the client was told to retry, but its bytes are in
  -- flight). The tombstone tells that late claim the key is not its own
  -- (claim.lua; RELIABILITY.md D3). It keeps a version, if there was one.
  tombstone()
  return 0
end
if r[2] ~= owner then
  return 0
end
if state ~= 1 then
  if state == 4 and r[4] == nonce then
    return 1
  end
  return 0
end
tombstone()
redis.pcall('PUBLISH', key, '0')
return 1
