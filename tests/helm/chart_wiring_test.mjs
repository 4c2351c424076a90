// The chart's wiring, proven without a cluster: render the chart, then run what the
// rendered pods would run, as they would run it, on this machine, and check that the
// suite answers.
//
// From the rendered manifests, for every Deployment and StatefulSet (one pod each) and
// for the `helm test` pod, the test takes the container's command, args, env and
// volume mounts, and:
//  - materializes each mounted volume under a private root for that pod (<tmp>/pods/
//    <name>/<mountPath>): ConfigMap and Secret keys (items honoured, Secret data
//    decoded, defaultMode applied) in the layout kubelet's atomic writer makes
//    (<key> -> ..data/<key>, ..data -> ..<timestamp>/), emptyDirs and volume claims as
//    empty directories;
//  - resolves env: plain values, and secretKeyRef/configMapKeyRef from the rendered
//    objects (a reference to an object the chart does not render is an error); then
//    expands $(VAR) in command and args as Kubernetes does;
//  - maps the cluster onto loopback, which is the only rewriting done:
//      * a Service's DNS name with a Service port (name, name.ns, name.ns.svc,
//        name.ns.svc.cluster.local) becomes 127.0.0.1 and the local port of the pod
//        and container port the Service's targetPort resolves to (through the
//        selector and, for named targetPorts, the container's port names) - so a
//        wrong selector, port name or Service port breaks the suite, as in a cluster;
//      * the pod's wildcard address with one of its container ports (0.0.0.0:P,
//        [::]:P) becomes 127.0.0.1 and that port's local port; redis-server's
//        `--bind 0.0.0.0` and `--port P` flags likewise;
//      * a mount path at the start of a path becomes the pod's private root + that
//        path (in args, env values and ConfigMap-provided files);
//      * command[0] /usr/local/bin/X (where the Dockerfile puts the binaries) becomes
//        the build's bin/X; other commands (redis-server, sh) come from PATH;
//    each local port is a free port on 127.0.0.1, picked per (pod, container port);
//  - starts the processes with only PATH and the container's env.
// Then it runs every rendered probe (native gRPC probes speak grpc.health.v1 over
// HTTP/2, httpGet, tcpSocket) and checks the suite: 401 with a resource_metadata
// challenge on /mcp; the metadata document; a token minted with `mcpauth token mint`
// (whose JWKS the values put inline in the chart's JWKS ConfigMap) accepted by
// token-validation and by the gateway, which proxies to the demo upstream
// (server-everything); a tool's per-tool scope enforced from the policy ConfigMap and
// changed by replacing that ConfigMap's files the way kubelet does (..data swap); Redis
// reached with the Secret's password; the helm test pod's script passing; and every
// process draining on SIGTERM. Every process is stopped by its PID; waits are bounded.
//
// With MCPAUTH_WIRING_TLS=1 (ctest: helm_chart_wiring_tls_test) the same run with TLS on
// every internal hop: tls.internal (mutual TLS between the services; kubelet's probes
// on the plaintext grpc-health ports) and redis.tls (the built-in Redis TLS-only). The
// certificates are made here with the openssl command (a CA; one certificate per
// component naming its Service and 127.0.0.1, the address the Services map to) and
// stand in, as Secrets, for what cert-manager or the user would create. It then also
// checks that the gRPC ports refuse plaintext and callers without a certificate, and
// that `mcpauth validate` reaches token-validation with --ca-file/--cert-file/--key-file.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Checks, YAML, binDir, die, nodeDir, renderChart, requireFile, requireHelm } from "./lib.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));

requireHelm();
for (const b of ["mcpauth", "mcpauth-token-validation", "mcpauth-scope-policy", "mcpauth-metadata", "mcpauth-gateway"]) {
  requireFile(path.join(binDir, b), "build the binaries first (ninja -C BUILD)");
}
const everything = path.join(nodeDir, "node_modules/@modelcontextprotocol/server-everything/dist/index.js");
requireFile(everything, "run tools/setup (npm test tools in tests/node)");
for (const tool of ["redis-server", "curl", "sh"]) {
  if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) die(`${tool} is not on PATH (tools/setup installs it)`);
}

