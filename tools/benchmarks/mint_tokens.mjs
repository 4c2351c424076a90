// Mints COUNT distinct access tokens (one per line) with a private JWK made by
// `mcpauth keys generate`, for the validation benchmarks: the same tokens go to
// mcpauth (mcpauth-bench-grpc) and to the npm peers.
//   node tools/benchmarks/mint_tokens.mjs --key FILE --iss ISS --aud AUD --count N --out FILE
import fs from "node:fs";
import { load, options } from "./npm.mjs";

const o = options();
const { importJWK, SignJWT } = await load("jose");
const jwk = JSON.parse(fs.readFileSync(o.key, "utf8"));
const key = await importJWK(jwk, jwk.alg);
const now = Math.floor(Date.now() / 1000);
const lines = [];
for (let i = 0; i < Number(o.count); i++) {
  lines.push(
    await new SignJWT({ scope: "mcp", client_id: "bench" })
      .setProtectedHeader({ alg: jwk.alg, kid: jwk.kid, typ: "at+jwt" })
      .setIssuer(o.iss)
      .setAudience(o.aud)
      .setSubject(`user-${i}`)
      .setJti(`bench-${i}`)
      .setIssuedAt(now)
      .setExpirationTime(now + 86400)
      .sign(key),
  );
}
fs.writeFileSync(o.out, lines.join("\n") + "\n");
