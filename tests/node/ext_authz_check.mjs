// Sends CheckRequests to an Envoy external authorization server the way Envoy does,
// with a gRPC stack that is not ours (@grpc/grpc-js) and Envoy's official protos
// (shipped by @grpc/grpc-js-xds under deps/), and prints what came back.
//
//   node ext_authz_check.mjs --address 127.0.0.1:PORT --in requests.json --out answers.json
//        [--calls N --concurrency C]
//
// requests.json: an array of envoy.service.auth.v3.CheckRequest in proto JSON field
// names (snake_case); bytes fields (raw_body) as base64. answers.json: one entry per
// request, {"response": CheckResponse} (enums by name, bytes as base64, every field
// with its default) or {"error": {"code", "details"}} when the call itself failed.
//
// With --calls: a load run instead; N calls cycling through the requests, C at once;
// prints {"calls", "seconds", "calls_per_second", "p50_ms", "p99_ms", "failed"}.
import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";

const args = process.argv.slice(2);
const opts = {};
while (args.length) opts[args.shift().replace(/^--/, "")] = args.shift();

const require = createRequire(import.meta.url);
const deps = join(dirname(require.resolve("@grpc/grpc-js-xds/package.json")), "deps");
const definition = protoLoader.loadSync("envoy/service/auth/v3/external_auth.proto", {
  keepCase: true,
  longs: String,
  enums: String,
  bytes: String,
  defaults: true,
  oneofs: true,
  includeDirs: ["envoy-api", "googleapis", "protoc-gen-validate", "xds"].map((d) => join(deps, d)),
});
const { Authorization } = grpc.loadPackageDefinition(definition).envoy.service.auth.v3;
const client = new Authorization(opts.address, grpc.credentials.createInsecure());
const requests = JSON.parse(readFileSync(opts.in, "utf8"));

const check = (request) =>
  new Promise((resolve) => {
    client.Check(request, { deadline: Date.now() + 10000 }, (err, response) => {
      resolve(err ? { error: { code: err.code, details: err.details } } : { response });
    });
  });

if (opts.calls) {
  const total = Number(opts.calls);
  const concurrency = Number(opts.concurrency ?? 16);
  const latencies = [];
  let next = 0;
  let failed = 0;
  const started = process.hrtime.bigint();
  const lane = async () => {
    while (next < total) {
      const request = requests[next++ % requests.length];
      const t0 = process.hrtime.bigint();
      const answer = await check(request);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (answer.error) failed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  console.log(JSON.stringify({ calls: total, seconds, calls_per_second: total / seconds, p50_ms: at(0.5),
                               p99_ms: at(0.99), failed }));
} else {
  const answers = [];
  for (const request of requests) answers.push(await check(request));  // in order: DPoP cases depend on it
  writeFileSync(opts.out, JSON.stringify(answers));
}
client.close();