const withTls = process.env.MCPAUTH_WIRING_TLS === "1";
const t = new Checks(withTls ? "helm_chart_wiring_tls_test" : "helm_chart_wiring_test");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mcpauth-chart-wiring-"));
const namespace = "wiring";
const resource = "https://mcp.wiring.test/mcp";
const issuer = "https://issuer.wiring.test";
const children = [];  // {name, child, exited: Promise<code>}
let keepTmp = false;

// --- processes ---------------------------------------------------------------------------

function startProcess(name, command, args, env, cwd) {
  const log = fs.openSync(path.join(tmp, `${name}.log`), "w");
  const child = spawn(command, args, { env, cwd, stdio: ["ignore", log, log] });
  fs.closeSync(log);
  const entry = { name, child, code: undefined };
  entry.exited = new Promise((resolve) => {
    child.on("exit", (code, signal) => resolve((entry.code = code ?? 128 + os.constants.signals[signal])));
    child.on("error", (e) => {
      fs.appendFileSync(path.join(tmp, `${name}.log`), `spawn failed: ${e.message}\n`);
      resolve((entry.code = 127));
    });
  });
  children.push(entry);
  return entry;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// The promise's value, or undefined after `ms` (the timer is cleared either way, so no
// pending timer keeps the process alive once the test is done).
function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((resolve) => (timer = setTimeout(resolve, ms, undefined)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// SIGTERM to the PID we started; SIGKILL after `graceMs`. The exit status.
async function stopProcess(entry, graceMs = 10_000) {
  if (entry.code !== undefined) return entry.code;
  entry.child.kill("SIGTERM");
  const code = await withTimeout(entry.exited, graceMs);
  if (code !== undefined) return code;
  entry.child.kill("SIGKILL");
  return await entry.exited;
}

async function stopAll() {
  await Promise.all(children.map((c) => stopProcess(c, 5_000)));
}

function runToCompletion(command, args, options = {}) {
  const r = spawnSync(command, args, { encoding: "utf8", timeout: 20_000, ...options });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

// A port free on 127.0.0.1 now, and never handed out before by this test (the kernel
// may offer a just-closed port again, and nothing binds until every port is chosen).
const handedOut = new Set();
async function freePort() {
  for (;;) {
    const port = await kernelFreePort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}
function kernelFreePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(condition, ms, intervalMs = 100) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
}

// --- HTTP, gRPC health, TCP -------------------------------------------------------------

function httpRequest(port, method, urlPath, { headers = {}, body } = {}) {
  return new Promise((resolve) => {
    const req = http.request({ host: "127.0.0.1", port, method, path: urlPath, headers, timeout: 5000 }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (data += c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve({ status: 0, headers: {}, body: String(e.message) }));
    if (body) req.write(body);
    req.end();
  });
}

// grpc.health.v1.Health/Check by hand (HTTP/2, length-prefixed protobuf): the status
// enum (1 = SERVING), or null when the call fails.
function grpcHealth(port, service = "") {
  return new Promise((resolve) => {
    const done = (v) => {
      clearTimeout(timer);
      client.close();
      resolve(v);
    };
    const client = http2.connect(`http://127.0.0.1:${port}`);
    const timer = setTimeout(() => {
      client.destroy();
      resolve(null);
    }, 2000);
    client.on("error", () => done(null));
    const name = Buffer.from(service, "utf8");
    const message = name.length ? Buffer.concat([Buffer.from([0x0a, name.length]), name]) : Buffer.alloc(0);
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(message.length, 1);
    const req = client.request({ ":method": "POST", ":path": "/grpc.health.v1.Health/Check", "content-type": "application/grpc", te: "trailers" });
    const chunks = [];
    let grpcStatus;
    req.on("response", (h) => (grpcStatus = h["grpc-status"] ?? grpcStatus));
    req.on("trailers", (h) => (grpcStatus = h["grpc-status"]));
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (grpcStatus !== "0" || body.length < 5) return done(null);
      const msg = body.subarray(5);
      done(msg.length >= 2 && msg[0] === 0x08 ? msg[1] : 0);  // field 1 (status), varint; absent = UNKNOWN
    });
    req.on("error", () => done(null));
    req.end(Buffer.concat([prefix, message]));
  });
}

function tcpOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.setTimeout(1000);
    s.on("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", () => resolve(false));
    s.on("timeout", () => {
      s.destroy();
      resolve(false);
    });
  });
}

// --- the pods, from the manifests ---------------------------------------------------------

