-- wrk script: the costly-but-invalid flood of docs/reliability.md's overload run.
-- Each request carries a bearer token with a real issuer, kid and audience and a
-- fresh random signature (so nothing can answer it from a cache: token-validation
-- must verify it), from the client address in MCPAUTH_CLIENT (X-Forwarded-For, as
-- a trusted ingress would send it); MCPAUTH_CLIENT=random: a new address per
-- request (a flood from many addresses). MCPAUTH_TOKEN: a valid token to forge from.
local token = os.getenv("MCPAUTH_TOKEN")
local client = os.getenv("MCPAUTH_CLIENT") or "203.0.113.7"
local prefix = token:match("^(.*%.)")
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}}'

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end

function request()
  local sig = {}
  for i = 1, 86 do
    local k = math.random(1, 64)
    sig[i] = alphabet:sub(k, k)
  end
  local from = client
  if client == "random" then
    from = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
  end
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json, text/event-stream",
    ["Authorization"] = "Bearer " .. prefix .. table.concat(sig),
    ["X-Forwarded-For"] = from,
  }, body)
end

-- Answers by status, per wrk thread (each has its own Lua state), summed in done().
statuses = {}
local threads = {}
function setup(thread) threads[#threads + 1] = thread end
function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do total[status] = (total[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(total) do parts[#parts + 1] = status .. ": " .. n end
  table.sort(parts)
  io.write("STATUSES " .. table.concat(parts, ", ") .. "\n")
end
