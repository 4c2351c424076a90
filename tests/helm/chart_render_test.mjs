// The chart without a cluster: helm lint --strict, then helm template for the default
// values and several value sets, each rendered object validated as the API server
// would (k8s_validate.mjs), each rendered suite configuration parsed by the services'
// own parser (mcpauth-suite-config-check), and the chart's promises checked on the
// objects (security, probes, ports, addresses, mounts, scaling, monitoring). Then bad
// values, each of which helm must refuse with a message naming the problem.
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  Checks, YAML, chartDir, configCheckPath, find, helm, ofKind, renderChart, requireFile, requireHelm, sourceDir,
  valuesDir,
} from "./lib.mjs";
import { validateObject } from "./k8s_validate.mjs";

requireHelm();
requireFile(configCheckPath || "(MCPAUTH_CONFIG_CHECK unset)", "build the mcpauth-suite-config-check target (ninja -C BUILD mcpauth-suite-config-check)");
const t = new Checks("helm_chart_render_test");
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "mcpauth-chart-render-"));
process.on("exit", () => fs.rmSync(scratch, { recursive: true, force: true }));

const components = {
  "token-validation": { section: "token_validation", health: "mcpauth.v1.TokenValidation", grpc: true },
  "scope-policy": { section: "scope_policy", health: "mcpauth.v1.ScopePolicy", grpc: true },
  metadata: { section: "metadata", health: "mcpauth.v1.Metadata", grpc: true },
  gateway: { section: "gateway", grpc: false },
  // Only with credentials.enabled.
  credentials: { section: "credentials", health: "mcpauth.v1.Credentials", grpc: true, optional: true },
};
const ns = "mcpauth";
const full = "rel-mcpauth";

// --- helpers over rendered objects ----------------------------------------------------

const matches = (selector, labels) =>
  Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels?.[k] === v) &&
  (selector.matchExpressions ?? []).every((e) =>
    e.operator === "In" ? e.values.includes(labels?.[e.key])
      : e.operator === "NotIn" ? !e.values.includes(labels?.[e.key])
      : e.operator === "Exists" ? labels?.[e.key] !== undefined
      : labels?.[e.key] === undefined);

const workloads = (objs) => objs.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet");

