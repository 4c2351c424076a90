// deploy/ holds no dead ends: docker-compose.yml, its suite configuration, the Prometheus
// scrape config, the alert rules and the Grafana dashboard agree with each other, with
// the chart's copies, with the Dockerfile, and with the metrics the services really
// export (names read from the sources). No Docker daemon is needed: compose files are
// checked as data, and the suite configuration by the services' own parser.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Checks, YAML, configCheckPath, requireFile, sourceDir } from "./lib.mjs";

const t = new Checks("deploy_files_test");
const deploy = path.join(sourceDir, "deploy");
const read = (p) => fs.readFileSync(path.join(sourceDir, p), "utf8");
requireFile(configCheckPath || "(MCPAUTH_CONFIG_CHECK unset)", "build the mcpauth-suite-config-check target");

// --- the metrics the services export ----------------------------------------------------
const exported = new Map();  // name -> "counter" | "gauge" | "histogram"
function scan(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) scan(p);
    else if (/\.cc$/.test(e.name)) {
      const text = fs.readFileSync(p, "utf8");
      for (const m of text.matchAll(/Build(Counter|Gauge|Histogram)\(\)\s*\.Name\("(mcpauth_[a-z0-9_]+)"\)/g)) exported.set(m[2], m[1].toLowerCase());
    }
  }
}
for (const d of ["services", "gateway"]) scan(path.join(sourceDir, d));
t.ok(exported.size > 20, `${exported.size} metric families found in the sources`);
function knownMetric(name) {
  if (exported.has(name)) return true;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  return Boolean(m && exported.get(m[1]) === "histogram");
}
const metricsIn = (expr) => [...new Set(expr.match(/\bmcpauth_[a-z0-9_]+/g) ?? [])];

// --- compose ---------------------------------------------------------------------------
t.section("docker-compose.yml");
const compose = YAML.parse(read("deploy/docker-compose.yml"), { merge: true });
const services = compose.services ?? {};
for (const s of ["redis", "upstream", "token-validation", "scope-policy", "metadata", "gateway", "prometheus", "grafana"]) {
  t.ok(services[s], `service ${s}`);
}
const suite = YAML.parse(read("deploy/compose/mcpauth.yaml"));
const sections = { "token-validation": "token_validation", "scope-policy": "scope_policy", metadata: "metadata", gateway: "gateway" };
for (const [name, section] of Object.entries(sections)) {
  const s = services[name];
  if (!s) continue;
  t.equal(s.command?.slice(0, 2), [`mcpauth-${name}`, "--config"], `${name} runs mcpauth-${name} --config`);
  const configPath = s.command[2];
  const mount = (s.volumes ?? []).map((v) => v.split(":")).find(([, target]) => target === configPath);
  t.ok(mount && fs.existsSync(path.join(deploy, mount[0])), `${name}: its config ${configPath} is mounted from deploy/${mount?.[0]}`);
  t.ok(s.build?.dockerfile && fs.existsSync(path.join(deploy, s.build.context, s.build.dockerfile)), `${name}: built from ${s.build?.dockerfile}`);
  t.ok(s.user && !/^0(:|$)/.test(s.user) && s.read_only === true && JSON.stringify(s.cap_drop) === '["ALL"]',
    `${name}: non-root, read-only, no capabilities`);
  const grace = Number(String(s.stop_grace_period ?? "10s").replace(/s$/, ""));
  t.ok(grace > (suite[section]?.shutdown_grace ?? 10), `${name}: stop_grace_period ${grace} s > shutdown_grace`);
  if (name !== "gateway") {  // the others call the three gRPC services at their address
    const [host, port] = String(suite[section]?.address ?? "").split(":");
    t.ok(host === name && suite[section].listen.endsWith(`:${port}`), `${section}.address ${suite[section]?.address} is the compose service and its listen port`);
  }
}
{
  const r = spawnSync(configCheckPath, [path.join(deploy, "compose/mcpauth.yaml")], { encoding: "utf8" });
  t.equal(r.stdout.trim(), "ok", "deploy/compose/mcpauth.yaml passes the services' parser");
  const up = new URL(suite.gateway.routes[0].upstream);
  t.ok(services[up.hostname] && services[up.hostname].environment?.PORT === up.port, `the gateway's upstream ${up.host} is the upstream service`);
  const redis = new URL(suite.redis.url);
  t.ok(services[redis.hostname], `redis.url ${suite.redis.url} is the redis service`);
  const jwksFile = suite.jwt_validators[0].jwks_file;
  const tvMounts = services["token-validation"].volumes.map((v) => v.split(":"));
  const jwksMount = tvMounts.find(([, target]) => jwksFile.startsWith(`${target}/`));
  const keysVolumes = services.keys.volumes.map((v) => v.split(":"));
  const written = jwksMount && keysVolumes.find(([src]) => src === jwksMount[0]);
  t.ok(written && services.keys.command.join("\n").includes(`${written[1]}/${path.basename(jwksFile)}`),
    `jwks_file ${jwksFile} is written by the keys service into the volume token-validation mounts`);
  t.ok(!tvMounts.some(([src]) => keysVolumes.some(([k, target]) => k === src && target === "/keys")), "the services do not mount the private key's volume");
  const published = (services.gateway.ports ?? []).map(String);
  t.ok(published.includes(`127.0.0.1:${new URL(suite.resource).port}:${suite.gateway.listen.split(":")[1]}`),
    `the gateway is published on 127.0.0.1 at the resource's port (${suite.resource})`);
}

