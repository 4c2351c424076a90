// The official TypeScript MCP SDK client with its own OAuth client support
// (@modelcontextprotocol/sdk/client/auth.js), for mcpauth's end-to-end tests. It starts
// with no token and no registration, and lets the SDK do the whole flow: 401 →
// RFC 9728 protected resource metadata → RFC 8414 / OpenID discovery → RFC 7591
// registration → authorization code + PKCE with the RFC 8707 resource → token → retry.
// The only parts written here are the ones an application supplies: an in-memory
// OAuthClientProvider, and a "user agent" that follows the authorization URL's
// redirects (oidc_as.mjs approves without a browser) and captures the code.
//
//   node e2e_oauth_client.mjs --url MCP_URL [--dpop] [--dpop-key-out FILE]
//                             [--resource URL] STEP...
//
// Steps, run in order in one session:
//   list-tools             names of the tools
//   call TOOL JSON_ARGS    the tool's result (a 403 insufficient_scope is stepped up from)
//   authorize              only the SDK's auth() (no MCP session): a token for the resource
//
// --dpop: the SDK has no DPoP support, so its fetch is wrapped (RFC 9449 with the npm
// `dpop` package): token requests carry a proof, so the token is bound to the key;
// requests with the token are sent as `Authorization: DPoP` with a proof (`ath`), and
// a `use_dpop_nonce` answer is retried once with the server's nonce.
// --resource: ask for a token for another resource than the one the server advertises.
//
// Prints one JSON object: { results, trace, tokens, dpop_jkt?, error? }. `trace` is every HTTP
// exchange the client made, in order, with what matters for the specs involved.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { auth, UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import * as DPoP from "dpop";
import { exportJWK } from "jose";
import { writeFileSync } from "node:fs";

const args = process.argv.slice(2);
const opts = {};
while (args[0]?.startsWith("--")) {
  const key = args.shift().slice(2);
  opts[key] = key === "dpop" ? true : args.shift();
}
const steps = args;
const trace = [];
const tokens = [];

// --- HTTP, traced (and DPoP-wrapped when asked) ----------------------------------

const AUTH_PARAMS = ["response_type", "client_id", "code_challenge_method", "redirect_uri", "scope", "resource", "state"];
const TOKEN_PARAMS = ["grant_type", "resource", "scope", "redirect_uri"];

function describeRequest(url, init) {
  const u = new URL(url);
  const entry = { method: (init?.method ?? "GET").toUpperCase(), url: u.origin + u.pathname };
  if (u.pathname.endsWith("/auth") && u.searchParams.has("response_type")) {
    entry.query = Object.fromEntries(AUTH_PARAMS.filter((p) => u.searchParams.has(p)).map((p) => [p, u.searchParams.get(p)]));
    entry.query.code_challenge = u.searchParams.has("code_challenge");
  }
  const body = init?.body;
  if (body instanceof URLSearchParams) {
    entry.form = Object.fromEntries(TOKEN_PARAMS.filter((p) => body.has(p)).map((p) => [p, body.get(p)]));
    entry.form.code_verifier = body.has("code_verifier");
  } else if (typeof body === "string") {
    try {
      const json = JSON.parse(body);
      if (json.redirect_uris) entry.registration = { redirect_uris: json.redirect_uris, scope: json.scope ?? null };
      else if (json.method) entry.jsonrpc = json.method + (json.params?.name ? ` ${json.params.name}` : "");
    } catch { /* not JSON */ }
  }
  const headers = new Headers(init?.headers);
  const authorization = headers.get("authorization");
  if (authorization) entry.authorization = authorization.split(" ")[0];
  if (headers.has("dpop")) entry.dpop_proof = true;
  return entry;
}

async function tracedFetch(url, init) {
  const entry = describeRequest(url, init);
  trace.push(entry);
  const response = await fetch(url, init);
  entry.status = response.status;
  const challenge = response.headers.get("www-authenticate");
  if (challenge) entry.www_authenticate = challenge;
  if (response.headers.has("dpop-nonce")) entry.dpop_nonce = true;
  if (response.status >= 300 && response.status < 400 && response.headers.has("location")) {
    const to = new URL(response.headers.get("location"), url);
    entry.location = to.origin + to.pathname;
  }
  return response;
}

