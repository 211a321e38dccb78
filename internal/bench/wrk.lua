-- wrk.lua: the one request script of every idembench target, so that wrk's
-- own per-request cost is the same for all of them (a request() function
-- makes wrk build every request in Lua, keyed or not).
--
-- args: mode key body
--   mode  none: no Idempotency-Key; same: the key on every request;
--         unique: key-<thread>-<n>, a new key per request
--   body  the request body, or rep:N for N bytes of "x"
-- done() prints one line, "IDEMBENCH {json}", that idembench parses.

local threads = 0
local mode, prefix, n = "none", "", 0

function setup(thread)
  thread:set("tid", tostring(threads))
  threads = threads + 1
end

function init(args)
  mode = args[1]
  local body = args[3]
  local size = body:match("^rep:(%d+)$")
  if size then
    body = string.rep("x", tonumber(size))
  end
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer bench-token"
  if mode == "same" then
    wrk.headers["Idempotency-Key"] = args[2]
  end
  prefix = args[2] .. "-" .. (tid or "0") .. "-"
end

function request()
  n = n + 1
  if mode == "unique" then
    wrk.headers["Idempotency-Key"] = prefix .. n
  end
  return wrk.format()
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'IDEMBENCH {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
