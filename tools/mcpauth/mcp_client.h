// `mcpauth mcp`: a small MCP client for users and tests (what Dedalus MCP users do
// with MCPClient.connect(url, auth=BearerAuth(...))). It performs initialize, then the
// call, over Streamable HTTP (JSON or SSE replies), with a bearer token or a
// DPoP-bound one (a fresh proof per request, following DPoP-Nonce). On 401 it prints
// the challenge and the protected resource metadata it points to.
#pragma once

#include <string>
#include <vector>

namespace mcpauth::cli {

// `args` after "mcp": --url URL [--token T] [--dpop-key FILE] list-tools | call TOOL JSON_ARGS
// Exit codes: 0 success, 1 refused (401/403, or a JSON-RPC error), 2 usage or transport error.
int McpCommand(const std::vector<std::string>& args);

}  // namespace mcpauth::cli
