// An MCP server (the official TypeScript SDK) whose tool calls a third-party API the
// way an MCP server behind mcpauth should: it never holds the user's secret, only the
// handle the gateway lists (X-MCP-Auth-Credentials) and the grant it attached
// (X-MCP-Auth-Grant), and it makes the call through mcpauth-credentials' egress port.
//
//   node credentials_tool_server.mjs --port PORT --egress http://127.0.0.1:EGRESS --api URL --log FILE
//
// Tools:
//   call_api {label, path, grant?, handle?, url?}
//                                   the API's answer (status and body), through the egress with the
//                                   handle labelled `label`; a test may name another `handle`
//                                   (someone else's), another `url` (a host the credential does not
//                                   name) or another `grant` (an old one, replayed)
//   last_grant {}                   the grant this request came with (so a test can replay it)
// Every HTTP request it receives (headers and body) and every answer the egress gave
// is appended to --log, one JSON line each: the test reads it for the secret.
import { createServer } from "node:http";
import { appendFileSync } from "node:fs";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

const opts = {};
for (let args = process.argv.slice(2); args.length;) opts[args.shift().slice(2)] = args.shift();
const record = (entry) => appendFileSync(opts.log, JSON.stringify(entry) + "\n");

function handles(headers) {
  const out = {};
  for (const item of String(headers["x-mcp-auth-credentials"] ?? "").split(",")) {
    const [label, handle] = item.trim().split("=");
    if (label && handle) out[label] = handle;
  }
  return out;
}

function makeServer() {
  const server = new McpServer({ name: "credentials-tool-server", version: "1.0.0" });
  server.tool("call_api", { label: z.string(), path: z.string(), grant: z.string().optional(),
                            handle: z.string().optional(), url: z.string().optional() },
    async ({ label, path, grant, handle: named, url }, extra) => {
      const headers = extra.requestInfo?.headers ?? {};
      const handle = named ?? handles(headers)[label];
      if (!handle) return { content: [{ type: "text", text: `no credential labelled ${label}` }], isError: true };
      const answer = await fetch(`${opts.egress}/v1/egress`, {
        headers: {
          "X-MCP-Credential": handle,
          "X-MCP-Auth-Grant": grant ?? headers["x-mcp-auth-grant"] ?? "",
          "X-MCP-Egress-Url": url ?? `${opts.api}${path}`,
        },
      });
      const body = await answer.text();
      record({ egress_answer: { status: answer.status, body } });
      return { content: [{ type: "text", text: `${answer.status} ${body}` }], isError: !answer.ok };
    });
  server.tool("last_grant", {}, async (_args, extra) => ({
    content: [{ type: "text", text: String(extra.requestInfo?.headers?.["x-mcp-auth-grant"] ?? "") }],
  }));
  return server;
}

const http = createServer(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = Buffer.concat(chunks).toString();
  record({ method: req.method, url: req.url, headers: req.headers, body });
  if (req.method !== "POST") {
    res.writeHead(405).end();
    return;
  }
  // Stateless: a server and transport per request.
  const server = makeServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  res.on("close", () => { transport.close(); server.close(); });
  await server.connect(transport);
  await transport.handleRequest(req, res, JSON.parse(body));
});
http.listen(Number(opts.port), "127.0.0.1", () => console.log(JSON.stringify({ event: "listening", port: opts.port })));
for (const s of ["SIGINT", "SIGTERM"]) process.on(s, () => { http.closeAllConnections?.(); http.close(() => process.exit(0)); });