// --- the Dockerfile's build stage has the project's build dependencies ---------------------
t.section("Dockerfile");
{
  const dockerfile = read("deploy/Dockerfile");
  const setup = read("tools/setup");
  const setupPackages = (setup.match(/^build_packages=\(([\s\S]*?)\)/m)?.[1] ?? "").split(/\s+/).filter(Boolean);
  t.ok(setupPackages.includes("libgrpc++-dev"), `tools/setup's build_packages list was found (${setupPackages.length} packages)`);
  const buildStage = dockerfile.split(/^FROM /m).find((s) => / AS build$/m.test(s.split("\n")[0])) ?? "";
  for (const p of setupPackages) t.ok(new RegExp(`\\s${p.replace(/[+.]/g, "\\$&")}(\\s|\\\\|$)`).test(buildStage), `the build stage installs ${p} (tools/setup's list)`);
  t.ok(/-DBUILD_TESTING=OFF/.test(buildStage) && /-DMCPAUTH_BUILD_BENCHMARKS=OFF/.test(buildStage), "it builds without tests and benchmarks");
  t.ok(/^FROM debian:bookworm-slim AS runtime$/m.test(dockerfile), "the runtime stage is debian:bookworm-slim");
  t.ok(fs.existsSync(path.join(deploy, "Dockerfile.dockerignore")), "a Dockerfile.dockerignore keeps build trees and node_modules out of the context");
}

// --- Prometheus ----------------------------------------------------------------------------
t.section("prometheus.yml");
{
  const prom = YAML.parse(read("deploy/prometheus/prometheus.yml"));
  const targets = prom.scrape_configs.flatMap((j) => j.static_configs.flatMap((s) => s.targets));
  for (const [name, section] of Object.entries(sections)) {
    const port = suite[section].metrics_listen.split(":").pop();
    t.ok(targets.includes(`${name}:${port}`), `scrapes ${name}:${port} (its metrics_listen)`);
  }
  const mounts = services.prometheus.volumes.map((v) => v.split(":"));
  for (const rf of prom.rule_files) {
    const m = mounts.find(([, target]) => target === rf);
    t.ok(m && fs.existsSync(path.join(deploy, m[0])), `rule file ${rf} is mounted from deploy/${m?.[0]}`);
  }
  t.ok(mounts.some(([src, target]) => src === "./prometheus/prometheus.yml" && target === "/etc/prometheus/prometheus.yml"), "prometheus.yml is mounted");
}

