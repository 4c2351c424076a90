// The auth-enforcing MCP front end as the official TypeScript SDK shows it: Express,
// the SDK's requireBearerAuth middleware with a jose verifier (local JWKS, issuer,
// audience, algorithm), and a stateless Streamable HTTP transport with an McpServer
// per request answering tools/call "echo" (JSON responses). Prints "listening PORT".
//   node tools/benchmarks/sdk_server.mjs --port P --jwks FILE --iss ISS --aud AUD --alg ALG
import fs from "node:fs";
import { load, options } from "./npm.mjs";

const o = options();
const expressModule = await load("express");
const express = expressModule.default ?? expressModule;
const { createLocalJWKSet, jwtVerify } = await load("jose");
const { requireBearerAuth } = await load("@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js");
const { McpServer } = await load("@modelcontextprotocol/sdk/server/mcp.js");
const { StreamableHTTPServerTransport } = await load("@modelcontextprotocol/sdk/server/streamableHttp.js");
const { z } = await load("zod");

const jwks = createLocalJWKSet(JSON.parse(fs.readFileSync(o.jwks, "utf8")));
const verifier = {
  async verifyAccessToken(token) {
    const { payload } = await jwtVerify(token, jwks, { issuer: o.iss, audience: o.aud, algorithms: [o.alg] });
    return {
      token,
      clientId: payload.client_id ?? payload.sub,
      scopes: typeof payload.scope === "string" ? payload.scope.split(" ") : [],
      expiresAt: payload.exp,
      extra: { sub: payload.sub },
    };
  },
};

function makeServer() {
  const server = new McpServer({ name: "bench", version: "1.0.0" });
  server.registerTool(
    "echo",
    { description: "echo", inputSchema: { message: z.string() } },
    async ({ message }) => ({ content: [{ type: "text", text: message }] }),
  );
  return server;
}

const app = express();
app.use(express.json());
app.post("/mcp", requireBearerAuth({ verifier, requiredScopes: ["mcp"] }), async (req, res) => {
  const server = makeServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on("close", () => {
    transport.close();
    server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
});
app.listen(Number(o.port), "127.0.0.1", (error) => {
  if (error) throw error;
  console.log(`listening ${o.port}`);
});
