-- wrk script for the issuance benchmarks: POST the body in $BODY_FILE with $CONTENT_TYPE and an
-- optional bearer token ($TOKEN); a response counts as good when its status is $OK_STATUS
-- (default 200), its body contains $EXPECT and has at least $MIN_BYTES octets. Prints one RESULT
-- line for the bench script.
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = os.getenv("CONTENT_TYPE") or "application/json"
local token = os.getenv("TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end

local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  bad = 0
  expect = os.getenv("EXPECT") or ""
  ok_status = tonumber(os.getenv("OK_STATUS") or "200")
  min_bytes = tonumber(os.getenv("MIN_BYTES") or "0")
end
function response(status, headers, body)
  if status ~= ok_status or #body < min_bytes or (expect ~= "" and not string.find(body, expect, 1, true)) then
    bad = bad + 1
  end
end
function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  io.write(string.format("RESULT requests=%d seconds=%.3f rps=%.1f bad=%d p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6), b,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