const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

async function buildPods(objects) {
  const workloads = objects.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet");
  const testPods = objects.filter((o) => o.kind === "Pod" && o.metadata.annotations?.["helm.sh/hook"] === "test");
  const pods = [];
  for (const o of [...workloads, ...testPods]) {
    const spec = o.kind === "Pod" ? o.spec : o.spec.template.spec;
    const labels = o.kind === "Pod" ? o.metadata.labels : o.spec.template.metadata.labels;
    if (spec.containers.length !== 1) die(`${o.kind} ${o.metadata.name}: the test runs pods with one container`);
    const ports = new Map();   // containerPort -> local port
    const named = new Map();   // port name -> containerPort
    for (const p of spec.containers[0].ports ?? []) {
      ports.set(p.containerPort, await freePort());
      if (p.name) named.set(p.name, p.containerPort);
    }
    const claims = (o.spec.volumeClaimTemplates ?? []).map((v) => v.metadata.name);
    pods.push({ name: o.metadata.name, kind: o.kind, spec, labels, container: spec.containers[0], ports, named, claims,
      root: path.join(tmp, "pods", o.metadata.name) });
  }
  // Service DNS name:port -> local port of the pod behind it.
  const dns = new Map();
  for (const svc of objects.filter((o) => o.kind === "Service")) {
    const backends = pods.filter((p) => p.kind !== "Pod" && matches(svc.spec.selector, p.labels));
    t.ok(backends.length === 1, `Service ${svc.metadata.name} selects exactly one workload`, backends.map((p) => p.name).join(", "));
    if (backends.length !== 1) continue;
    const pod = backends[0];
    const n = svc.metadata.name;
    for (const sp of svc.spec.ports) {
      const target = sp.targetPort ?? sp.port;
      const containerPort = typeof target === "number" ? target : pod.named.get(target);
      const local = pod.ports.get(containerPort);
      t.ok(local !== undefined, `Service ${n} port ${sp.port} reaches a declared port of ${pod.name} (targetPort ${target})`);
      for (const host of [n, `${n}.${namespace}`, `${n}.${namespace}.svc`, `${n}.${namespace}.svc.cluster.local`]) {
        dns.set(`${host}:${sp.port}`, local);
      }
    }
  }
  return { pods, dns };
}

function rewriter(pod, dns) {
  const mounts = [...(pod.container.volumeMounts ?? [])].sort((a, b) => b.mountPath.length - a.mountPath.length);
  const mountPattern = mounts.length
    ? new RegExp(`(^|[\\s"'=:])(${mounts.map((m) => escapeRe(m.mountPath)).join("|")})(?=$|[/\\s"'])`, "gm")
    : null;
  return (text) => {
    let out = text.replace(/(\[::\]|[A-Za-z0-9.-]+):(\d+)/g, (m, host, port) => {
      const n = Number(port);
      if (dns.has(`${host}:${n}`)) return `127.0.0.1:${dns.get(`${host}:${n}`)}`;
      if ((host === "0.0.0.0" || host === "[::]") && pod.ports.has(n)) return `127.0.0.1:${pod.ports.get(n)}`;
      return m;
    });
    // One pass over every mount path (longest first), so a rewritten path is never rewritten again.
    if (mountPattern) out = out.replace(mountPattern, (_, lead, mountPath) => `${lead}${pod.root}${mountPath}`);
    return out;
  };
}

function lookupKey(objects, kind, name, key) {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) return { error: `${kind} ${name} is not rendered by the chart` };
  if (kind === "Secret") {
    if (o.stringData?.[key] !== undefined) return { value: Buffer.from(o.stringData[key]) };
    if (o.data?.[key] !== undefined) return { value: Buffer.from(o.data[key], "base64") };
  } else {
    if (o.data?.[key] !== undefined) return { value: Buffer.from(o.data[key]) };
    if (o.binaryData?.[key] !== undefined) return { value: Buffer.from(o.binaryData[key], "base64") };
  }
  return { error: `${kind} ${name} has no key ${key}` };
}

