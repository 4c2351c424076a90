-- wrk script for the load test's correctness lane: one connection per wrk thread,
-- so each response answers the request sent just before it on that thread, and
-- every answer can be checked against what that request deserved:
--   1 valid token, open tool        → 200 with the upstream's result
--   2 valid token, tool needing a scope it lacks → 200 with the seed's tool error
--   3 no token                      → 401
--   4 forged signature              → 401
-- Anything else is counted as unexpected. done() prints one line:
--   mix: requests=N unexpected=M allowed=A tool_denied=D unauthorized=U
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local token = os.getenv("MCPAUTH_TOKEN")
  local forged = token:sub(1, token:find("%.[^%.]*$")) .. string.rep("A", 86)
  local base = { ["Content-Type"] = "application/json", ["Accept"] = "application/json, text/event-stream",
                 ["MCP-Protocol-Version"] = "2025-11-25" }
  local function with(extra)
    local h = {}
    for k, v in pairs(base) do h[k] = v end
    for k, v in pairs(extra) do h[k] = v end
    return h
  end
  local call = function(tool)
    return '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"' .. tool .. '","arguments":{}}}'
  end
  reqs = {
    wrk.format("POST", nil, with({ Authorization = "Bearer " .. token }), call("echo")),
    wrk.format("POST", nil, with({ Authorization = "Bearer " .. token }), call("admin_tool")),
    wrk.format("POST", nil, with({}), call("echo")),
    wrk.format("POST", nil, with({ Authorization = "Bearer " .. forged }), call("echo")),
  }
  n, kind = 0, 1
  requests, unexpected, allowed, tool_denied, unauthorized = 0, 0, 0, 0, 0
end

function request()
  n = n + 1
  kind = (n - 1) % 4 + 1
  return reqs[kind]
end

function response(status, headers, body)
  requests = requests + 1
  if kind == 1 and status == 200 and body:find('"text":"ok"', 1, true) then
    allowed = allowed + 1
  elseif kind == 2 and status == 200 and body:find("requires scopes", 1, true) then
    tool_denied = tool_denied + 1
  elseif (kind == 3 or kind == 4) and status == 401 then
    unauthorized = unauthorized + 1
  else
    unexpected = unexpected + 1
    if unexpected <= 3 then io.stderr:write("unexpected answer to kind " .. kind .. ": " .. status .. " " .. body:sub(1, 200) .. "\n") end
  end
end

function done(summary, latency, reqs_)
  local t = { requests = 0, unexpected = 0, allowed = 0, tool_denied = 0, unauthorized = 0 }
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + thread:get(k) end
  end
  io.write(string.format("mix: requests=%d unexpected=%d allowed=%d tool_denied=%d unauthorized=%d\n",
                         t.requests, t.unexpected, t.allowed, t.tool_denied, t.unauthorized))
end
