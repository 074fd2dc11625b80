-- wrk script: GET <path prefix><random permit number>/status/ with a token.
-- Environment: BENCH_NUMBERS (file, one number a line), BENCH_PREFIX, BENCH_TOKEN.
local numbers = {}
local prefix = os.getenv("BENCH_PREFIX")
local token = os.getenv("BENCH_TOKEN") or ""

local f = assert(io.open(os.getenv("BENCH_NUMBERS"), "r"))
for line in f:lines() do numbers[#numbers + 1] = line end
f:close()

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

request = function()
  local n = numbers[math.random(#numbers)]
  local headers = {}
  if token ~= "" then headers["Authorization"] = "Token " .. token end
  return wrk.format("GET", prefix .. n .. "/status/", headers)
end

done = function(summary, latency, requests)
  io.write(string.format(
    "BENCH {\"requests\": %d, \"duration_us\": %d, \"p50_us\": %d, \"p99_us\": %d, \"errors\": %d, \"status\": %d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