// Writes a ConfigMap/Secret volume as kubelet's atomic writer does: files in a
// timestamped directory, ..data pointing at it, each key a symlink through ..data.
function writeAtomic(dir, files, mode, generation) {
  fs.mkdirSync(dir, { recursive: true });
  const stamp = `..${generation}_${process.pid}`;
  fs.mkdirSync(path.join(dir, stamp));
  for (const [file, content] of files) {
    fs.mkdirSync(path.dirname(path.join(dir, stamp, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, stamp, file), content, { mode });
    fs.chmodSync(path.join(dir, stamp, file), mode);
  }
  fs.symlinkSync(stamp, path.join(dir, "..data_tmp"));
  const old = fs.existsSync(path.join(dir, "..data")) ? fs.readlinkSync(path.join(dir, "..data")) : null;
  fs.renameSync(path.join(dir, "..data_tmp"), path.join(dir, "..data"));  // the atomic swap
  for (const [file] of files) {
    const top = file.split("/")[0];
    if (!fs.existsSync(path.join(dir, top))) fs.symlinkSync(path.join("..data", top), path.join(dir, top));
  }
  if (old) fs.rmSync(path.join(dir, old), { recursive: true, force: true });
}

// The files of one ConfigMap/Secret volume source: [[path, Buffer]].
function volumeFiles(objects, volume, rewrite) {
  const source = volume.configMap ?? volume.secret;
  const kind = volume.configMap ? "ConfigMap" : "Secret";
  const name = volume.configMap ? source.name : source.secretName;
  const obj = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!obj) return { error: `volume ${volume.name}: ${kind} ${name} is not rendered by the chart` };
  const keys = source.items ?? Object.keys({ ...obj.data, ...obj.binaryData, ...obj.stringData }).map((k) => ({ key: k, path: k }));
  const files = [];
  for (const item of keys) {
    const r = lookupKey(objects, kind, name, item.key);
    if (r.error) return r;
    files.push([item.path, kind === "ConfigMap" ? Buffer.from(rewrite(r.value.toString("utf8"))) : r.value]);
  }
  return { files, mode: source.defaultMode ?? 0o644 };
}

function preparePod(objects, pod, dns) {
  const rewrite = rewriter(pod, dns);
  const c = pod.container;
  const errors = [];
  for (const m of c.volumeMounts ?? []) {
    const volume = (pod.spec.volumes ?? []).find((v) => v.name === m.name);
    const dir = path.join(pod.root, m.mountPath);
    if (m.subPath) errors.push(`${pod.name}: mount ${m.name} uses subPath (updates would never arrive)`);
    if (!volume) {
      // A StatefulSet volume claim: an empty directory, as a fresh volume would be.
      if (!(pod.claims ?? []).includes(m.name)) errors.push(`${pod.name}: mount ${m.name} has no volume`);
      fs.mkdirSync(dir, { recursive: true });
      continue;
    }
    if (volume.emptyDir || volume.persistentVolumeClaim) {
      fs.mkdirSync(dir, { recursive: true });
    } else if (volume.configMap || volume.secret) {
      const r = volumeFiles(objects, volume, rewrite);
      if (r.error) errors.push(`${pod.name}: ${r.error}`);
      else writeAtomic(dir, r.files, r.mode, 1);
    } else {
      errors.push(`${pod.name}: volume ${volume.name} has a type this test does not know`);
    }
  }
  // Env: values, then references; $(VAR) in command and args.
  const env = { PATH: process.env.PATH };
  const declared = {};
  for (const e of c.env ?? []) {
    let value;
    if (e.value !== undefined) value = rewrite(String(e.value));
    else if (e.valueFrom?.secretKeyRef || e.valueFrom?.configMapKeyRef) {
      const ref = e.valueFrom.secretKeyRef ?? e.valueFrom.configMapKeyRef;
      const r = lookupKey(objects, e.valueFrom.secretKeyRef ? "Secret" : "ConfigMap", ref.name, ref.key);
      if (r.error) errors.push(`${pod.name}: env ${e.name}: ${r.error}`);
      value = r.value?.toString("utf8") ?? "";
    } else {
      errors.push(`${pod.name}: env ${e.name}: a source this test does not know`);
    }
    env[e.name] = declared[e.name] = value;
  }
  const expand = (s) => s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v) => (m === "$$" ? "$" : v in declared ? declared[v] : m));
  let command = (c.command ?? []).map(expand);
  let args = (c.args ?? []).map(expand);
  if (!command.length) errors.push(`${pod.name}: no command (the image has no entrypoint for a service)`);
  // redis-server's listening flags.
  args = args.map((a, i) => {
    if ((args[i - 1] === "--port" || args[i - 1] === "--tls-port") && pod.ports.has(Number(a))) return String(pod.ports.get(Number(a)));
    if (args[i - 1] === "--bind" && (a === "0.0.0.0" || a === "::")) return "127.0.0.1";
    return rewrite(a);
  });
  command = command.map((a, i) => (i === 0 && a.startsWith("/usr/local/bin/") ? path.join(binDir, path.basename(a)) : rewrite(a)));
  return { command, args, env, errors, cwd: c.workingDir ? path.join(pod.root, c.workingDir) : pod.root };
}

