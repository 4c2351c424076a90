// A development authorization-server stand-in for tools/run: serves RFC 8414
// metadata and a JWKS (made by `mcpauth keys jwks`) on loopback, so the suite finds
// its keys by discovery exactly as it would with a real authorization server.
// It issues no tokens itself: tools/run mints them with `mcpauth token mint`.
//
//   node tools/dev_issuer.mjs PORT JWKS_FILE
import { createServer } from "node:http";
import { readFileSync } from "node:fs";

const [port, jwksFile] = process.argv.slice(2);
if (!port || !jwksFile) {
  console.error("usage: node tools/dev_issuer.mjs PORT JWKS_FILE");
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const metadata = {
  issuer,
  jwks_uri: `${issuer}/jwks.json`,
  response_types_supported: ["code"],
  grant_types_supported: ["authorization_code"],
  code_challenge_methods_supported: ["S256"],
  token_endpoint_auth_methods_supported: ["none"],
  dpop_signing_alg_values_supported: ["ES256", "EdDSA"],
};
const server = createServer((req, res) => {
  const path = new URL(req.url, issuer).pathname;
  let body = null;
  if (path === "/.well-known/oauth-authorization-server") body = JSON.stringify(metadata);
  if (path === "/jwks.json") body = readFileSync(jwksFile, "utf8");
  res.writeHead(body === null ? 404 : 200, { "content-type": "application/json", "cache-control": "max-age=60" });
  res.end(body ?? JSON.stringify({ error: "not_found" }));
});
server.on("error", (e) => {
  console.error(`dev issuer: cannot listen on 127.0.0.1:${port}: ${e.message}`);
  process.exit(1);
});
server.listen(Number(port), "127.0.0.1", () => console.log(`dev issuer ${issuer}`));
for (const s of ["SIGINT", "SIGTERM"]) process.on(s, () => server.close(() => process.exit(0)));
