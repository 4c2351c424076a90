-- wrk script: an authorized MCP tools/call (JSON-RPC POST) with a bearer token from
-- the environment (MCPAUTH_TOKEN; empty: no Authorization header).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
local token = os.getenv("MCPAUTH_TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}}'
-- MCPAUTH_DELAY_MS: a pause before each request (a caller at a modest pace, not at
-- saturation); the latency measured is the request's own.
local pause = tonumber(os.getenv("MCPAUTH_DELAY_MS") or "")
if pause then function delay() return pause end end