let dpopKeys;
const dpopNonces = new Map();  // origin → latest nonce
async function dpopFetch(url, init = {}) {
  const u = new URL(url);
  const method = (init.method ?? "GET").toUpperCase();
  const headers = new Headers(init.headers);
  const authorization = headers.get("authorization");
  const token = authorization?.startsWith("Bearer ") ? authorization.slice(7) : undefined;
  const tokenRequest = method === "POST" && init.body instanceof URLSearchParams && init.body.has("grant_type");
  if (!token && !tokenRequest) return tracedFetch(url, init);
  if (token) headers.set("authorization", `DPoP ${token}`);
  const send = async () => {
    headers.set("dpop", await DPoP.generateProof(dpopKeys, u.origin + u.pathname, method, dpopNonces.get(u.origin), token));
    return tracedFetch(url, { ...init, headers });
  };
  let response = await send();
  const nonce = response.headers.get("dpop-nonce");
  if (nonce) {
    dpopNonces.set(u.origin, nonce);
    const askedResource = response.status === 401 && /use_dpop_nonce/.test(response.headers.get("www-authenticate") ?? "");
    const askedServer = response.status === 400 && tokenRequest &&
      (await response.clone().json().catch(() => ({}))).error === "use_dpop_nonce";
    if (askedResource || askedServer) {
      await response.body?.cancel();
      response = await send();
    }
  }
  return response;
}

const httpFetch = opts.dpop ? dpopFetch : tracedFetch;

// --- The application's OAuth client provider --------------------------------------

const REDIRECT_URL = "http://127.0.0.1:1/oauth/callback";  // never contacted: the code is taken from the redirect

class InMemoryOAuthProvider {
  #client;
  #tokens;
  #verifier;
  #state;
  #discovery;
  #cookies = new Map();
  code;

