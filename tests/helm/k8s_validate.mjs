// Validates rendered Kubernetes objects the way the API server would, without one:
//  - against the Kubernetes OpenAPI schemas compiled into npm kubernetes-models
//    (types, required fields, formats, enums);
//  - with unknown fields refused (kubectl's --validate=strict): those compiled schemas
//    let unknown properties through, so the allowed field names are read from the
//    package's TypeScript declarations (one interface per OpenAPI definition);
//  - CRDs (monitoring.coreos.com ServiceMonitor and PrometheusRule, cert-manager.io
//    Certificate) are not in kubernetes-models: their shape is checked here by hand,
//    minimally (the fields the chart uses, their types, and no others).
import fs from "node:fs";
import path from "node:path";
import { nodeRequire } from "./lib.mjs";

// "apps/v1" -> "kubernetes-models/apps/v1"; "v1" -> "kubernetes-models/v1".
function modelModule(apiVersion) {
  return `kubernetes-models/${apiVersion}`;
}

// --- Field names from the .d.ts declarations ------------------------------------------

const interfaceCache = new Map();  // .d.ts path -> {props: Map(name -> type), imports}

function parseDeclarations(file) {
  if (interfaceCache.has(file)) return interfaceCache.get(file);
  const text = fs.readFileSync(file, "utf8");
  const imports = new Map();
  for (const m of text.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)) imports.set(m[1], m[2]);
  let props = null;
  const start = text.search(/export interface \w+( extends [\w, ]+)? \{/);
  if (start >= 0) {
    // The interface body, by brace counting.
    let i = text.indexOf("{", start), depth = 0, end = i;
    for (; end < text.length; end++) {
      if (text[end] === "{") depth++;
      else if (text[end] === "}" && --depth === 0) break;
    }
    const body = text.slice(i + 1, end).replace(/\/\*\*[\s\S]*?\*\//g, "");
    props = new Map();
    const re = /"([^"]+)"\??:\s*/g;
    let m;
    while ((m = re.exec(body))) {
      // The type runs to the ';' at nesting depth 0.
      let j = re.lastIndex, d = 0;
      for (; j < body.length; j++) {
        const c = body[j];
        if (c === "{" || c === "<" || c === "(") d++;
        else if (c === "}" || c === ">" || c === ")") d--;
        else if (c === ";" && d === 0) break;
      }
      props.set(m[1], body.slice(re.lastIndex, j).replace(/\s+/g, ""));
      re.lastIndex = j + 1;
    }
  }
  const parsed = { props, imports, file };
  interfaceCache.set(file, parsed);
  return parsed;
}

function declarationFile(fromFile, specifier) {
  const resolved = specifier.startsWith(".")
    ? path.resolve(path.dirname(fromFile), specifier)
    : nodeRequire.resolve(specifier).replace(/\.js$/, "");
  return `${resolved.replace(/\.js$/, "")}.d.ts`;
}

// Unknown-field errors in `data` against the interface in `file`.
function unknownFields(data, file, where, errors) {
  if (!data || typeof data !== "object" || Array.isArray(data)) return;
  const decl = parseDeclarations(file);
  if (!decl.props) return;  // a type alias (IntOrString, Quantity, Time, ...): a leaf
  for (const [key, value] of Object.entries(data)) {
    const type = decl.props.get(key);
    if (type === undefined) {
      errors.push(`${where}/${key}: unknown field (not in ${path.basename(file, ".d.ts")})`);
      continue;
    }
    checkType(value, type, decl, `${where}/${key}`, errors);
  }
}

function checkType(value, type, decl, where, errors) {
  let m;
  if ((m = /^Array<(.+)>$/.exec(type))) {
    if (Array.isArray(value)) value.forEach((v, i) => checkType(v, m[1], decl, `${where}/${i}`, errors));
  } else if ((m = /^\{\[key:string\]:(.+?);?\}$/.exec(type))) {
    if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) checkType(v, m[1], decl, `${where}/${k}`, errors);
    }
  } else if (/^I\w+$/.test(type) && decl.imports.has(type)) {
    unknownFields(value, declarationFile(decl.file, decl.imports.get(type)), where, errors);
  }
}

// --- CRDs -----------------------------------------------------------------------------

