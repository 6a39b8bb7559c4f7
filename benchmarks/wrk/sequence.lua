-- Replays a list of requests written by benchmarks/web_load.py, and prints what happened as JSON.
--
--   wrk -t 1 -c 10 -d 15s --latency --timeout 5s -s benchmarks/wrk/sequence.lua http://127.0.0.1:8000 \
--       -- /tmp/requests.lua 1
--
-- Arguments after "--": the request list (a Lua file returning {{method, path, cookie, body}, ...};
-- body nil for a GET), the number of wrk threads and, optionally, "gzip" to ask for compressed
-- answers as browsers do (wrk does not decompress; the bytes are counted as sent). Each thread walks the list from its own start,
-- a stride of the thread count apart, so threads never send the same planned sign-up or claim;
-- past the end the list starts again. POST bodies are forms (the CSRF token travels in them, as
-- a browser sends it). At the end one line "WEB_LOAD_JSON {...}" gives the requests, the latency
-- percentiles (microseconds), wrk's error counts and the count of every HTTP status seen.

local threads = {}
local counter = 0

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

local prepared = {}
local position = 0
local stride = 1

function init(args)
   local items = dofile(args[1])
   stride = tonumber(args[2]) or 1
   local compressed = args[3] == "gzip"
   position = id or 0
   for i, item in ipairs(items) do
      local headers = {}
      if item[3] and item[3] ~= "" then
         headers["Cookie"] = item[3]
      end
      if item[4] then
         headers["Content-Type"] = "application/x-www-form-urlencoded"
      end
      if compressed then
         headers["Accept-Encoding"] = "gzip"
      end
      prepared[i] = wrk.format(item[1], item[2], headers, item[4])
   end
   statuses = {}
end

function request()
   local chosen = prepared[position % #prepared + 1]
   position = position + stride
   return chosen
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

local function json_object(map)
   local parts = {}
   for key, value in pairs(map) do
      table.insert(parts, string.format('"%s": %d', tostring(key), value))
   end
   table.sort(parts)
   return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency, requests)
   local seen = {}
   for _, thread in ipairs(threads) do
      local counts = thread:get("statuses") or {}
      for status, count in pairs(counts) do
         seen[status] = (seen[status] or 0) + count
      end
   end
   local errors = summary.errors
   local result = string.format(
      '{"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"latency_us": {"p50": %d, "p90": %d, "p95": %d, "p99": %d, "max": %d, "mean": %.1f, "stdev": %.1f}, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, "statuses": %s}',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
      latency.max, latency.mean, latency.stdev,
      errors.connect, errors.read, errors.write, errors.status, errors.timeout,
      json_object(seen)
   )
   io.write("WEB_LOAD_JSON " .. result .. "\n")
end