// --- alert rules ---------------------------------------------------------------------------
t.section("alert rules");
{
  const text = read("deploy/prometheus/alerts.yml");
  t.equal(read("helm/mcpauth/files/alerts.yaml"), text, "the chart's files/alerts.yaml is the same file");
  const rules = YAML.parse(text).groups.flatMap((g) => g.rules);
  for (const r of rules) {
    t.ok(r.alert && r.expr && ["warning", "critical"].includes(r.labels?.severity) && r.annotations?.summary && r.annotations?.description,
      `${r.alert}: expr, severity, summary, description`);
    for (const m of metricsIn(r.expr)) t.ok(knownMetric(m), `${r.alert}: ${m} is exported by a service`);
  }
  const about = (re) => rules.some((r) => re.test(r.expr));
  t.ok(about(/mcpauth_jwks_fetches_total\{result!="success"\}/), "an alert for failing JWKS fetches");
  t.ok(about(/mcpauth_token_validations_total\{result="error"\}[\s\S]*\/[\s\S]*mcpauth_token_validations_total/), "an alert for the validation error ratio");
  t.ok(about(/mcpauth_redis_up\)? == 0/), "an alert for Redis down");
  t.ok(about(/histogram_quantile\(0\.99,.*mcpauth_token_validation_duration_seconds_bucket/), "an alert for p99 validation latency");
}

// --- Grafana ---------------------------------------------------------------------------------
t.section("Grafana dashboard");
{
  const text = read("deploy/grafana/mcpauth-dashboard.json");
  t.equal(read("helm/mcpauth/files/dashboard.json"), text, "the chart's files/dashboard.json is the same file");
  const dash = JSON.parse(text);
  const panels = dash.panels.filter((p) => p.type !== "row");
  t.equal(new Set(dash.panels.map((p) => p.id)).size, dash.panels.length, "panel ids are unique");
  t.ok(panels.every((p) => p.gridPos && p.targets?.length && p.targets.every((x) => x.expr && x.datasource?.uid === "${datasource}")),
    "every panel has a position and queries the dashboard's datasource variable");
  const exprs = panels.flatMap((p) => p.targets.map((x) => x.expr));
  for (const m of new Set(exprs.flatMap(metricsIn))) t.ok(knownMetric(m), `${m} is exported by a service`);
  const shows = (re) => exprs.some((e) => re.test(e));
  t.ok(shows(/by \(result\).*mcpauth_token_validations_total/) && shows(/by \(reason\).*mcpauth_token_validations_total/), "validations by result and by reason");
  t.ok(shows(/mcpauth_token_validation_duration_seconds_bucket/), "validation latency");
  t.ok(shows(/mcpauth_jwks_fetches_total/), "JWKS fetches (failures)");
  t.ok(shows(/mcpauth_cache_requests_total\{result=~"hit\|shared_hit"\}.*\/.*mcpauth_cache_requests_total/), "cache hit ratio");
  t.ok(shows(/mcpauth_gateway_denials_total/) && shows(/mcpauth_policy_decisions_total/), "denials");
  t.ok(shows(/by \(status\).*mcpauth_gateway_requests_total/), "gateway status codes");
  t.ok(shows(/mcpauth_gateway_open_streams/), "open streams");
  const templ = dash.templating.list.find((v) => v.name === "datasource");
  t.ok(templ?.type === "datasource" && templ.query === "prometheus", "a Prometheus datasource variable");
  const provider = YAML.parse(read("deploy/grafana/provisioning/dashboards/mcpauth.yml")).providers[0];
  const dashMount = services.grafana.volumes.map((v) => v.split(":")).find(([src]) => src === "./grafana/mcpauth-dashboard.json");
  t.ok(dashMount && path.dirname(dashMount[1]) === provider.options.path, "the provisioned dashboards folder holds the mounted dashboard");
  const ds = YAML.parse(read("deploy/grafana/provisioning/datasources/prometheus.yml")).datasources[0];
  t.ok(services[new URL(ds.url).hostname] && ds.type === "prometheus", "the Grafana datasource is the compose Prometheus");
}
t.finish();