function shape(value, spec, where, errors) {
  if (typeof spec === "string") {
    const ok = spec === "array" ? Array.isArray(value)
      : spec === "object" ? value !== null && typeof value === "object" && !Array.isArray(value)
      : spec === "duration" ? typeof value === "string" && /^([0-9]+(ms|s|m|h|d|w|y))+$/.test(value)
      : spec === "map<string>" ? value && typeof value === "object" && Object.values(value).every((v) => typeof v === "string")
      : typeof value === spec;
    if (!ok) errors.push(`${where}: expected ${spec}, got ${JSON.stringify(value)}`);
    return;
  }
  if (Array.isArray(spec)) {
    if (!Array.isArray(value)) return errors.push(`${where}: expected a list`);
    if (!value.length) errors.push(`${where}: must not be empty`);
    value.forEach((v, i) => shape(v, spec[0], `${where}/${i}`, errors));
    return;
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) return errors.push(`${where}: expected an object`);
  for (const key of Object.keys(value)) {
    if (!(key in spec) && !(`${key}?` in spec)) errors.push(`${where}/${key}: unknown field`);
  }
  for (const [k, s] of Object.entries(spec)) {
    const optional = k.endsWith("?"), key = optional ? k.slice(0, -1) : k;
    if (value[key] === undefined) {
      if (!optional) errors.push(`${where}/${key}: required`);
    } else {
      shape(value[key], s, `${where}/${key}`, errors);
    }
  }
}

const objectMeta = { name: "string", "namespace?": "string", "labels?": "map<string>", "annotations?": "map<string>" };
const labelSelector = { "matchLabels?": "map<string>", "matchExpressions?": [{ key: "string", operator: "string", "values?": "array" }] };
const crdShapes = {
  "monitoring.coreos.com/v1/ServiceMonitor": {
    apiVersion: "string", kind: "string", metadata: objectMeta,
    spec: {
      selector: labelSelector,
      "namespaceSelector?": { "matchNames?": "array", "any?": "boolean" },
      endpoints: [{ port: "string", "path?": "string", "interval?": "duration", "scrapeTimeout?": "duration", "scheme?": "string" }],
    },
  },
  "cert-manager.io/v1/Certificate": {
    apiVersion: "string", kind: "string", metadata: objectMeta,
    spec: {
      secretName: "string", "commonName?": "string", dnsNames: ["string"], "ipAddresses?": "array",
      "duration?": "duration", "renewBefore?": "duration", "usages?": ["string"],
      "privateKey?": { "algorithm?": "string", "size?": "number", "encoding?": "string", "rotationPolicy?": "string" },
      issuerRef: { name: "string", "kind?": "string", "group?": "string" },
    },
  },
  "monitoring.coreos.com/v1/PrometheusRule": {
    apiVersion: "string", kind: "string", metadata: objectMeta,
    spec: {
      groups: [{
        name: "string", "interval?": "duration",
        rules: [{ "alert?": "string", "record?": "string", expr: "string", "for?": "duration", "labels?": "map<string>", "annotations?": "map<string>" }],
      }],
    },
  },
};

// Every error for one object ([] when valid). `where` names it in messages.
export function validateObject(obj) {
  const where = `${obj.kind}/${obj.metadata?.name}`;
  const crd = crdShapes[`${obj.apiVersion}/${obj.kind}`];
  if (crd) {
    const errors = [];
    shape(obj, crd, where, errors);
    for (const [g, group] of (obj.spec?.groups ?? []).entries()) {
      for (const [r, rule] of (group.rules ?? []).entries()) {
        if (!rule.alert === !rule.record) errors.push(`${where}/spec/groups/${g}/rules/${r}: exactly one of alert or record`);
      }
    }
    return errors;
  }
  let Model;
  try {
    Model = nodeRequire(modelModule(obj.apiVersion))[obj.kind];
  } catch {
    Model = undefined;
  }
  if (!Model) return [`${where}: ${obj.apiVersion} ${obj.kind} is not a Kubernetes 1.27 API type`];
  const errors = [];
  try {
    new Model(obj).validate();
  } catch (e) {
    for (const err of e.errors ?? [{ instancePath: "", message: e.message }]) {
      errors.push(`${where}${err.instancePath}: ${err.message}${err.params ? ` ${JSON.stringify(err.params)}` : ""}`);
    }
  }
  const file = nodeRequire.resolve(`${modelModule(obj.apiVersion)}/${obj.kind}`).replace(/\.js$/, ".d.ts");
  unknownFields(obj, file, where, errors);
  return errors;
}
