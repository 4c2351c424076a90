// Drives an MCP server (directly or through mcpauth-gateway) with the official
// TypeScript SDK client, for the gateway's integration tests. Prints one JSON object.
//
//   node mcp_client.mjs --url URL [--token T] [--scheme Bearer] SCENARIO [ARGS...]
//
// Scenarios:
//   list-tools                   names of the tools
//   call TOOL JSON_ARGS          the tool's result
//   progress                     trigger-long-running-operation: progress events seen before the result?
//   sampling                     trigger-sampling-request answered by this client (server → client request)
//   elicitation                  trigger-elicitation-request answered by this client
//   session                      connects and prints the Mcp-Session-Id the server gave
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CreateMessageRequestSchema, ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const args = process.argv.slice(2);
const opts = { scheme: "Bearer" };
while (args[0]?.startsWith("--")) {
  const key = args.shift().slice(2);
  opts[key] = args.shift();
}
const [scenario, ...rest] = args;
const out = (o) => { console.log(JSON.stringify(o)); };

const headers = opts.token ? { Authorization: `${opts.scheme} ${opts.token}` } : {};
const client = new Client({ name: "mcpauth-test-client", version: "1.0.0" },
                          { capabilities: { sampling: {}, elicitation: {} } });
client.setRequestHandler(CreateMessageRequestSchema, async () => ({
  model: "test-model", role: "assistant", content: { type: "text", text: "sampled-by-test-client" },
}));
client.setRequestHandler(ElicitRequestSchema, async () => ({ action: "accept", content: { name: "gateway-test" } }));

const transport = new StreamableHTTPClientTransport(new URL(opts.url), { requestInit: { headers } });
try {
  await client.connect(transport);
  switch (scenario) {
    case "list-tools": {
      const r = await client.listTools();
      out({ tools: r.tools.map((t) => t.name) });
      break;
    }
    case "call": {
      const r = await client.callTool({ name: rest[0], arguments: JSON.parse(rest[1] ?? "{}") });
      out({ result: r });
      break;
    }
    case "progress": {
      const seen = [];
      const r = await client.callTool(
        { name: "trigger-long-running-operation", arguments: { duration: 1, steps: 3 } }, undefined,
        { onprogress: (p) => seen.push(p.progress) });
      out({ progress: seen, result: r, progress_before_result: seen.length > 0 });
      break;
    }
    case "sampling": {
      const r = await client.callTool({ name: "trigger-sampling-request", arguments: { prompt: "hello", maxTokens: 10 } });
      out({ result: r });
      break;
    }
    case "elicitation": {
      const r = await client.callTool({ name: "trigger-elicitation-request", arguments: {} });
      out({ result: r });
      break;
    }
    case "session": {
      out({ session: transport.sessionId });
      break;
    }
    default:
      out({ error: `unknown scenario ${scenario}` });
      process.exitCode = 2;
  }
} catch (e) {
  out({ error: String(e?.message ?? e), code: e?.code });
  process.exitCode = 1;
} finally {
  await client.close().catch(() => {});
}