// One probe: true when it succeeds now.
async function probeOnce(pod, probe) {
  const local = (p) => pod.ports.get(typeof p === "number" ? p : pod.named.get(p));
  if (probe.grpc) return (await grpcHealth(local(probe.grpc.port), probe.grpc.service ?? "")) === 1;
  if (probe.httpGet) {
    const r = await httpRequest(local(probe.httpGet.port), "GET", probe.httpGet.path ?? "/");
    return r.status >= 200 && r.status < 400;
  }
  if (probe.tcpSocket) return tcpOpen(local(probe.tcpSocket.port));
  return false;
}

// --- the run -------------------------------------------------------------------------------

const watchdog = setTimeout(async () => {
  console.log(`FATAL: the test did not finish in time; logs kept in ${tmp}`);
  keepTmp = true;
  await stopAll();
  process.exit(1);
}, 80_000);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    await stopAll();
    process.exit(1);
  });
}

// --- certificates (TLS variant) ------------------------------------------------------------

// A CA and, per name, a certificate for server and client use naming `dnsNames` and
// 127.0.0.1, made by the openssl command; the kubernetes.io/tls Secrets holding them.
function makeCertificates(dir, certs) {
  const openssl = (...args) => {
    const r = runToCompletion("openssl", args, { cwd: dir });
    if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
  };
  fs.mkdirSync(dir, { recursive: true });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=wiring-ca", "-days", "1");
  const secrets = [];
  for (const { secret, dnsNames } of certs) {
    fs.writeFileSync(path.join(dir, `${secret}.ext`),
      `subjectAltName=${[...dnsNames.map((d) => `DNS:${d}`), "IP:127.0.0.1"].join(",")}\nextendedKeyUsage=serverAuth,clientAuth\n`);
    openssl("req", ...ec, "-keyout", `${secret}.key`, "-out", `${secret}.csr`, "-subj", `/CN=${dnsNames[0]}`);
    openssl("x509", "-req", "-in", `${secret}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
      "-out", `${secret}.crt`, "-days", "1", "-extfile", `${secret}.ext`);
    const b64 = (f) => fs.readFileSync(path.join(dir, f)).toString("base64");
    secrets.push({ apiVersion: "v1", kind: "Secret", type: "kubernetes.io/tls", metadata: { name: secret, namespace },
      data: { "tls.crt": b64(`${secret}.crt`), "tls.key": b64(`${secret}.key`), "ca.crt": b64("ca.crt") } });
  }
  return secrets;
}

async function main() {
  // A key for a test issuer; its JWKS goes into the chart's values (inline JWKS).
  const key = path.join(tmp, "issuer-key.json");
  t.ok(runToCompletion(path.join(binDir, "mcpauth"), ["keys", "generate", "--alg", "ES256", "--kid", "wiring-1", "--out", key]).status === 0, "mcpauth keys generate");
  const jwks = runToCompletion(path.join(binDir, "mcpauth"), ["keys", "jwks", key]).stdout;
  const upstreamPort = await freePort();
  const objects = renderChart({
    namespace,
    setJson: {
      resource,
      "authorization.required_scopes": ["mcp"],
      tools: { "get-sum": { required_scopes: ["math"] } },
      "policyFile.enabled": true,
      jwt_validators: [{ issuer, jwks }],
      "gateway.routes": [{ path: "/mcp", upstream: `http://127.0.0.1:${upstreamPort}/mcp` }],
      ...Object.fromEntries(["tokenValidation", "scopePolicy", "metadata", "gateway"].map((c) => [`${c}.shutdownGrace`, 2])),
      // Service ports unlike the container ports, so an address built from the wrong one fails.
      "tokenValidation.service.port": 60051,
      "scopePolicy.service.port": 60052,
      "metadata.service.port": 60053,
      ...(withTls ? { "tls.internal.enabled": true, "redis.tls.enabled": true } : {}),
    },
  });
  t.ok(objects.length > 0, `helm template: ${objects.length} objects`);
  const certDir = path.join(tmp, "certificates");
  if (withTls) {
    // The Secrets the pods mount, as cert-manager (or the user) would have made them.
    const full = objects.find((o) => o.kind === "Deployment" && o.metadata.name.endsWith("-gateway")).metadata.name.replace(/-gateway$/, "");
    const serviceNames = (n) => [n, `${n}.${namespace}`, `${n}.${namespace}.svc`, `${n}.${namespace}.svc.cluster.local`];
    const certs = ["token-validation", "scope-policy", "metadata", "gateway"].map((c) => ({ secret: `${full}-${c}-tls`, dnsNames: serviceNames(`${full}-${c}`) }));
    certs.push({ secret: `${full}-redis-tls`, dnsNames: serviceNames(`${full}-redis`) });
    const secrets = makeCertificates(certDir, certs);
    objects.push(...secrets);
    t.ok(secrets.length === 5, "certificates for the four components and Redis, made with openssl (stand-ins for cert-manager's Secrets)");
  }

  t.section("pods from the manifests");
  const { pods, dns } = await buildPods(objects);
  const prepared = new Map();
  for (const pod of pods) {
    const p = preparePod(objects, pod, dns);
    t.ok(p.errors.length === 0, `${pod.name}: command, args, env and mounts resolved`, p.errors.join("\n"));
    prepared.set(pod.name, p);
    const shown = [...p.command, ...p.args].join(" ").replace(/(--requirepass )\S+/, "$1****").split("\n")[0];
    console.log(`      ${shown.slice(0, 240)}`);
  }
  const byComponent = (c) => pods.find((p) => p.labels?.["app.kubernetes.io/component"] === c && p.kind !== "Pod");
  const gateway = byComponent("gateway");
  const gatewayPort = gateway.ports.get(gateway.named.get("http"));

  // Start order: Redis, then the gRPC services, then the gateway once they pass their
  // startup probes. (Started all at once, the gateway's first connections fail and gRPC's
  // reconnect backoff can hold its readiness back for 20 s or more; a cluster converges
  // the same way, but this test wants a bounded, quick run.)
  t.section("start: Redis, the gRPC services, the gateway (each after its dependencies' startup probes), the demo upstream");
  startProcess("upstream", process.execPath, ["--require", path.join(here, "loopback_only.cjs"), everything, "streamableHttp"],
    { PATH: process.env.PATH, PORT: String(upstreamPort) });
  const services = [];
  const startAndProbe = async (pod) => {
    const p = prepared.get(pod.name);
    const proc = startProcess(pod.name, p.command[0], [...p.command.slice(1), ...p.args], p.env, p.cwd);
    services.push({ pod, proc });
    return { pod, proc };
  };
  const awaitStartup = async ({ pod, proc }) => {
    const startup = pod.container.startupProbe;
    const budget = Math.min(30_000, (startup?.periodSeconds ?? 1) * (startup?.failureThreshold ?? 30) * 1000);
    const since = Date.now();
    // Until the probe passes, the budget runs out, or the process exits (a crash is final here).
    const started = startup ? await waitFor(async () => (await probeOnce(pod, startup)) || proc.code !== undefined, budget, 100) &&
      proc.code === undefined : true;
    pod.started = started;
    t.ok(started, `${pod.name}: startupProbe ${JSON.stringify(startup?.grpc ?? startup?.httpGet ?? startup?.tcpSocket)} succeeds (${Date.now() - since} ms)`,
      started ? "" : `exit ${proc.code}; log: ${fs.readFileSync(path.join(tmp, `${pod.name}.log`), "utf8").slice(-1500)}`);
  };
  const grpcPods = pods.filter((p) => p.kind === "Deployment" && p !== gateway);
  for (const group of [[byComponent("redis")], grpcPods, [gateway]]) {
    const started = [];
    for (const pod of group) started.push(await startAndProbe(pod));
    for (const s of started) await awaitStartup(s);
  }
  if (!services.every((s) => s.pod.started)) throw new Error("not every service started; see the logs");

  t.section("readiness and liveness probes, as rendered");
  for (const { pod } of services) {
    for (const kind of ["readinessProbe", "livenessProbe"]) {
      const probe = pod.container[kind];
      if (!probe) continue;
      const since = Date.now();
      t.ok(await waitFor(() => probeOnce(pod, probe), 20_000, 100), `${pod.name}: ${kind} ${JSON.stringify(probe.grpc ?? probe.httpGet ?? probe.tcpSocket)} succeeds (${Date.now() - since} ms)`);
    }
  }
  t.ok(await waitFor(() => tcpOpen(upstreamPort), 20_000), "the demo upstream listens");

  t.section("the suite answers");
  const init = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "wiring", version: "1" } } });
  const mcpHeaders = { "content-type": "application/json", accept: "application/json, text/event-stream" };
  const noToken = await httpRequest(gatewayPort, "POST", "/mcp", { headers: mcpHeaders, body: init });
  const metadataUrl = "https://mcp.wiring.test/.well-known/oauth-protected-resource/mcp";
  t.equal(noToken.status, 401, "POST /mcp without a token: 401");
  const challenge = noToken.headers["www-authenticate"] ?? "";
  t.ok(challenge.startsWith(`Bearer resource_metadata="${metadataUrl}"`) && !/error=/.test(challenge),
    `the challenge points at the metadata: ${challenge}`);
  t.ok(/scope="mcp"/.test(challenge), "and names the required scope (from the policy ConfigMap)");
  const doc = await httpRequest(gatewayPort, "GET", new URL(metadataUrl).pathname);
  t.equal(doc.status, 200, "GET the metadata URL: 200");
  let prm = {};
  try { prm = JSON.parse(doc.body); } catch { /* reported below */ }
  t.equal([prm.resource, prm.authorization_servers, prm.scopes_supported], [resource, [issuer], ["mcp"]],
    "the metadata document: resource, the validator's issuer, the policy's scopes");

  const mint = (scope) => runToCompletion(path.join(binDir, "mcpauth"),
    ["token", "mint", "--key", key, "--iss", issuer, "--aud", resource, "--sub", "wiring-user", "--scope", scope]).stdout.trim();
  const full = mint("mcp math"), limited = mint("mcp");
  // token-validation through its Service address from the config (as other backends call it).
  const config = YAML.parse(objects.find((o) => o.kind === "ConfigMap" && o.data?.["mcpauth.yaml"]).data["mcpauth.yaml"]);
  const tvAddress = dns.get(config.token_validation.address);
  t.ok(tvAddress !== undefined, `token_validation.address ${config.token_validation.address} is a Service of the chart`);
  const gatewayCert = objects.find((o) => o.kind === "Secret" && o.metadata.name.endsWith("-gateway-tls"))?.metadata.name;
  const tlsFlags = withTls ? ["--ca-file", path.join(certDir, "ca.crt"), "--cert-file", path.join(certDir, `${gatewayCert}.crt`),
    "--key-file", path.join(certDir, `${gatewayCert}.key`)] : [];
  const validateWith = (flags) => runToCompletion(path.join(binDir, "mcpauth"),
    ["validate", "--server", `127.0.0.1:${tvAddress}`, "--token", full, "--resource", resource, "--timeout", "3", ...flags]);
  const validate = validateWith(tlsFlags);
  t.ok(validate.status === 0 && JSON.parse(validate.stdout || "{}").valid === true,
    `token-validation accepts the minted token (JWKS from the chart's ConfigMap)${withTls ? ", over mutual TLS with a certificate from the CA" : ""}`,
    validate.stdout + validate.stderr);
  if (withTls) {
    const noCert = validateWith(["--ca-file", path.join(certDir, "ca.crt")]);
    t.ok(noCert.status === 2 && noCert.stdout.includes("could_not_decide"), "a caller without a client certificate is refused (mutual TLS)", noCert.stdout + noCert.stderr);
    const plaintext = validateWith([]);
    t.ok(plaintext.status === 2, "a plaintext caller is refused", plaintext.stdout + plaintext.stderr);
    for (const c of ["token-validation", "scope-policy", "metadata"]) {
      const pod = byComponent(c);
      t.equal(await grpcHealth(pod.ports.get(pod.named.get("grpc"))), null, `${c}: the gRPC port speaks no plaintext (kubelet probes grpc-health instead)`);
    }
  }
  const mcp = (token, ...args) => runToCompletion(path.join(binDir, "mcpauth"), ["mcp", "--url", `http://127.0.0.1:${gatewayPort}/mcp`, "--token", token, ...args]);
  const listed = mcp(full, "list-tools");
  t.ok(listed.status === 0 && listed.stdout.includes("get-sum"), "the gateway accepts it and proxies to the upstream (tools/list)", listed.stdout + listed.stderr);
  const allowed = mcp(full, "call", "get-sum", '{"a":1,"b":2}');
  t.ok(allowed.status === 0 && allowed.stdout.includes("3"), "a tool call with its scope goes through", allowed.stdout + allowed.stderr);
  const denied = mcp(limited, "call", "get-sum", '{"a":1,"b":2}');
  t.ok(denied.status === 1 && denied.stdout.includes(`Tool \\"get-sum\\" requires scopes: ['math']. Missing: ['math']`),
    "without it, the seed's denial (per-tool scope from the policy ConfigMap)", denied.stdout + denied.stderr);

  t.section("metrics ports, from the pod annotations");
  for (const { pod } of services.filter((s) => s.pod.kind === "Deployment")) {
    const ann = objects.find((o) => o.kind === "Deployment" && o.metadata.name === pod.name).spec.template.metadata.annotations;
    const r = await httpRequest(pod.ports.get(Number(ann["prometheus.io/port"])), "GET", ann["prometheus.io/path"]);
    t.ok(r.status === 200 && /^mcpauth_/m.test(r.body), `${pod.name}: ${ann["prometheus.io/path"]} on port ${ann["prometheus.io/port"]} serves mcpauth_ metrics`);
    if (pod.labels["app.kubernetes.io/component"] !== "scope-policy") {
      t.ok(/^mcpauth_redis_up 1/m.test(r.body),
        `${pod.name}: connected to Redis with the Secret's password${withTls ? " over TLS" : ""} (mcpauth_redis_up 1)`);
    }
  }

  t.section("policy ConfigMap updated in place (kubelet's ..data swap): reloaded, no restart");
  const newPolicy = "authorization:\n  required_scopes: [mcp]\ntools:\n  get-sum: {required_scopes: [math, admin]}\n";
  {
    // Only scope-policy mounts it; the gateway and metadata follow its policy stream.
    const pod = byComponent("scope-policy");
    const m = pod.container.volumeMounts.find((x) => x.mountPath === "/etc/mcpauth/policy");
    writeAtomic(path.join(pod.root, m.mountPath), [["policy.yaml", Buffer.from(newPolicy)]], 0o644, 2);
  }
  const reloaded = await waitFor(() => mcp(full, "call", "get-sum", '{"a":1,"b":2}').stdout.includes("Missing: ['admin']"), 15_000, 300);
  t.ok(reloaded, "the gateway enforces the new policy (get-sum now also needs admin)");
  t.ok(services.every((s) => s.proc.code === undefined), "no process restarted or exited");

  t.section("the helm test pod, run locally");
  const testPod = pods.find((p) => p.kind === "Pod");
  if (t.ok(testPod, "a helm test pod is rendered")) {
    const p = prepared.get(testPod.name);
    const r = runToCompletion(p.command[0], [...p.command.slice(1), ...p.args], { env: p.env, cwd: p.cwd });
    t.ok(r.status === 0 && r.stdout.includes("ok: 401") && r.stdout.includes("ok: 200"), "its script passes against the running suite", r.stdout + r.stderr);
  }

  t.section("SIGTERM: every service drains and exits 0 within terminationGracePeriodSeconds");
  for (const { pod, proc } of [...services].reverse()) {
    const grace = (pod.spec.terminationGracePeriodSeconds ?? 30) * 1000;
    const started = Date.now();
    const code = await stopProcess(proc, grace);
    t.ok(code === 0, `${pod.name} exited ${code} after ${Date.now() - started} ms`);
  }
}

try {
  await main();
} catch (e) {
  t.ok(false, "the test ran to completion", e.stack);
} finally {
  await stopAll();
  clearTimeout(watchdog);
  if (t.failures) keepTmp = true;
  if (keepTmp) console.log(`logs and pod files kept in ${tmp}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
  t.finish();
}
