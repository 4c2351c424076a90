// The peer for validation over HTTP: Express with Auth0's express-oauth2-jwt-bearer
// middleware, keys from a JWKS URI (served by this same process, as an authorization
// server would serve it; the middleware caches it), answering an authorized POST with
// a small JSON body. Prints "listening PORT" when ready.
//   node tools/benchmarks/auth0_server.mjs --port P --jwks FILE --iss ISS --aud AUD --alg ALG
import fs from "node:fs";
import { load, options } from "./npm.mjs";

const o = options();
const expressModule = await load("express");
const express = expressModule.default ?? expressModule;
const { auth } = await load("express-oauth2-jwt-bearer");
const jwks = fs.readFileSync(o.jwks, "utf8");
const app = express();
app.get("/jwks", (_req, res) => res.type("application/json").send(jwks));
app.post(
  "/mcp",
  auth({ issuer: o.iss, audience: o.aud, jwksUri: `http://127.0.0.1:${o.port}/jwks`, tokenSigningAlg: o.alg }),
  (req, res) => res.json({ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: `ok ${req.auth.payload.sub}` }] } }),
);
app.listen(Number(o.port), "127.0.0.1", (error) => {
  if (error) throw error;
  console.log(`listening ${o.port}`);
});