// The file a container sees at `file`: {volume, key} from its mounts, or an error text.
function mountedFile(objs, podSpec, container, file) {
  const mount = (container.volumeMounts ?? [])
    .filter((m) => file.startsWith(`${m.mountPath}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  if (!mount) return { error: `${file} is under no mount of container ${container.name}` };
  const volume = (podSpec.volumes ?? []).find((v) => v.name === mount.name);
  if (!volume) return { error: `mount ${mount.name} has no volume` };
  const rel = file.slice(mount.mountPath.length + 1);
  if (volume.projected) {
    // A projected volume: the source that puts `rel` there.
    for (const s of volume.projected.sources ?? []) {
      const from = s.secret ?? s.configMap;
      const item = (from?.items ?? []).find((i) => i.path === rel);
      if (item) {
        const kind = s.secret ? "Secret" : "ConfigMap";
        return { volume, kind, name: from.name, key: item.key, subPath: mount.subPath, object: find(objs, kind, from.name) };
      }
    }
    return { error: `${file}: projected volume ${volume.name} projects no ${rel}` };
  }
  const source = volume.configMap ?? volume.secret;
  if (!source) return { error: `${file}: volume ${volume.name} is not a ConfigMap or Secret` };
  const item = (source.items ?? []).find((i) => i.path === rel);
  if (source.items && !item) return { error: `${file}: volume ${volume.name} projects no ${rel}` };
  const key = item ? item.key : rel;
  const kind = volume.configMap ? "ConfigMap" : "Secret";
  const name = volume.configMap ? volume.configMap.name : volume.secret.secretName;
  return { volume, kind, name, key, subPath: mount.subPath, object: find(objs, kind, name) };
}

function suiteConfig(objs) {
  const cm = find(objs, "ConfigMap", `${full}-config`);
  return { text: cm?.data?.["mcpauth.yaml"], config: YAML.parse(cm?.data?.["mcpauth.yaml"] ?? "{}") };
}

function runConfigCheck(name, configText, policyText) {
  const dir = fs.mkdtempSync(path.join(scratch, `${name}-`));
  fs.writeFileSync(path.join(dir, "mcpauth.yaml"), configText);
  const args = [path.join(dir, "mcpauth.yaml")];
  if (policyText !== undefined) {
    fs.writeFileSync(path.join(dir, "policy.yaml"), policyText);
    args.push(path.join(dir, "policy.yaml"));
  }
  const r = spawnSync(configCheckPath, args, { encoding: "utf8" });
  return `${r.stdout}${r.stderr}`.trim();
}

// --- what every rendering must satisfy ------------------------------------------------

function checkRendering(label, objs, values) {
  t.section(`${label}: Kubernetes schemas (kubernetes-models, unknown fields refused; CRDs by shape)`);
  for (const o of objs) {
    const errors = validateObject(o);
    t.ok(errors.length === 0, `${o.kind} ${o.metadata?.name} is valid`, errors.join("\n"));
  }
  t.ok(objs.every((o) => o.metadata?.name?.length <= 63), "every name fits in 63 characters");

  t.section(`${label}: the suite configuration`);
  const { text, config } = suiteConfig(objs);
  t.ok(typeof text === "string", "the config ConfigMap holds mcpauth.yaml");
  let policyText;
  if (config.policy_file) {
    const cm = find(objs, "ConfigMap", `${full}-policy`);
    policyText = cm?.data?.[path.basename(config.policy_file)];
    t.ok(policyText !== undefined, `the policy ConfigMap holds ${path.basename(config.policy_file)}`);
    for (const key of ["tools", "resources", "prompts", "policy"]) t.ok(!(key in config), `policy file mode: no ${key} in the main file`);
  }
  t.equal(runConfigCheck(label, text, policyText), "ok", "the services' parser accepts the rendered configuration (and its policy)");
  t.equal(config.resource, values.resource ?? "https://mcp.example.com/mcp", "resource is the value given");

  for (const [component, meta] of Object.entries(components)) {
    const name = `${full}-${component}`;
    const dep = find(objs, "Deployment", name);
    const svc = find(objs, "Service", name);
    if (meta.optional && !values.credentials?.enabled) {
      t.ok(!dep && !svc && !(meta.section in config), `${component}: not deployed unless enabled`);
      continue;
    }
    t.section(`${label}: ${component}`);
    if (!t.ok(dep && svc, "a Deployment and a Service")) continue;
    const pod = dep.spec.template.spec;
    const c = pod.containers[0];
    const section = config[meta.section];
    // Security.
    t.ok(pod.securityContext?.runAsNonRoot === true && pod.securityContext?.seccompProfile?.type === "RuntimeDefault",
      "pod: non-root, seccomp RuntimeDefault");
    t.ok(pod.automountServiceAccountToken === false, "no service-account token mounted");
    t.ok(c.securityContext?.readOnlyRootFilesystem === true && c.securityContext?.allowPrivilegeEscalation === false &&
      JSON.stringify(c.securityContext?.capabilities?.drop) === '["ALL"]', "container: read-only root, no escalation, all capabilities dropped");
    t.ok(c.resources?.requests?.cpu && c.resources?.requests?.memory && c.resources?.limits?.memory, "resource requests and limits");
    // Command: the binary in /usr/local/bin with the mounted config.
    t.equal(c.command, [`/usr/local/bin/mcpauth-${component}`], "runs its binary from /usr/local/bin");
    const configArg = c.args?.[c.args.indexOf("--config") + 1];
    const configMount = mountedFile(objs, pod, c, configArg ?? "");
    t.ok(configMount.object?.data?.[configMount.key] === text && !configMount.subPath,
      `--config ${configArg} is the rendered ConfigMap, mounted as a directory`, configMount.error);
    // Ports, listen addresses and the address the others use.
    const port = c.ports.find((p) => p.name === (meta.grpc ? "grpc" : "http"));
    const metrics = c.ports.find((p) => p.name === "metrics");
    t.ok(port && metrics, `ports named ${meta.grpc ? "grpc" : "http"} and metrics`);
    t.equal(section.listen, `0.0.0.0:${port?.containerPort}`, `${meta.section}.listen binds the container port`);
    t.equal(section.metrics_listen, `0.0.0.0:${metrics?.containerPort}`, `${meta.section}.metrics_listen binds the metrics port`);
    const svcPort = svc.spec.ports.find((p) => p.name === (meta.grpc ? "grpc" : "http"));
    t.equal(section.address, `${name}.${ns}.svc.cluster.local:${svcPort?.port}`, `${meta.section}.address is the Service's DNS name and port`);
    t.ok(svcPort?.targetPort === port?.name && svc.spec.ports.some((p) => p.name === "metrics" && p.targetPort === "metrics"),
      "the Service targets the named ports");
    t.equal(workloads(objs).filter((w) => matches({ matchLabels: svc.spec.selector }, w.spec.template.metadata.labels)).map((w) => w.metadata.name),
      [name], "the Service selects this Deployment's pods only");
    t.ok(matches(dep.spec.selector, dep.spec.template.metadata.labels), "the Deployment selects its own pod template");
    // Metrics annotations.
    const ann = dep.spec.template.metadata.annotations ?? {};
    if (values.metrics?.podAnnotations !== false) {
      t.ok(ann["prometheus.io/scrape"] === "true" && ann["prometheus.io/port"] === String(metrics?.containerPort) && ann["prometheus.io/path"] === "/metrics",
        "prometheus.io annotations name the metrics port");
    }
    t.ok(/^[0-9a-f]{64}$/.test(ann["checksum/config"] ?? ""), "checksum/config annotation");
    // Probes. With TLS on the gRPC port, kubelet (which speaks no TLS) probes the
    // plaintext health-only port that health_listen binds.
    if (meta.grpc) {
      const health = c.ports.find((p) => p.name === "grpc-health");
      if (section.tls) {
        t.equal(section.health_listen, `0.0.0.0:${health?.containerPort}`, `TLS on: ${meta.section}.health_listen binds the grpc-health port`);
      } else {
        t.ok(!health && !section.health_listen, "TLS off: no separate health port");
      }
      const probePort = (section.tls ? health : port)?.containerPort;
      for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
        t.ok(c[probe]?.grpc?.port === probePort, `${probe}: native gRPC probe on the ${section.tls ? "grpc-health" : "gRPC"} port`);
      }
      t.equal(c.readinessProbe.grpc.service, meta.health, `readiness asks grpc.health.v1 for ${meta.health}`);
      t.equal(c.startupProbe.grpc.service, meta.health, `startup asks grpc.health.v1 for ${meta.health}`);
    } else {
      t.ok(c.startupProbe?.httpGet?.path === "/healthz" && c.livenessProbe?.httpGet?.path === "/healthz" &&
        c.readinessProbe?.httpGet?.path === "/readyz" && [c.startupProbe, c.livenessProbe, c.readinessProbe].every((p) => p.httpGet.port === "http"),
        "HTTP probes: /healthz (startup, liveness), /readyz (readiness) on the http port");
      const scheme = section.tls ? "HTTPS" : "HTTP";
      t.ok([c.startupProbe, c.livenessProbe, c.readinessProbe].every((p) => (p.httpGet.scheme ?? "HTTP") === scheme),
        `the probes speak ${scheme}${section.tls ? " (gateway.tls is on)" : ""}`);
    }
    // Graceful termination: longer than the preStop pause plus the drain.
    const preStop = Number(c.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
    t.ok(pod.terminationGracePeriodSeconds > preStop + section.shutdown_grace,
      `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} > preStop ${preStop} s + shutdown_grace ${section.shutdown_grace} s`);
    // Files named in the configuration are mounted where the config says.
    const needs = [];
    if (config.redis?.password_file && component !== "scope-policy") needs.push(config.redis.password_file);
    if (config.policy_file && component === "scope-policy") needs.push(config.policy_file);
    if (component === "token-validation") {
      for (const v of config.jwt_validators ?? []) if (v.jwks_file) needs.push(v.jwks_file);
      if (config.authorization?.dpop_nonce_secret_file) needs.push(config.authorization.dpop_nonce_secret_file);
      for (const v of config.jwt_validators ?? []) if (v.introspection) needs.push(v.introspection.client_secret_file);
    }
    if (component === "credentials") needs.push(...section.key_files, section.record_secret_file, section.grant_keys_file);
    if (component === "gateway" && section.credentials) needs.push(section.credentials.grant_key_file);
    // Certificates: the component's own server files, every service's client files
    // (the same paths in every pod, each pod mounting its own certificate there), the
    // gateway's and its routes', and Redis's.
    const tlsFiles = (o) => ["cert_file", "key_file", "client_ca_file", "ca_file"].map((k) => o?.[k]).filter(Boolean);
    needs.push(...tlsFiles(section.tls));
    if (component !== "scope-policy") {
      needs.push(...tlsFiles(config.redis?.tls));
      if (config.redis?.sentinel?.password_file) needs.push(config.redis.sentinel.password_file);
    }
    for (const other of Object.values(components)) needs.push(...tlsFiles(config[other.section]?.client_tls));
    if (component === "gateway") for (const r of section.routes ?? []) needs.push(...tlsFiles(r.upstream_tls));
    // Secrets the chart does not render: the user's, or cert-manager's (named by a Certificate).
    const external = [values.redis?.external?.existingSecret, values.redis?.auth?.existingSecret, values.dpopNonceSecret?.existingSecret,
      values.policyFile?.existingConfigMap, values.redis?.external?.sentinel?.existingSecret, values.redis?.tls?.caSecret,
      values.redis?.tls?.clientCertSecret, values.tls?.gateway?.clientCaSecret, values.tls?.upstream?.caSecret,
      values.tls?.upstream?.clientCertSecret, values.tls?.gateway?.secret, values.redis?.tls?.secret,
      ...Object.values(values.tls?.internal?.secrets ?? {}),
      ...(values.jwt_validators ?? []).map((v) => v.introspection?.clientSecret?.existingSecret),
      values.credentials?.keySecret?.existingSecret, values.credentials?.recordSecret?.existingSecret,
      values.credentials?.grantKeySecret?.existingSecret,
      ...ofKind(objs, "Certificate").map((cert) => cert.spec.secretName)].filter(Boolean);
    for (const file of new Set(needs)) {
      const m = mountedFile(objs, pod, c, file);
      const existing = external.includes(m.name);
      t.ok(!m.error && !m.subPath && (existing || (m.object && (m.object.data?.[m.key] !== undefined))),
        `${file} is mounted from ${m.kind ?? "?"} ${m.name ?? "?"} key ${m.key ?? "?"}${existing ? " (an existing object)" : ""}`, m.error);
    }
    // Scaling and availability.
    const hpa = find(objs, "HorizontalPodAutoscaler", name);
    const key = { "token-validation": "tokenValidation", "scope-policy": "scopePolicy", metadata: "metadata", gateway: "gateway" }[component];
    const autoscaling = values[key]?.autoscaling?.enabled === true;
    t.ok(autoscaling ? hpa?.spec.scaleTargetRef.name === name && dep.spec.replicas === undefined : !hpa && dep.spec.replicas >= 1,
      autoscaling ? "an HPA scales it (replicas left to the HPA)" : "fixed replicas, no HPA");
    const pdb = find(objs, "PodDisruptionBudget", name);
    t.ok(pdb && matches(pdb.spec.selector, dep.spec.template.metadata.labels), "a PodDisruptionBudget covers its pods");
    t.ok((pod.topologySpreadConstraints ?? []).length > 0 &&
      pod.topologySpreadConstraints.every((s) => matches(s.labelSelector, dep.spec.template.metadata.labels)), "topology spread over its own pods");
    // NetworkPolicy.
    const np = find(objs, "NetworkPolicy", name);
    if (values.networkPolicy?.enabled !== false && t.ok(np && matches(np.spec.podSelector, dep.spec.template.metadata.labels), "a NetworkPolicy applies to its pods")) {
      const rule = np.spec.ingress.find((r) => r.ports.some((p) => p.port === port.containerPort));
      if (meta.grpc) {
        const gatewayLabels = find(objs, "Deployment", `${full}-gateway`).spec.template.metadata.labels;
        const redisLabels = find(objs, "StatefulSet", `${full}-redis`)?.spec.template.metadata.labels ?? { "app.kubernetes.io/component": "redis", "app.kubernetes.io/instance": "rel" };
        const admits = (labels) => rule.from.some((peer) => peer.podSelector && !peer.namespaceSelector && matches(peer.podSelector, labels));
        t.ok(admits(gatewayLabels), "the gRPC port admits the gateway");
        if (component === "credentials") {
          t.ok(!admits({ "mcpauth.io/backend": "true" }), "the credentials API does not admit the backends");
        } else {
          t.ok(admits({ "mcpauth.io/backend": "true" }), "the gRPC port admits pods labelled mcpauth.io/backend=true");
        }
        t.equal(rule.from.some((peer) => peer.namespaceSelector && matches(peer.namespaceSelector, { "mcpauth.io/backend": "true" })),
          component !== "credentials", component !== "credentials" ? "and namespaces labelled so" : "nor namespaces labelled so");
        const metadataLabels = find(objs, "Deployment", `${full}-metadata`).spec.template.metadata.labels;
        t.equal(admits(metadataLabels), component === "scope-policy",
          component === "scope-policy" ? "scope-policy admits the metadata service (its policy stream)" : "the metadata service is not admitted");
        t.ok(!admits(redisLabels) && !admits({ app: "anything-else" }), "and nothing else");
      }
      t.ok(np.spec.ingress.some((r) => r.ports.some((p) => p.port === metrics.containerPort)), "the metrics port is reachable for scraping");
    }
  }

  t.section(`${label}: Redis`);
  const mode = values.redis?.enabled === false ? "none"
    : values.redis?.external?.url || values.redis?.external?.sentinel?.masterName ? "external" : "builtin";
  const sts = find(objs, "StatefulSet", `${full}-redis`);
  if (mode === "builtin") {
    const c = sts?.spec.template.spec.containers[0];
    const redisSvc = find(objs, "Service", `${full}-redis`);
    const scheme = values.redis?.tls?.enabled ? "rediss" : "redis";
    t.equal(config.redis?.url, `${scheme}://${full}-redis.${ns}.svc.cluster.local:${redisSvc?.spec.ports[0].port}/0`,
      `redis.url is the built-in Redis Service${scheme === "rediss" ? " over TLS" : ""}`);
    const env = c?.env?.find((e) => e.name === "REDIS_PASSWORD")?.valueFrom?.secretKeyRef;
    const secret = env && find(objs, "Secret", env.name);
    t.ok(secret?.data?.[env.key] && c.args.join(" ").includes("--requirepass $(REDIS_PASSWORD)"), "the built-in Redis requires the password from the Secret");
    t.ok(sts.spec.template.spec.securityContext?.runAsNonRoot && c.securityContext?.readOnlyRootFilesystem, "Redis: non-root, read-only root");
    t.equal(Boolean(sts.spec.volumeClaimTemplates), values.redis?.persistence?.enabled === true, "Redis persistence as configured");
    const np = find(objs, "NetworkPolicy", `${full}-redis`);
    if (np) {
      const admits = (component) => np.spec.ingress[0].from.some((p) => matches(p.podSelector, find(objs, "Deployment", `${full}-${component}`).spec.template.metadata.labels));
      t.ok(admits("token-validation") && admits("metadata") && admits("gateway") && !admits("scope-policy"),
        "only token-validation, metadata and the gateway (which use it) reach Redis");
    }
  } else {
    t.ok(!sts && !find(objs, "Service", `${full}-redis`), "no built-in Redis");
    if (values.redis?.external?.sentinel?.masterName) {
      t.equal([config.redis?.url, config.redis?.sentinel?.master_name, config.redis?.sentinel?.addresses],
        [undefined, values.redis.external.sentinel.masterName, values.redis.external.sentinel.addresses], "redis.sentinel names the master and the sentinels");
    } else {
      t.equal(config.redis?.url, mode === "external" ? values.redis.external.url : undefined, mode === "external" ? "redis.url is the external URL" : "no redis section");
    }
  }

  const testPod = objs.find((o) => o.kind === "Pod" && o.metadata.annotations?.["helm.sh/hook"] === "test");
  t.section(`${label}: helm test pod`);
  if (config.gateway?.tls?.client_ca_file) {
    t.ok(!testPod, "mutual TLS at the gateway: no helm test pod (it has no client certificate)");
  } else if (t.ok(testPod, "a helm test pod")) {
    const env = Object.fromEntries(testPod.spec.containers[0].env.map((e) => [e.name, e.value]));
    const gw = find(objs, "Service", `${full}-gateway`);
    const scheme = config.gateway?.tls ? "https" : "http";
    t.equal(env.GATEWAY_URL, `${scheme}://${full}-gateway.${ns}.svc.cluster.local:${gw.spec.ports[0].port}`, `it calls the gateway Service (${scheme})`);
    if (scheme === "https") {
      const m = mountedFile(objs, testPod.spec, testPod.spec.containers[0], env.CURL_CA_BUNDLE ?? "");
      t.ok(!m.error && m.name === `${full}-gateway-https` && m.key === "ca.crt", "and checks its certificate with the CA from the gateway's Secret", m.error);
    }
    t.ok(testPod.spec.containers[0].securityContext?.readOnlyRootFilesystem && testPod.spec.securityContext?.runAsNonRoot, "it runs locked down too");
  }
  return { config, text };
}

// --- lint and the value sets -----------------------------------------------------------

t.section("helm lint --strict");
const sets = [
  ["default values", []],
  ["external Redis", ["external-redis.yaml"]],
  ["HA (HPA, PDB, spreading, persistent Redis)", ["ha.yaml"]],
  ["monitoring on (ServiceMonitor, PrometheusRule, dashboard, Ingress)", ["monitoring.yaml"]],
  ["DPoP on (required, nonces, inline JWKS)", ["dpop.yaml"]],
  ["opaque tokens by introspection", ["introspection.yaml"]],
  ["credential isolation (mcpauth-credentials)", ["credentials.yaml"]],
  ["policy file mode", ["policy-file.yaml"]],
  ["no Redis", ["no-redis.yaml"]],
  ["TLS everywhere (cert-manager, mutual TLS, gateway HTTPS, Redis TLS, https upstream)", ["tls.yaml"]],
  ["external Redis Sentinel over TLS, user-made Secrets", ["sentinel-tls.yaml"]],
  ["authorizer mode (ext_authz and forward-auth, no upstream)", ["authorizer.yaml"]],
];
for (const [label, files] of sets) {
  const r = helm(["lint", "--strict", chartDir, ...files.flatMap((f) => ["--values", path.join(valuesDir, f)])]);
  t.ok(r.status === 0 && /0 chart\(s\) failed/.test(r.stdout), `helm lint --strict (${label})`, r.stdout + r.stderr);
}

const rendered = {};
for (const [label, files] of sets) {
  const valuesFiles = files.map((f) => path.join(valuesDir, f));
  const values = Object.assign({}, ...valuesFiles.map((f) => YAML.parse(fs.readFileSync(f, "utf8"))));
  let objs;
  try {
    objs = renderChart({ valuesFiles, namespace: ns });
  } catch (e) {
    t.ok(false, `helm template (${label})`, e.message);
    continue;
  }
  t.ok(objs.length > 0, `helm template (${label}): ${objs.length} objects`);
  rendered[label] = { objs, values, ...checkRendering(label, objs, values) };
}

// --- what each value set is about ------------------------------------------------------

t.section("default values");
{
  const { objs, config } = rendered["default values"];
  const kinds = objs.map((o) => o.kind);
  t.ok(!kinds.includes("ServiceMonitor") && !kinds.includes("PrometheusRule") && !kinds.includes("Ingress") && !kinds.includes("HorizontalPodAutoscaler"),
    "ServiceMonitor, PrometheusRule, Ingress and HPAs are off by default");
  t.equal(config.authorization.enabled, true, "authorization is on");
  t.ok(!("authorization_servers" in config.authorization), "authorization_servers left to the service's default (validators' issuers, else the seed's)");
  const sa = ofKind(objs, "ServiceAccount")[0];
  t.ok(sa?.automountServiceAccountToken === false, "the ServiceAccount does not automount tokens");
}

t.section("external Redis");
{
  const { objs, config } = rendered["external Redis"];
  t.equal(config.redis.password_file, "/etc/mcpauth/secrets/redis/password", "password_file points at the mounted Secret");
  const tv = find(objs, "Deployment", `${full}-token-validation`).spec.template.spec;
  const vol = tv.volumes.find((v) => v.secret);
  t.equal(vol?.secret, { secretName: "shared-redis", defaultMode: 0o440, items: [{ key: "password", path: "password" }] }, "the user's Secret and key are mounted");
  t.ok(!ofKind(objs, "Secret").length, "the chart creates no Secret for an external Redis");
  t.equal(config.jwt_validators[0].audience, ["https://mcp.corp.example/tools/mcp", "api://mcp-tools"], "validators pass through");
  t.equal(config.gateway.routes[0].path, "/tools/mcp", "the route");
  const testEnv = Object.fromEntries(objs.find((o) => o.kind === "Pod").spec.containers[0].env.map((e) => [e.name, e.value]));
  t.equal([testEnv.MCP_PATH, testEnv.METADATA_PATH], ["/tools/mcp", "/.well-known/oauth-protected-resource/tools/mcp"], "the test pod probes the route and its path-inserted metadata URL");
}

t.section("HA");
{
  const { objs, config } = rendered["HA (HPA, PDB, spreading, persistent Redis)"];
  t.equal(ofKind(objs, "HorizontalPodAutoscaler").map((h) => h.metadata.name).sort(),
    [`${full}-gateway`, `${full}-metadata`, `${full}-token-validation`], "HPAs for the services that enable them");
  const tvHpa = find(objs, "HorizontalPodAutoscaler", `${full}-token-validation`);
  t.equal(tvHpa.spec.metrics.map((m) => m.resource.name), ["cpu", "memory"], "CPU and memory targets");
  t.equal(find(objs, "PodDisruptionBudget", `${full}-gateway`).spec, {
    minAvailable: "50%", selector: find(objs, "Deployment", `${full}-gateway`).spec.selector }, "gateway PDB minAvailable 50%");
  t.equal(find(objs, "PodDisruptionBudget", `${full}-token-validation`).spec.minAvailable, 2, "token-validation PDB minAvailable 2");
  t.equal(find(objs, "Deployment", `${full}-scope-policy`).spec.replicas, 3, "scope-policy: 3 replicas");
  t.equal(find(objs, "Deployment", `${full}-token-validation`).spec.template.spec.terminationGracePeriodSeconds, 45, "an explicit grace period is kept");
  t.equal(find(objs, "Deployment", `${full}-gateway`).spec.template.spec.terminationGracePeriodSeconds, 40, "a default grace period follows shutdownGrace (30 + 5 + 5)");
  t.equal(config.token_validation.token_cache_size, 50000, "service config keys pass through");
  t.equal(config.gateway.limits, { max_streams: 50000, upstream_timeout: 120 }, "gateway limits pass through");
  t.ok(find(objs, "Deployment", `${full}-gateway`).spec.template.spec.topologySpreadConstraints.every((s) => s.whenUnsatisfiable === "DoNotSchedule"), "hard spreading");
  t.equal(find(objs, "StatefulSet", `${full}-redis`).spec.volumeClaimTemplates[0].spec.storageClassName, "fast-ssd", "persistent Redis volume");
  t.equal(Buffer.from(find(objs, "Secret", `${full}-redis`).data["redis-password"], "base64").toString(), "not-a-real-password-only-for-the-test", "a given Redis password is used");
}

t.section("monitoring on");
{
  const { objs } = rendered["monitoring on (ServiceMonitor, PrometheusRule, dashboard, Ingress)"];
  const sm = ofKind(objs, "ServiceMonitor")[0];
  const selected = ofKind(objs, "Service").filter((s) => matches(sm.spec.selector, s.metadata.labels)).map((s) => s.metadata.name).sort();
  t.equal(selected, Object.keys(components).filter((c) => !components[c].optional).map((c) => `${full}-${c}`).sort(),
    "the ServiceMonitor selects the four services (not Redis)");
  t.ok(ofKind(objs, "Service").filter((s) => selected.includes(s.metadata.name)).every((s) => s.spec.ports.some((p) => p.name === sm.spec.endpoints[0].port)),
    "each selected Service has the scraped port");
  t.equal(sm.metadata.labels.release, "kube-prometheus-stack", "ServiceMonitor labels for the Prometheus selector");
  const rule = ofKind(objs, "PrometheusRule")[0];
  const alerts = YAML.parse(fs.readFileSync(path.join(sourceDir, "deploy/prometheus/alerts.yml"), "utf8"));
  t.equal(rule.spec, alerts, "the PrometheusRule carries deploy/prometheus/alerts.yml");
  const dash = find(objs, "ConfigMap", `${full}-dashboard`);
  t.equal(JSON.parse(dash.data["mcpauth-dashboard.json"]), JSON.parse(fs.readFileSync(path.join(sourceDir, "deploy/grafana/mcpauth-dashboard.json"), "utf8")),
    "the dashboard ConfigMap carries deploy/grafana/mcpauth-dashboard.json");
  t.equal(dash.metadata.labels.grafana_dashboard, "1", "labelled for Grafana's sidecar");
  const ing = ofKind(objs, "Ingress")[0];
  const gw = find(objs, "Service", `${full}-gateway`);
  t.equal(ing.spec.rules.map((r) => [r.host, r.http.paths[0].backend.service.name, r.http.paths[0].backend.service.port.number]),
    [["mcp.example.org", gw.metadata.name, gw.spec.ports[0].port]], "the Ingress routes the resource's host to the gateway Service");
  const np = find(objs, "NetworkPolicy", `${full}-token-validation`);
  t.ok(np.spec.ingress.some((r) => r.ports[0].port === 9101 && r.from?.[0]?.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === "monitoring"),
    "metricsFrom restricts who scrapes");
  const gwNp = find(objs, "NetworkPolicy", `${full}-gateway`);
  const testLabels = objs.find((o) => o.kind === "Pod").metadata.labels;
  const mcpRule = gwNp.spec.ingress.find((r) => r.ports[0].port === 8080);
  t.ok(mcpRule.from.some((p) => p.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === "ingress-nginx") &&
    mcpRule.from.some((p) => p.podSelector && !p.namespaceSelector && matches(p.podSelector, testLabels)) &&
    !mcpRule.from.some((p) => p.podSelector && !p.namespaceSelector && matches(p.podSelector, { app: "other" })),
    "gatewayFrom restricts the MCP port to the ingress controller and the helm test pod");
}

t.section("opaque tokens by introspection");
{
  const { objs, config } = rendered["opaque tokens by introspection"];
  t.equal(config.jwt_validators[0], { issuer: "https://login.example.com",
    introspection: { client_id: "mcpauth", cache_ttl: 30, client_secret_file: "/etc/mcpauth/secrets/introspection/secret" } },
  "the validator reads the mounted client secret as client_secret_file (clientSecret is the chart's)");
  const volumesOf = (name) => find(objs, "Deployment", `${full}-${name}`).spec.template.spec.volumes ?? [];
  const secretVolume = volumesOf("token-validation").find((v) => v.name === "introspection-secret");
  t.equal(secretVolume?.secret, { secretName: "mcpauth-introspection", defaultMode: 288, items: [{ key: "client-secret", path: "secret" }] },
    "token-validation mounts the user's Secret (key client-secret by default), read-only for the group");
  for (const other of ["gateway", "scope-policy", "metadata"]) {
    t.ok(!volumesOf(other).some((v) => v.secret?.secretName === "mcpauth-introspection"), `${other} never mounts the introspection secret`);
  }
}

t.section("credential isolation");
{
  const { objs, config } = rendered["credential isolation (mcpauth-credentials)"];
  const name = `${full}-credentials`;
  const c = find(objs, "Deployment", name).spec.template.spec.containers[0];
  const egress = c.ports.find((p) => p.name === "egress");
  t.equal(config.credentials.egress_listen, `0.0.0.0:${egress?.containerPort}`, "credentials.egress_listen binds the egress container port");
  const svcEgress = find(objs, "Service", name).spec.ports.find((p) => p.name === "egress");
  t.equal(config.credentials.egress_address, `${name}.${ns}.svc.cluster.local:${svcEgress?.port}`, "egress_address is the Service's egress port");
  t.equal(config.gateway.credentials, { grant_key_file: "/etc/mcpauth/grant/grant-key.json", grant_ttl: 30, grant_max_uses: 4 },
    "the gateway signs grants with the mounted key, for the values' ttl and uses");
  t.equal(config.credentials.egress_timeout, 5, "credentials.config reaches the section");
  // Only the gateway holds the private grant key; only the credentials service its own keys.
  const secretsOf = (component) => (find(objs, "Deployment", `${full}-${component}`).spec.template.spec.volumes ?? [])
    .flatMap((v) => [v.secret?.secretName, ...(v.projected?.sources ?? []).map((s) => s.secret?.name)]).filter(Boolean);
  t.ok(secretsOf("gateway").includes("mcpauth-grant-key") && !secretsOf("gateway").includes("mcpauth-credentials-key"),
    "the gateway mounts the grant key, not the credentials key");
  t.ok(["mcpauth-credentials-key", "mcpauth-credentials-record", "mcpauth-grant-key"].every((s) => secretsOf("credentials").includes(s)),
    "the credentials service mounts its key, the record secret and the grant keys");
  for (const other of ["token-validation", "scope-policy", "metadata"]) {
    t.ok(!secretsOf(other).some((s) => s.startsWith("mcpauth-credentials") || s === "mcpauth-grant-key"), `${other} mounts none of them`);
  }
  const grantVolume = find(objs, "Deployment", `${full}-gateway`).spec.template.spec.volumes.find((v) => v.name === "grant-key");
  t.equal(grantVolume?.secret?.items, [{ key: "grant-key.json", path: "grant-key.json" }], "the gateway mounts only the private key item");
  // NetworkPolicy: the API from the gateway only; the egress port from the MCP servers.
  const np = find(objs, "NetworkPolicy", name);
  const api = np.spec.ingress.find((r) => r.ports.some((p) => p.port === config.credentials.listen.split(":")[1] * 1));
  t.ok(api && api.from.length === 1 && matches(api.from[0].podSelector, { "app.kubernetes.io/name": "mcpauth", "app.kubernetes.io/instance": "rel", "app.kubernetes.io/component": "gateway" }),
    "the credentials API admits the gateway only (not the backends that may call token-validation)");
  const egressRule = np.spec.ingress.find((r) => r.ports.some((p) => p.port === egress?.containerPort));
  t.equal(egressRule?.from, [{ podSelector: { matchLabels: { app: "my-mcp-server" } } }], "the egress port admits credentialsEgressFrom");
}

t.section("DPoP on");
{
  const { objs, config } = rendered["DPoP on (required, nonces, inline JWKS)"];
  t.ok(config.authorization.dpop_required === true && config.authorization.dpop_nonce === true, "dpop_required and dpop_nonce");
  t.equal(config.authorization.dpop_nonce_secret_file, "/etc/mcpauth/secrets/dpop-nonce/secret", "dpop_nonce_secret_file is the mounted Secret");
  const secret = find(objs, "Secret", `${full}-dpop-nonce`);
  t.ok(Buffer.from(secret?.data?.["nonce-secret"] ?? "", "base64").length >= 16, "a shared nonce secret of at least 16 bytes (the service's minimum)");
  const jwks = find(objs, "ConfigMap", `${full}-jwks`);
  t.equal(JSON.parse(jwks.data["validator-0.json"]).keys[0].kid, "k1", "the inline JWKS is in its ConfigMap");
  t.equal(config.jwt_validators[0], { issuer: "https://issuer.example.com", jwks_file: "/etc/mcpauth/jwks/validator-0.json" }, "and the validator reads it as jwks_file");
  const annotations = find(objs, "Deployment", `${full}-token-validation`).spec.template.metadata.annotations;
  t.ok(/^[0-9a-f]{64}$/.test(annotations["checksum/jwks"] ?? ""), "token-validation rolls when the JWKS changes (checksum/jwks)");
}

t.section("policy file mode");
{
  const { objs, config } = rendered["policy file mode"];
  t.equal(config.policy_file, "/etc/mcpauth/policy/policy.yaml", "policy_file");
  t.ok(!config.authorization.required_scopes && !config.authorization.scope_strategy, "required_scopes and scope_strategy moved out of the main file");
  const policy = YAML.parse(find(objs, "ConfigMap", `${full}-policy`).data["policy.yaml"]);
  t.equal(policy, {
    authorization: { required_scopes: ["mcp"], scope_strategy: "wildcard" },
    policy: { list_filtering: true, unknown_tool: "deny" },
    prompts: { review: { required_scopes: ["prompts"] } },
    resources: { "file:///secret/*": { required_scopes: ["files:read:secret"] } },
    tools: { "admin_*": { required_scopes: ["admin"] }, delete_file: { required_scopes: ["files:delete"] } },
  }, "the policy ConfigMap holds the seed-named policy");
  {
    const pod = find(objs, "Deployment", `${full}-scope-policy`).spec.template.spec;
    const mount = pod.containers[0].volumeMounts.find((m) => m.mountPath === "/etc/mcpauth/policy");
    t.ok(mount && !mount.subPath && pod.volumes.find((v) => v.name === mount.name)?.configMap?.name === `${full}-policy`,
      "scope-policy mounts the policy ConfigMap as a directory (updates arrive; ..data swap)");
  }
  for (const component of ["token-validation", "metadata", "gateway"]) {
    t.ok(!(find(objs, "Deployment", `${full}-${component}`).spec.template.spec.volumes ?? []).some((v) => v.configMap?.name === `${full}-policy`),
      `${component} does not mount the policy (it follows scope-policy's stream)`);
  }
  // The policy can change without rolling pods; the main config cannot.
  const files = [path.join(valuesDir, "policy-file.yaml")];
  const checksum = (objs2, c) => find(objs2, "Deployment", `${full}-${c}`).spec.template.metadata.annotations["checksum/config"];
  const changedPolicy = renderChart({ valuesFiles: files, setJson: { "tools.delete_file.required_scopes": ["files:admin"] }, namespace: ns });
  t.equal(checksum(changedPolicy, "scope-policy"), checksum(objs, "scope-policy"), "a policy change leaves checksum/config alone (hot reload, no restart)");
  t.ok(find(changedPolicy, "ConfigMap", `${full}-policy`).data["policy.yaml"].includes("files:admin"), "while the policy ConfigMap changes");
  const changedConfig = renderChart({ valuesFiles: files, setJson: { "authorization.cache_ttl": 120 }, namespace: ns });
  t.ok(Object.keys(components).filter((c) => !components[c].optional).every((c) => checksum(changedConfig, c) !== checksum(objs, c)),
    "a main config change rolls every service (checksum/config)");
}

t.section("no Redis");
{
  const { config } = rendered["no Redis"];
  t.ok(!("redis" in config), "no redis section: in-process caches");
}

t.section("TLS everywhere");
{
  const { objs, config } = rendered["TLS everywhere (cert-manager, mutual TLS, gateway HTTPS, Redis TLS, https upstream)"];
  const certs = ofKind(objs, "Certificate");
  for (const [component, meta] of Object.entries(components)) {
    if (meta.optional) continue;
    const dep = find(objs, "Deployment", `${full}-${component}`).spec.template.spec;
    const volume = dep.volumes.find((v) => v.name === "internal-tls");
    const cert = certs.find((c) => c.spec.secretName === volume?.secret?.secretName);
    const host = config[meta.section].address.split(":")[0];
    t.ok(cert && cert.spec.dnsNames.includes(host) && cert.spec.usages.includes("client auth") &&
      cert.spec.usages.includes("server auth") && cert.spec.issuerRef.name === "cluster-ca",
      `${component}: its mounted Secret is a Certificate naming ${host}, for server and client use, from the issuer`);
    if (meta.grpc) {
      const section = config[meta.section];
      t.equal([section.tls.client_ca_file, section.client_tls.cert_file], ["/etc/mcpauth/tls/internal/ca.crt", "/etc/mcpauth/tls/internal/tls.crt"],
        `${meta.section}: mutual TLS (callers need a certificate from the CA; each caller presents its own)`);
    }
  }
  const https = certs.find((c) => c.spec.secretName === `${full}-gateway-https`);
  t.ok(https?.spec.dnsNames.includes("mcp.example.com") && https.spec.dnsNames.includes(`${full}-gateway.${ns}.svc.cluster.local`),
    "the gateway's HTTPS certificate names the public name and the Service");
  t.equal(config.gateway.tls?.cert_file, "/etc/mcpauth/tls/gateway/tls.crt", "gateway.tls serves it");
  t.equal(config.gateway.routes[0].upstream_tls, { reload_interval: 30, ca_file: "/etc/mcpauth/tls/upstream-ca/ca.crt" },
    "the https route checks its upstream against tls.upstream.caSecret");
  const redis = find(objs, "StatefulSet", `${full}-redis`).spec.template.spec;
  const args = redis.containers[0].args.join(" ");
  t.ok(args.includes("--port 0 --tls-port 6379") && args.includes("--tls-cert-file /tls/tls.crt") && args.includes("--tls-auth-clients no"),
    "the built-in Redis serves TLS only", args);
  t.equal(redis.volumes.find((v) => v.name === "tls")?.secret?.secretName, `${full}-redis-tls`, "from the cert-manager Secret");
  t.ok(certs.some((c) => c.spec.secretName === `${full}-redis-tls` && c.spec.dnsNames.includes(`${full}-redis.${ns}.svc.cluster.local`)),
    "whose Certificate names the Redis Service");
  t.equal(config.redis.tls, { reload_interval: 30, ca_file: "/etc/mcpauth/tls/redis-ca/ca.crt" }, "the services check it against that Secret's CA");
}

t.section("external Redis Sentinel over TLS, user-made Secrets");
{
  const { objs, config } = rendered["external Redis Sentinel over TLS, user-made Secrets"];
  t.ok(!ofKind(objs, "Certificate").length && !find(objs, "StatefulSet", `${full}-redis`), "no Certificates, no built-in Redis");
  t.equal(config.redis.sentinel, { master_name: "mymaster", addresses: ["redis-sentinel-0.redis.svc:26379", "redis-sentinel-1.redis.svc:26379", "10.0.0.7:26379"],
    db: 1, password_file: "/etc/mcpauth/secrets/redis-sentinel/password" }, "redis.sentinel with the sentinels' password file");
  t.equal(config.redis.tls, { reload_interval: 10, ca_file: "/etc/mcpauth/tls/redis-ca/ca.crt", cert_file: "/etc/mcpauth/tls/redis-client/tls.crt",
    key_file: "/etc/mcpauth/tls/redis-client/tls.key", server_name: "redis.redis.svc" }, "redis.tls: the CA, the client certificate, the name");
  t.ok(!config.token_validation.tls.client_ca_file && !config.token_validation.client_tls.cert_file, "internal TLS without client certificates (mutual: false)");
  const tv = find(objs, "Deployment", `${full}-token-validation`).spec.template.spec;
  t.equal(tv.volumes.find((v) => v.name === "internal-tls")?.secret?.secretName, "tv-cert", "each component mounts the Secret named for it");
  t.equal(config.gateway.tls.client_ca_file, "/etc/mcpauth/tls/gateway-client-ca/ca.crt", "mutual TLS at the gateway");
  t.equal(config.gateway.routes[0].upstream_tls, { reload_interval: 10, cert_file: "/etc/mcpauth/tls/upstream-client/tls.crt",
    key_file: "/etc/mcpauth/tls/upstream-client/tls.key" }, "route a: the chart's upstream client certificate");
  t.equal(config.gateway.routes[1].upstream_tls, { server_name: "b.internal" }, "route b keeps its own upstream_tls");
}

t.section("authorizer mode (ext_authz and forward-auth, no upstream)");
{
  const { objs, config } = rendered["authorizer mode (ext_authz and forward-auth, no upstream)"];
  t.equal(config.gateway.ext_authz, { listen: "0.0.0.0:9191" }, "ext_authz listens on its port");
  t.equal(config.gateway.forward_auth, { path: "/_mcpauth/check" }, "forward-auth on its path");
  t.equal(config.gateway.unseen_body, "server_scopes_only", "unseen_body as given");
  t.ok(!("upstream" in config.gateway.routes[0]), "the route has no upstream");
  const pod = find(objs, "Deployment", `${full}-gateway`).spec.template.spec.containers[0];
  t.ok(pod.ports.some((p) => p.name === "ext-authz" && p.containerPort === 9191), "the gateway's ext-authz container port");
  const svc = find(objs, "Service", `${full}-gateway`);
  t.ok(svc.spec.ports.some((p) => p.name === "ext-authz" && p.port === 9191 && p.appProtocol === "grpc"), "and Service port (grpc)");
  const np = find(objs, "NetworkPolicy", `${full}-gateway`);
  const rule = np.spec.ingress.find((r) => r.ports.some((p) => p.port === 9191));
  t.ok(rule?.from?.[0]?.namespaceSelector, "the NetworkPolicy admits ext_authz calls from extAuthzFrom only");
  const plain = rendered["default values"];
  t.ok(!("ext_authz" in plain.config.gateway) && !("forward_auth" in plain.config.gateway), "both doors are off by default");
  t.ok(!find(plain.objs, "Service", `${full}-gateway`).spec.ports.some((p) => p.name === "ext-authz"), "no ext-authz port by default");
}

t.section("NOTES.txt");
{
  // helm install --dry-run=client renders NOTES without a cluster.
  const r = helm(["install", "rel", chartDir, "--namespace", ns, "--dry-run=client", "--values", path.join(valuesDir, "policy-file.yaml")]);
  const notes = r.stdout.slice(r.stdout.indexOf("NOTES:"));
  t.ok(r.status === 0 && notes.includes(`kubectl -n ${ns} port-forward svc/${full}-gateway 8080:80`), "NOTES: how to reach the gateway", r.stderr);
  t.ok(notes.includes("mcpauth token mint --key test-key.json") && notes.includes('--scope "mcp"') &&
    notes.includes("--set-file 'jwt_validators[0].jwks=test-jwks.json'"), "NOTES: how to mint a test token the chart accepts");
  t.ok(notes.includes(`helm test rel -n ${ns}`) && notes.includes("/.well-known/oauth-protected-resource/mcp"), "NOTES: helm test and the metadata URL");
  t.ok(notes.includes("WARNING: gateway.routes[0].upstream is still the example"), "NOTES: warns about example values left in place");
}

// --- bad values ------------------------------------------------------------------------

t.section("bad values are refused with a clear message");
const bad = [
  ["authorization.enabled as a string", { "authorization.enabled": "yes" }, /at '\/authorization\/enabled': got string, want boolean/],
  ["a misspelt key", { "authorization.cache_tll": 5 }, /at '\/authorization': additional properties 'cache_tll' not allowed/],
  ["resource without a scheme", { resource: "mcp.example.com/mcp" }, /at '\/resource': 'mcp.example.com\/mcp' does not match pattern/],
  ["resource over plain http", { resource: "http://mcp.example.com/mcp" }, /at '\/resource': 'http:\/\/mcp.example.com\/mcp' does not match pattern/],
  ["an unknown scope strategy", { "authorization.scope_strategy": "fuzzy" }, /at '\/authorization\/scope_strategy': value must be one of 'exact', 'wildcard', 'hierarchic'/],
  ["no gateway route", { "gateway.routes": [] }, /at '\/gateway\/routes': minItems: got 0, want 1/],
  ["a route without upstream", { "gateway.routes": [{ path: "/mcp" }] },
    /gateway.routes\[0\].upstream is required unless gateway.frontDoors.extAuthz or .forwardAuth is enabled/],
  ["forward-auth without trusted proxies", { "gateway.frontDoors.forwardAuth.enabled": true },
    /gateway.frontDoors needs gateway.config.trusted_proxies/],
  ["ext_authz on two replicas without Redis", { "gateway.frontDoors.extAuthz.enabled": true, "gateway.config.trusted_proxies": ["10.0.0.0/8"],
    "redis.enabled": false }, /gateway.frontDoors with several gateway replicas needs Redis/],
  ["negative replicas", { "tokenValidation.replicas": -1 }, /at '\/tokenValidation\/replicas': minimum: got -1, want 0/],
  ["a password in the Redis URL", { "redis.external.url": "redis://:hunter2@redis:6379/0" }, /at '\/redis\/external\/url': .* does not match pattern/],
  ["a scope with a space", { "tools.delete_file.required_scopes": ["files delete"] }, /at '\/tools\/delete_file\/required_scopes\/0': 'files delete' does not match pattern/],
  ["a validator without issuer", { jwt_validators: [{ jwks_uri: "https://a.example/jwks" }] }, /at '\/jwt_validators\/0': missing property 'issuer'/],
  ["an unknown gateway config key", { "gateway.config.max_body": 10 }, /at '\/gateway\/config': additional properties 'max_body' not allowed/],
  ["a validator with two key sources", { jwt_validators: [{ issuer: "https://a.example", jwks_uri: "https://a.example/jwks", jwks: { keys: [] } }] },
    /jwt_validators\[0\] \(https:\/\/a.example\): set one of jwks_uri, jwks_file or jwks, not several/],
  ["introspection without a client secret", { jwt_validators: [{ issuer: "https://a.example", introspection: { client_id: "c" } }] },
    /jwt_validators\[0\].introspection.clientSecret.existingSecret: name the Secret/],
  ["credentials without its Secrets", { "credentials.enabled": true },
    /credentials.enabled needs credentials.keySecret.existingSecret/],
  ["two validators introspecting", { jwt_validators: [
    { issuer: "https://a.example", introspection: { client_id: "c", clientSecret: { existingSecret: "s" } } },
    { issuer: "https://b.example", introspection: { client_id: "c", clientSecret: { existingSecret: "s" } } }] },
    /jwt_validators: only one validator may have introspection/],
  ["an inline JWKS without keys", { jwt_validators: [{ issuer: "https://a.example", jwks: { kty: "EC" } }] }, /jwt_validators\[0\].jwks: not a JWKS/],
  ["a grace period shorter than the drain", { "gateway.terminationGracePeriodSeconds": 12 },
    /gateway.terminationGracePeriodSeconds \(12\) must be greater than preStopSleepSeconds \+ shutdownGrace \(15\)/],
  ["both PDB forms", { "gateway.podDisruptionBudget.minAvailable": 1 }, /gateway.podDisruptionBudget: set minAvailable or maxUnavailable, not both/],
  ["cert-manager without an issuer", { "tls.certManager.enabled": true, "tls.internal.enabled": true },
    /tls.certManager.issuerRef.name: name the cert-manager Issuer or ClusterIssuer/],
  ["a Redis url and a sentinel", { "redis.external.url": "redis://r:6379/0", "redis.external.sentinel.masterName": "m",
    "redis.external.sentinel.addresses": ["s:26379"] }, /redis.external: set url or sentinel.masterName, not both/],
  ["a sentinel without addresses", { "redis.external.sentinel.masterName": "m" }, /redis.external.sentinel.addresses: list the sentinels/],
  ["a sentinel address without a port", { "redis.external.sentinel.masterName": "m", "redis.external.sentinel.addresses": ["s"] },
    /at '\/redis\/external\/sentinel\/addresses\/0': 's' does not match pattern/],
  ["Redis TLS with a redis:// url", { "redis.external.url": "redis://r:6379/0", "redis.tls.enabled": true }, /use rediss:\/\/ for TLS/],
  ["a TLS Secret name with capitals", { "tls.internal.secrets.gateway": "My-Cert" }, /at '\/tls\/internal\/secrets\/gateway': 'My-Cert' does not match pattern/],
  ["an external Redis with Redis disabled", { "redis.enabled": false, "redis.external.url": "redis://r:6379/0" }, /redis.external.url is set but redis.enabled is false/],
];
for (const [label, setJson, expected] of bad) {
  const args = ["template", "rel", chartDir];
  for (const [k, v] of Object.entries(setJson)) args.push("--set-json", `${k}=${JSON.stringify(v)}`);
  const r = helm(args);
  t.ok(r.status !== 0 && expected.test(r.stderr), `refused: ${label}`, `exit ${r.status}; stderr:\n${r.stderr.trim()}`);
}
// helm install checks the same schema as template; lint must report it too.
{
  const r = helm(["lint", "--strict", chartDir, "--set-json", 'authorization.enabled="yes"']);
  t.ok(r.status !== 0 && /got string, want boolean/.test(r.stdout + r.stderr), "helm lint refuses bad values too");
}

// Sanity: the checksum is a digest of the rendered ConfigMap (changes with it, stable otherwise).
{
  const a = renderChart({ namespace: ns }), b = renderChart({ namespace: ns });
  const sum = (o) => find(o, "Deployment", `${full}-gateway`).spec.template.metadata.annotations["checksum/config"];
  t.equal(sum(a), sum(b), "checksum/config is stable across renders (random secrets are not in it)");
  t.ok(crypto.createHash("sha256").update("x").digest("hex").length === sum(a).length, "checksum/config is a SHA-256");
}
t.finish();