  get redirectUrl() { return REDIRECT_URL; }
  get clientMetadata() {
    return {
      client_name: "mcpauth e2e (MCP TypeScript SDK)",
      application_type: "native",
      redirect_uris: [REDIRECT_URL],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  state() {
    this.#state = crypto.randomUUID();
    return this.#state;
  }
  clientInformation() { return this.#client; }
  saveClientInformation(info) { this.#client = info; }
  tokens() { return this.#tokens; }
  saveTokens(t) {
    this.#tokens = t;
    // A JWT's header and claims; an opaque token (read only by introspection) has neither.
    const parts = t.access_token.split(".");
    const [header, payload] = parts.length === 3 ? parts : [];
    const decode = (part) => (part ? JSON.parse(Buffer.from(part, "base64url").toString()) : null);
    tokens.push({ token_type: t.token_type, scope: t.scope ?? null, access_token: t.access_token,
                  header: decode(header), claims: decode(payload) });
  }
  saveCodeVerifier(v) { this.#verifier = v; }
  codeVerifier() { return this.#verifier; }
  saveDiscoveryState(s) { this.#discovery = s; }
  discoveryState() { return this.#discovery; }
  invalidateCredentials(scope) {
    if (scope === "all" || scope === "client") this.#client = undefined;
    if (scope === "all" || scope === "tokens") this.#tokens = undefined;
    if (scope === "all" || scope === "discovery") this.#discovery = undefined;
  }
  constructor() {
    // Only to ask for another resource on purpose; otherwise the SDK's own check of the
    // metadata's resource against the server URL applies.
    if (opts.resource) this.validateResourceURL = async () => new URL(opts.resource);
  }

  // The user agent: follow the authorization server's redirects (keeping its cookies,
  // as a browser would) until it sends us to our redirect_uri.
  async redirectToAuthorization(authorizationUrl) {
    let url = new URL(authorizationUrl);
    for (let hop = 0; hop < 10; ++hop) {
      const cookie = [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; ");
      const response = await tracedFetch(url, { redirect: "manual", headers: cookie ? { cookie } : {} });
      for (const c of response.headers.getSetCookie()) {
        const [pair] = c.split(";");
        const eq = pair.indexOf("=");
        const name = pair.slice(0, eq).trim(), value = pair.slice(eq + 1).trim();
        if (value) this.#cookies.set(name, value); else this.#cookies.delete(name);
      }
      const location = response.headers.get("location");
      await response.body?.cancel();
      if (!location || response.status < 300 || response.status >= 400) {
        throw new Error(`the authorization server stopped the flow at ${url.pathname} with HTTP ${response.status}`);
      }
      url = new URL(location, url);
      if (url.href.startsWith(REDIRECT_URL)) {
        const p = url.searchParams;
        if (p.get("error")) throw new Error(`authorization failed: ${p.get("error")}: ${p.get("error_description")}`);
        if (p.get("state") !== this.#state) throw new Error("authorization response with the wrong state");
        trace.at(-1).authorization_response = { code: p.has("code"), state_matches: true, iss: p.get("iss") };
        this.code = p.get("code");
        return;
      }
    }
    throw new Error("too many redirects during authorization");
  }
  takeCode() {
    const code = this.code;
    this.code = undefined;
    return code;
  }
}

// --- The session -------------------------------------------------------------------

const out = { results: [], trace, tokens };
const provider = new InMemoryOAuthProvider();
let client, transport;

function newTransport() {
  transport = new StreamableHTTPClientTransport(new URL(opts.url), { authProvider: provider, fetch: httpFetch });
  client = new Client({ name: "mcpauth-e2e-client", version: "1.0.0" }, { capabilities: {} });
}

// Runs `fn`; when the SDK stopped for the user to authorize (UnauthorizedError after
// redirectToAuthorization), hands it the code (transport.finishAuth) and runs `fn` again.
async function withAuthorization(fn, again = fn) {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof UnauthorizedError) || !provider.code) throw e;
    await transport.finishAuth(provider.takeCode());
    return await again();
  }
}

try {
  if (opts.dpop) {
    dpopKeys = await DPoP.generateKeyPair("ES256", { extractable: true });
    out.dpop_jkt = await DPoP.calculateThumbprint(dpopKeys.publicKey);
    if (opts["dpop-key-out"]) {
      writeFileSync(opts["dpop-key-out"], JSON.stringify({ ...(await exportJWK(dpopKeys.privateKey)), alg: "ES256" }));
    }
  }
  newTransport();
  let connected = false;
  const connect = async () => {
    if (connected) return;
    await withAuthorization(() => client.connect(transport), async () => {
      newTransport();  // a transport is started once; the new one finds the tokens in the provider
      await client.connect(transport);
    });
    connected = true;
  };
  for (let i = 0; i < steps.length; ++i) {
    const step = steps[i];
    if (step === "authorize") {
      const serverUrl = new URL(opts.url);
      let result = await auth(provider, { serverUrl, fetchFn: httpFetch });
      if (result === "REDIRECT") result = await auth(provider, { serverUrl, authorizationCode: provider.takeCode(), fetchFn: httpFetch });
      out.results.push({ step, result });
    } else if (step === "list-tools") {
      await connect();
      const r = await client.listTools();
      out.results.push({ step, tools: r.tools.map((t) => t.name) });
    } else if (step === "call") {
      const name = steps[++i], json = steps[++i];
      await connect();
      const call = () => client.callTool({ name, arguments: JSON.parse(json ?? "{}") });
      out.results.push({ step, tool: name, result: await withAuthorization(call) });
    } else {
      throw new Error(`unknown step ${step}`);
    }
  }
} catch (e) {
  out.error = String(e?.message ?? e);
  if (e?.code !== undefined) out.code = e.code;
  process.exitCode = 1;
} finally {
  await client?.close().catch(() => {});
  console.log(JSON.stringify(out));
}
