// The peer for in-process validation: npm jose's jwtVerify with the same keys and
// tokens mcpauth gets (a local JWKS, issuer, audience, algorithm), one thread.
// `cached` verifies one token again and again (jose keeps no validated-token cache,
// so that is a full verification each time); `uncached` verifies each token once.
// Stops after REQUESTS verifications or SECONDS, whichever is first. Prints JSON.
//   node tools/benchmarks/jose_verify.mjs --jwks FILE --tokens FILE --iss ISS --aud AUD
//        --alg ALG --mode cached|uncached --requests N --seconds S
import fs from "node:fs";
import { performance } from "node:perf_hooks";
import { cpuMicros, load, options } from "./npm.mjs";

const o = options();
const { createLocalJWKSet, jwtVerify } = await load("jose");
const jwks = createLocalJWKSet(JSON.parse(fs.readFileSync(o.jwks, "utf8")));
const tokens = fs.readFileSync(o.tokens, "utf8").split("\n").filter(Boolean);
const verifyOptions = { issuer: o.iss, audience: o.aud, algorithms: [o.alg] };
const limit = o.mode === "cached" ? Number(o.requests) : Math.min(Number(o.requests), tokens.length - 1);
const bound = Number(o.seconds) * 1000;

// Warm-up (the JIT, the key import jose caches per JWK).
for (let i = 0; i < 200; i++) await jwtVerify(tokens[tokens.length - 1], jwks, verifyOptions);

const latencies = new Float64Array(limit);
const cpu0 = cpuMicros();
const start = performance.now();
let n = 0;
for (; n < limit; n++) {
  const t0 = performance.now();
  if (t0 - start > bound) break;
  await jwtVerify(o.mode === "cached" ? tokens[0] : tokens[n], jwks, verifyOptions);
  latencies[n] = performance.now() - t0;
}
const seconds = (performance.now() - start) / 1000;
const cpu = cpuMicros() - cpu0;
const sorted = latencies.subarray(0, n).sort();
const pct = (q) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))] * 1000;
console.log(
  JSON.stringify({
    label: `jose ${o.alg} ${o.mode}`,
    mode: o.mode,
    concurrency: 1,
    requests: n,
    seconds: +seconds.toFixed(3),
    rps: +(n / seconds).toFixed(1),
    p50_us: +pct(0.5).toFixed(1),
    p99_us: +pct(0.99).toFixed(1),
    p999_us: +pct(0.999).toFixed(1),
    cpu_us_per_req: +(cpu / n).toFixed(2),
    jose_version: JSON.parse(fs.readFileSync(new URL("../../tests/node/node_modules/jose/package.json", import.meta.url))).version,
  }),
);
