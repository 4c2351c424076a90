// Turns tools/bench's raw results (JSON lines) into CSV files, SVG plots of latency
// against load, and Markdown tables with the issue 9 targets judged; with --doc, also
// replaces the generated part of docs/benchmarks.md (between the two marker comments).
//   node tools/benchmarks/report.mjs --results FILE --out DIR [--doc docs/benchmarks.md]
import fs from "node:fs";
import path from "node:path";
import { options, root } from "./npm.mjs";

const o = options();
fs.mkdirSync(o.out, { recursive: true });
const rows = fs.readFileSync(o.results, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const run = rows.find((r) => r.section === "run") ?? {};
const runEnd = rows.find((r) => r.section === "run-end") ?? {};
const of = (section) => rows.filter((r) => r.section === section);

// ------------------------------------------------------------------ CSV and JSON
function csv(name, list, columns) {
  const cell = (v) => (v === undefined || v === null ? "" : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : v);
  const text = [columns.join(","), ...list.map((r) => columns.map((c) => cell(r[c])).join(","))].join("\n") + "\n";
  fs.writeFileSync(path.join(o.out, name), text);
}
const latencyColumns = ["rps", "p50_us", "p90_us", "p99_us", "p999_us", "max_us", "cpu_us_per_req", "requests", "seconds"];
csv("openssl.csv", of("openssl"), ["alg", "verify_per_s", "us_per_verify"]);
csv("validation.csv", of("validation"), ["target", "api", "alg", "mode", "concurrency", ...latencyColumns, "client_cpu_us_per_req", "jose_version"]);
csv("frontend.csv", of("frontend"), ["target", "concurrency", ...latencyColumns]);
csv("policy.csv", of("policy"), ["target", "rules", "concurrency", ...latencyColumns, "ns_per_decision"]);
csv("jwks.csv", of("jwks"), ["target", "jwks_keys", "mode", "concurrency", ...latencyColumns]);
csv("sse.csv", of("sse"), ["target", "asked", "streams", "open", "rss_before_kib", "rss_after_kib", "kib_per_stream", "first_failure"]);
csv("memory.csv", of("memory"), ["target", "kind", "kib"]);
fs.writeFileSync(path.join(o.out, "results.json"), JSON.stringify(rows, null, 1) + "\n");

// ------------------------------------------------------------------ SVG plots
const palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f"];
const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;");
// series: [{name, points: [{x, y, label}], dashed}]; log scale on both axes.
function svgPlot(file, title, xLabel, yLabel, series) {
  const W = 900, H = 440, L = 70, R = 330, T = 40, B = 50;
  const all = series.flatMap((s) => s.points).filter((p) => p.x > 0 && p.y > 0);
  if (!all.length) return;
  const decade = (v, up) => 10 ** (up ? Math.ceil(Math.log10(v)) : Math.floor(Math.log10(v)));
  const [x0, x1] = [decade(Math.min(...all.map((p) => p.x)), false), decade(Math.max(...all.map((p) => p.x)), true)];
  const [y0, y1] = [decade(Math.min(...all.map((p) => p.y)), false), decade(Math.max(...all.map((p) => p.y)), true)];
  const sx = (x) => L + ((Math.log10(x) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0))) * (W - L - R);
  const sy = (y) => H - B - ((Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * (H - T - B);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  const fmt = (v) => (v >= 1e6 ? `${v / 1e6}M` : v >= 1e3 ? `${v / 1e3}k` : `${v}`);
  // Grid lines at 1, 2 and 5 times each power of ten (the 1s darker).
  const ticks = (lo, hi) => {
    const list = [];
    for (let d = lo; d <= hi; d *= 10) for (const m of [1, 2, 5]) if (d * m <= hi) list.push({ v: d * m, color: m === 1 ? "#ccc" : "#eee" });
    return list;
  };
  for (const { v, color } of ticks(x0, x1)) {
    out.push(`<line x1="${sx(v)}" y1="${T}" x2="${sx(v)}" y2="${H - B}" stroke="${color}"/>`, `<text x="${sx(v)}" y="${H - B + 16}" text-anchor="middle">${fmt(v)}</text>`);
  }
  for (const { v, color } of ticks(y0, y1)) {
    out.push(`<line x1="${L}" y1="${sy(v)}" x2="${W - R}" y2="${sy(v)}" stroke="${color}"/>`, `<text x="${L - 6}" y="${sy(v) + 4}" text-anchor="end">${fmt(v)}</text>`);
  }
  out.push(`<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    const color = palette[Math.floor(i / (s.pair ? 2 : 1)) % palette.length];
    const pts = s.points.filter((p) => p.x > 0 && p.y > 0).sort((a, b) => a.order - b.order);
    const dash = s.dashed ? ` stroke-dasharray="5 4"` : "";
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${pts.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ")}"/>`);
    for (const p of pts) {
      out.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${color}"><title>${esc(`${s.name}: ${p.label}`)}</title></circle>`);
      if (p.label && !s.dashed) out.push(`<text x="${sx(p.x) + 5}" y="${sy(p.y) - 5}" font-size="10" fill="${color}">${esc(p.label)}</text>`);
    }
    const ly = T + 10 + i * 18;
    out.push(`<line x1="${W - R + 12}" y1="${ly}" x2="${W - R + 40}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${W - R + 46}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  out.push("</svg>");
  fs.writeFileSync(path.join(o.out, file), out.join("\n") + "\n");
}
// Latency (p50 solid, p99 dashed) against requests/s, one point per load level.
function latencyPlot(file, title, groups, levelName) {
  const series = [];
  for (const [name, list] of groups) {
    const pts = (key) => list.map((r) => ({ x: r.rps, y: r[key] / 1000, label: `${levelName}${r.concurrency}`, order: r.concurrency }));
    series.push({ name: `${name} p50`, points: pts("p50_us"), pair: true });
    series.push({ name: `${name} p99`, points: pts("p99_us"), pair: true, dashed: true });
  }
  svgPlot(file, title, "requests/s (log)", "latency, ms (log)", series);
}
const groupBy = (list, key) => {
  const m = new Map();
  for (const r of list) m.set(key(r), [...(m.get(key(r)) ?? []), r]);
  return m;
};
latencyPlot("frontend-latency.svg", "Authorized tools/call: latency against load (wrk -t1, c = connections)",
  groupBy(of("frontend"), (r) => r.target), "c");
latencyPlot("validation-latency.svg", "TokenValidation/Validate over gRPC: latency against load (c = calls in flight)",
  groupBy(of("validation").filter((r) => r.target === "mcpauth gRPC"), (r) => `${r.alg} ${r.mode}`), "c");
latencyPlot("validation-stream-latency.svg", "TokenValidation/ValidateStream: latency against load (c = validations in flight)",
  groupBy(of("validation").filter((r) => r.target === "mcpauth gRPC stream"), (r) => `${r.alg} ${r.mode}`), "c");
latencyPlot("peers-validation-latency.svg", "Validation over HTTP/gRPC, cached token (c = connections / calls in flight)",
  groupBy(of("validation").filter((r) => r.concurrency && (r.target === "express-oauth2-jwt-bearer" || (r.target === "mcpauth gRPC" && r.mode === "cached"))),
    (r) => `${r.target === "mcpauth gRPC" ? "mcpauth" : "auth0 middleware"} ${r.alg}`), "c");

// ------------------------------------------------------------------ Markdown
const n0 = (v) => (v === undefined || v === null || Number.isNaN(v) ? "—" : Math.round(v).toLocaleString("en-US"));
const n1 = (v) => (v === undefined || v === null || Number.isNaN(v) ? "—" : v.toFixed(1));
const us = (v) => (v === undefined || v === null ? "—" : v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${Math.round(v)} µs`);
const mib = (kib) => `${(kib / 1024).toFixed(1)} MiB`;
const table = (head, body) => [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...body.map((r) => `| ${r.join(" | ")} |`)].join("\n");
const verdict = (ok) => (ok ? "**met**" : "**missed**");
const md = [];

const versionOf = (name) => {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, "tests/node/node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return "?";
  }
};
const peers = ["jose", "express-oauth2-jwt-bearer", "@modelcontextprotocol/sdk", "express"].map((n) => `${n} ${versionOf(n)}`).join(", ");
md.push(`Run ${run.started_at ?? "?"}${run.quick ? " (**--quick**: short timings, not for comparison)" : ""}: ${run.cpu}, ${run.cores} cores, ${run.memory}, Linux ${run.kernel}, ${run.openssl}, Node ${run.node}, ${run.wrk}. Load average (1/5/15 min) ${run.load_before} before, ${runEnd.load_after ?? "?"} after. Peers (npm, \`tests/node\`): ${peers}. Raw numbers: \`docs/bench/results.jsonl\` and the CSV files beside it.`);

const openssl = Object.fromEntries(of("openssl").map((r) => [r.alg, r]));
const val = of("validation");
const pick = (list, f) => list.find(f);
md.push("### Validation: mcpauth's gRPC API and the npm peers, same keys and tokens");
md.push("`mcpauth gRPC` is `TokenValidation/Validate` driven by `mcpauth-bench-grpc` (closed loop, c calls in flight on one channel); `mcpauth gRPC stream` is `TokenValidation/ValidateStream` (c validations in flight over one stream per 32 of them; requests made while a message is being written go together in the next one, as the proto asks of high-volume callers); CPU is the service process's (utime + stime from `/proc/PID/stat`) divided by the calls. `cached` repeats one token (the validated-token cache answers); `uncached` sends each pre-minted token once. `jose` is `jwtVerify` in one Node thread (it keeps no cache: every call verifies); Auth0's `express-oauth2-jwt-bearer` is an Express app answering a POST, driven by wrk.");
const valRows = [];
for (const alg of ["ES256", "RS256", "EdDSA"]) {
  for (const r of val.filter((x) => x.alg === alg)) {
    const p50 = r.p50_us !== undefined ? us(r.p50_us) : r.mean_us !== undefined ? `${n1(r.mean_us)} µs (mean)` : "—";
    valRows.push([alg, r.target, r.mode ?? "", r.concurrency ?? 1, n0(r.rps), p50, us(r.p99_us), us(r.p999_us), n1(r.cpu_us_per_req)]);
  }
}
md.push(table(["alg", "what", "token", "c", "requests/s", "p50", "p99", "p99.9", "CPU µs/request"], valRows));
md.push(table(["alg", "`openssl speed` verify/s", "µs per verify"], ["ES256", "RS256", "EdDSA"].map((a) => [a, n0(openssl[a]?.verify_per_s), n1(openssl[a]?.us_per_verify)])));

const front = of("frontend");
md.push("### Auth-enforcing MCP front end: an authorized `tools/call`");
md.push("wrk (`-t1`, one Lua script for all: `tools/benchmarks/wrk_report.lua`) POSTs the same JSON-RPC `tools/call` with an ES256 bearer token. *TypeScript SDK + jose*: Express, the SDK's `requireBearerAuth` with a jose verifier, a stateless `StreamableHTTPServerTransport` and an `McpServer` per request (JSON responses), answering the tool itself. *mcpauth gateway, full suite*: gateway (default threads: one per core) + token-validation + scope-policy + metadata, relaying to `mcpauth-bench-upstream`; its CPU column sums all five processes. *authorization off*: the gateway alone relaying; *upstream alone*: wrk straight to the upstream.");
md.push(table(["what", "connections", "requests/s", "p50", "p90", "p99", "p99.9", "CPU µs/request"],
  front.map((r) => [r.target, r.concurrency, n0(r.rps), us(r.p50_us), us(r.p90_us), us(r.p99_us), us(r.p999_us), n1(r.cpu_us_per_req)])));
md.push("![latency against load, front ends](IMAGES/frontend-latency.svg)");
md.push("![latency against load, validation API](IMAGES/validation-latency.svg)");
md.push("![latency against load, streaming validation API](IMAGES/validation-stream-latency.svg)");
md.push("![latency against load, mcpauth's gRPC API and Auth0's middleware over HTTP](IMAGES/peers-validation-latency.svg)");

const policy = of("policy").filter((r) => r.target !== "Decide() in process");
const decide = of("policy").filter((r) => r.target === "Decide() in process");
md.push("### Growth");
md.push(table(["policy tool rules", "connections", "requests/s", "p50", "p99", "`Decide()` in process"],
  policy.map((r) => [n0(r.rules), r.concurrency, n0(r.rps), us(r.p50_us), us(r.p99_us), (() => { const d = decide.find((x) => x.rules === r.rules); return d ? `${n0(d.ns_per_decision)} ns` : "—"; })()])));
md.push(table(["JWKS keys", "token", "c", "requests/s", "p50", "p99", "CPU µs/request"],
  of("jwks").map((r) => [r.jwks_keys, r.mode, r.concurrency, n0(r.rps), us(r.p50_us), us(r.p99_us), n1(r.cpu_us_per_req)])));
md.push(table(["SSE streams asked", "opened", "gateway RSS before", "after", "KiB per stream", "first refusal"],
  of("sse").map((r) => [n0(r.asked), n0(r.open), mib(r.rss_before_kib), mib(r.rss_after_kib), n1(r.kib_per_stream), r.first_failure || "—"])));

const mem = groupBy(of("memory"), (r) => r.target);
md.push("### Resident memory");
md.push("Idle: right after start, before any load. Peak: the process's high-water mark (`VmHWM`) when it was stopped, after its heaviest scenario: 128 uncached calls in flight for token-validation, the most connections for the front ends and the suite behind the gateway; the growth runs are listed by policy size and by open SSE streams (for those, the gateway and scope-policy only: the other services do not hold the streams, and every service reads the policy the same way).");
const shown = ([t]) => !t.includes(", ") || /^(gateway|scope-policy), /.test(t);
md.push(table(["process", "idle", "peak"],
  [...mem].filter(shown).filter(([t]) => !(t.startsWith("scope-policy, ") && t.endsWith("SSE streams"))).map(([t, list]) => {
    const idle = list.filter((r) => r.kind === "idle").map((r) => r.kib);
    const peak = list.filter((r) => r.kind === "peak").map((r) => r.kib);
    return [t, idle.length ? mib(Math.min(...idle)) : "—", peak.length ? mib(Math.max(...peak)) : "—"];
  })));

// ------------------------------------------------------------------ targets
md.push("### Targets (issue 9)");
const targets = [];
{
  const sdk = front.filter((r) => r.target.startsWith("TypeScript SDK"));
  const gw = front.filter((r) => r.target === "mcpauth gateway, full suite");
  for (const s of sdk) {
    const g = gw.find((x) => x.concurrency === s.concurrency);
    if (!g) continue;
    const ratio = g.rps / s.rps, p99 = s.p99_us / g.p99_us;
    targets.push([`Front end at ${s.concurrency} connection${s.concurrency === 1 ? "" : "s"}${s.concurrency === 16 ? " (the issue's reference load)" : ""}: ≥ 10× the SDK stack's requests/s, p99 ≤ ⅕ of its p99`,
      `${ratio.toFixed(1)}× (${n0(g.rps)} vs ${n0(s.rps)}/s); p99 ${us(g.p99_us)} vs ${us(s.p99_us)} (${p99.toFixed(1)}× lower)`, verdict(ratio >= 10 && p99 >= 5)]);
  }
}
const apis = [["mcpauth gRPC", "Validate"], ["mcpauth gRPC stream", "ValidateStream"]];
for (const alg of ["ES256", "RS256", "EdDSA"]) {
  const jose = pick(val, (r) => r.target === "jose in process" && r.alg === alg && r.mode === "cached");
  if (!jose) continue;
  for (const [target, rpc] of apis) {
    const cached = val.filter((r) => r.target === target && r.alg === alg && r.mode === "cached");
    if (!cached.length) continue;
    const best = cached.reduce((a, b) => (a.cpu_us_per_req <= b.cpu_us_per_req ? a : b));
    const ratio = jose.cpu_us_per_req / best.cpu_us_per_req;
    targets.push([`Validation API cached, ${alg}, \`${rpc}\`: ≥ 10× jose per core`,
      `${ratio.toFixed(1)}× (${n0(1e6 / best.cpu_us_per_req)}/s per core at c=${best.concurrency} vs jose ${n0(1e6 / jose.cpu_us_per_req)}/s per core)`, verdict(ratio >= 10)]);
  }
  const lib = pick(val, (r) => r.target === "mcpauth in process" && r.alg === alg && r.mode === "cached");
  if (lib) targets.push([`(for comparison) the validator library in process, cached, ${alg}, against jose in process`,
    `${(jose.cpu_us_per_req / lib.cpu_us_per_req).toFixed(0)}× (${n1(lib.cpu_us_per_req)} µs vs ${n1(jose.cpu_us_per_req)} µs CPU per token)`, ""]);
}
{
  const raw = openssl.ES256?.us_per_verify;
  for (const [target, rpc] of apis) {
    const un = val.filter((r) => r.target === target && r.alg === "ES256" && r.mode === "uncached");
    if (!un.length || !raw) continue;
    const best = un.reduce((a, b) => (a.cpu_us_per_req <= b.cpu_us_per_req ? a : b));
    const ratio = best.cpu_us_per_req / raw;
    targets.push([`Uncached ES256, \`${rpc}\`: service CPU per request ≤ 1.5× \`openssl speed\` verify`,
      `${ratio.toFixed(2)}× (${n1(best.cpu_us_per_req)} µs at c=${best.concurrency} vs ${n1(raw)} µs; c=1/16/128: ${un.map((r) => n1(r.cpu_us_per_req)).join(" / ")} µs)`, verdict(ratio <= 1.5)]);
  }
  const lib = pick(val, (r) => r.target === "mcpauth in process" && r.alg === "ES256" && r.mode === "uncached");
  if (lib && raw) targets.push(["Uncached ES256, the validator library in process: CPU per token ≤ 1.5× `openssl speed` verify",
    `${(lib.cpu_us_per_req / raw).toFixed(2)}× (${n1(lib.cpu_us_per_req)} µs vs ${n1(raw)} µs)`, verdict(lib.cpu_us_per_req / raw <= 1.5)]);
}
{
  const at = (t, c) => front.find((r) => r.target === t && r.concurrency === c);
  for (const c of [16, 64]) {
    const full = at("mcpauth gateway, full suite", c), open = at("mcpauth gateway, authorization off", c);
    if (full && open) targets.push([`Gateway with authorization ≥ 70% of its throughput without (${c} connections)`, `${((100 * full.rps) / open.rps).toFixed(0)}% (${n0(full.rps)} vs ${n0(open.rps)}/s)`, verdict(full.rps / open.rps >= 0.7)]);
  }
  const f1 = at("mcpauth gateway, full suite", 1), d1 = at("upstream alone", 1);
  if (f1 && d1) targets.push(["Gateway adds ≤ 0.5 ms to the median (1 connection)", `+${us(f1.p50_us - d1.p50_us)}`, verdict(f1.p50_us - d1.p50_us <= 500)]);
}
{
  const c16 = policy.filter((r) => r.concurrency === 16);
  const small = c16.find((r) => r.rules === 10), big = c16.find((r) => r.rules === 100000);
  const ds = decide.find((r) => r.rules === 10), db = decide.find((r) => r.rules === 100000);
  if (small && big) {
    const ratio = small.rps / big.rps;
    const dratio = ds && db ? db.ns_per_decision / ds.ns_per_decision : NaN;
    targets.push(["Policy decision cost flat: ≤ 1.5× from 10 to 100,000 rules",
      `gateway at 100,000 rules: ${((100 * big.rps) / small.rps).toFixed(0)}% of its requests/s at 10 (16 connections)${Number.isNaN(dratio) ? "" : `; \`Decide()\` ${dratio.toFixed(2)}× its cost at 10`}`, verdict(ratio <= 1.5 && (Number.isNaN(dratio) || dratio <= 1.5))]);
  }
}
{
  const sse = of("sse");
  if (sse.length >= 2) {
    // The cost of one more stream: the slope between the two largest counts (a small
    // count's average also carries the gateway's fixed growth, e.g. a second malloc arena).
    const [a, b] = [...sse].sort((x, y) => x.open - y.open).slice(-2);
    const slope = (b.rss_after_kib - a.rss_after_kib) / (b.open - a.open);
    targets.push(["Memory per idle SSE stream ≤ 32 KiB",
      `${n1(slope)} KiB per added stream from ${n0(a.open)} to ${n0(b.open)} (average over all streams: ${sse.map((r) => `${n1(r.kib_per_stream)} KiB at ${n0(r.open)}`).join(", ")})`, verdict(slope <= 32)]);
  }
}
md.push(table(["target", "measured", ""], targets));
// Image links: beside the plots in results.md, one folder down from docs/benchmarks.md.
const text = md.join("\n\n").replaceAll("](IMAGES/", "](bench/") + "\n";
fs.writeFileSync(path.join(o.out, "results.md"), md.join("\n\n").replaceAll("](IMAGES/", "](") + "\n");

if (o.doc) {
  const begin = "<!-- tools/bench writes from here -->", end = "<!-- tools/bench writes up to here -->";
  const doc = fs.readFileSync(o.doc, "utf8");
  const a = doc.indexOf(begin), b = doc.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${o.doc} lacks the markers ${begin} ... ${end}`);
  fs.writeFileSync(o.doc, doc.slice(0, a + begin.length) + "\n\n" + text + "\n" + doc.slice(b));
}
console.log(`report: ${path.join(o.out, "results.md")}`);
