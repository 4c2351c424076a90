// Loads a package from tests/node/node_modules (the project's one npm tree, installed
// by tools/setup with `npm ci`) for the bench scripts here, which live outside it.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(path.join(root, "tests/node/package.json"));

export async function load(specifier) {
  const module = await import(pathToFileURL(require.resolve(specifier)).href);
  return { ...(typeof module.default === "object" ? module.default : {}), ...module };
}

// Command-line options of the form --name value (every option takes a value).
export function options(argv = process.argv.slice(2)) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith("--") || i + 1 >= argv.length) throw new Error(`bad option ${argv[i]}`);
    out[argv[i].slice(2)] = argv[i + 1];
  }
  return out;
}

// Process CPU (user + system) in microseconds.
export function cpuMicros() {
  const u = process.cpuUsage();
  return u.user + u.system;
}
