-- delete.lua: Store.Delete, whatever the record's state.
--
-- KEYS[1] record key
--
-- Returns the number of keys deleted (0 or 1). When a record was there,
-- publishes "0" on the channel named like the key, for Wait, with pcall: a
-- refused PUBLISH (an ACL user without the channel) must not fail a delete
-- that is done. The DEL needs no TTL: it leaves nothing behind.
local n = redis.call('DEL', KEYS[1])
if n == 1 then
  redis.pcall('PUBLISH', KEYS[1], '0')
end
return n
