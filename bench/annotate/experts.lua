-- wrk script: every wrk thread is one simulated expert with one keep-alive connection
-- (run with -t N -c N), so its requests are strictly sequential like a real browser tab:
--   GET  /api/projects/<pid>/next?count=1          -> lease the next item
--   POST /api/projects/<pid>/items/<iid>/answer    -> submit a rating (CSRF + idempotency key)
-- and again. Sessions (cookie + CSRF token, one line per expert) are created beforehand
-- by run.sh, so Argon2id logins are not part of the measurement.
--
-- Environment: EMONET_SESSIONS (file "cookie csrf" per line), EMONET_PROJECT (id).
-- done() prints one machine-readable line "RESULT acked=<n> duplicates=<n> ..." and
-- writes the event_id of every acknowledged answer to $EMONET_ACKED_OUT, which
-- verify.py checks against the server's export.

local sessions = {}
local threads = {}
local next_thread = 0

function setup(thread)
  if #sessions == 0 then
    for line in io.lines(os.getenv("EMONET_SESSIONS")) do
      local cookie, csrf = line:match("^(%S+)%s+(%S+)$")
      if cookie then sessions[#sessions + 1] = { cookie = cookie, csrf = csrf } end
    end
  end
  next_thread = next_thread + 1
  if next_thread > #sessions then
    error("more wrk threads than sessions in " .. os.getenv("EMONET_SESSIONS"))
  end
  local s = sessions[next_thread]
  thread:set("expert", next_thread)
  thread:set("cookie", s.cookie)
  thread:set("csrf", s.csrf)
  thread:set("project", os.getenv("EMONET_PROJECT"))
  threads[#threads + 1] = thread
end

-- Per-thread state (each wrk thread has its own Lua state).
local item = nil          -- leased item waiting to be answered
local sent = 0            -- answers sent, for unique idempotency keys
acked = 0                 -- new answers the server acknowledged (200, duplicate=false)
duplicates = 0            -- 200 with duplicate=true (must stay 0: keys are never reused)
conflicts = 0             -- 403/409 on answer (lease lost)
empty = 0                 -- next returned 204 (nothing left for this expert)
errors = 0                -- any other status
last_error = ""           -- status and body of the latest unexpected response
acked_ids = {}            -- event_id of every acknowledged answer, for the loss check
local pending = nil       -- "next" or "answer": what the outstanding request was

local ratings = {
  '"Positive High-Energy Emotions|Amusement":3',
  '"Negative Low-Energy Emotions|Sadness":5',
  '"Cognitive States and Processes|Concentration":2',
  '"Physical and Exhaustive States|Fatigue/Exhaustion":6',
}

function init(args)
  base_headers = {
    ["Cookie"] = "emonet_session=" .. cookie,
    ["X-CSRF-Token"] = csrf,
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
  }
  next_path = "/api/projects/" .. project .. "/next?count=1"
end

function request()
  if item == nil then
    pending = "next"
    return wrk.format("GET", next_path, base_headers)
  end
  sent = sent + 1
  pending = "answer"
  local body = '{"idempotency_key":"bench-' .. expert .. '-' .. sent .. '","ratings":{' ..
               ratings[(sent % #ratings) + 1] .. '},"no_emotion":false,"response_ms":1500}'
  return wrk.format("POST", "/api/projects/" .. project .. "/items/" .. item .. "/answer",
                    base_headers, body)
end

function response(status, headers, body)
  if pending == "next" then
    if status == 200 then
      item = body:match('"item_id"%s*:%s*(%d+)')
      if item == nil then empty = empty + 1 end
    elseif status == 204 then
      empty = empty + 1
    else
      errors = errors + 1
      last_error = status .. " " .. body:sub(1, 120)
    end
  else
    item = nil
    if status == 200 then
      if body:find('"duplicate"%s*:%s*true') then
        duplicates = duplicates + 1
      else
        acked = acked + 1
        acked_ids[#acked_ids + 1] = tonumber(body:match('"event_id"%s*:%s*(%d+)'))
      end
    elseif status == 403 or status == 409 then
      conflicts = conflicts + 1
    else
      errors = errors + 1
      last_error = status .. " " .. body:sub(1, 120)
    end
  end
end

function done(summary, latency, requests)
  local totals = { acked = 0, duplicates = 0, conflicts = 0, empty = 0, errors = 0 }
  local out = os.getenv("EMONET_ACKED_OUT")
  local ids = out and io.open(out, "w")
  for _, t in ipairs(threads) do
    for k, _ in pairs(totals) do totals[k] = totals[k] + (t:get(k) or 0) end
    if ids then
      for _, id in ipairs(t:get("acked_ids") or {}) do ids:write(id, "\n") end
    end
  end
  if ids then ids:close() end
  for _, t in ipairs(threads) do
    local e = t:get("last_error")
    if e and e ~= "" then
      io.write("LAST_ERROR ", e, "\n")
      break
    end
  end
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT acked=%d duplicates=%d conflicts=%d empty=%d errors=%d requests=%d " ..
    "seconds=%.3f submissions_per_s=%.1f requests_per_s=%.1f p50_ms=%.2f p90_ms=%.2f " ..
    "p99_ms=%.2f max_ms=%.2f socket_errors=%d\n",
    totals.acked, totals.duplicates, totals.conflicts, totals.empty, totals.errors,
    summary.requests, seconds, totals.acked / seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout))
end
