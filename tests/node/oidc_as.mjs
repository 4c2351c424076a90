// A real OAuth 2.1 / OpenID authorization server for mcpauth's end-to-end tests:
// npm oidc-provider (panva), configured as an MCP deployment would configure it.
//
//   node oidc_as.mjs --port PORT [--scopes "mcp math triggers"] [--account e2e-user]
//                    [--access-token-format jwt|opaque]
//
// Issuer http://127.0.0.1:PORT, with
//   - RFC 8414 metadata (/.well-known/oauth-authorization-server) and OpenID discovery
//     (/.well-known/openid-configuration), a JWKS with an RSA and an EC P-256 key;
//   - RFC 7591 dynamic client registration (open, at /reg);
//   - authorization code with PKCE (S256, required);
//   - RFC 8707 resource indicators: any http://127.0.0.1:* resource is a resource server
//     whose scopes are --scopes; its access tokens are JWTs (RFC 9068, ES256) with
//     `aud` = the resource and `scope` = what was granted, or, with
//     --access-token-format opaque, opaque strings only introspection can read;
//   - RFC 7662 introspection (/token/introspection) for the confidential client
//     `mcpauth-introspector` (secret `introspector-secret`, client_secret_basic or
//     client_secret_post), and RFC 7009 revocation, where that client may revoke any
//     token (a test revokes what a user's client holds);
//   - client credentials for the confidential client `e2e-service` (secret
//     `e2e-service-secret`), with a resource: a token without a user;
//   - RFC 9449 DPoP: a token request with a DPoP proof gets a token bound to its key
//     (`cnf.jkt`, token_type DPoP).
// Login and consent need no browser: the interaction URL signs in --account and
// grants exactly the requested scopes for the requested resource, then redirects back
// to the authorization endpoint, as a user clicking "allow" would. Whoever follows the
// authorization URL's redirects (with cookies) ends at the client's redirect_uri with
// a code.
//
// Prints one JSON line per event on stdout (listening, registration, interaction,
// token, errors, and what mcpauth's own HTTP client fetched), so a test can see which
// steps the authorization server performed.
// SIGTERM / SIGINT stop it.
import { createServer } from "node:http";
import { generateKeyPair, exportJWK } from "jose";
import Provider, { errors } from "oidc-provider";

const opts = { scopes: "mcp math triggers", account: "e2e-user", "access-token-format": "jwt" };
for (let args = process.argv.slice(2); args.length;) {
  const key = args.shift();
  if (!key.startsWith("--") || !args.length) {
    console.error("usage: node oidc_as.mjs --port PORT [--scopes S] [--account A]");
    process.exit(2);
  }
  opts[key.slice(2)] = args.shift();
}
if (!opts.port) {
  console.error("usage: node oidc_as.mjs --port PORT [--scopes S] [--account A]");
  process.exit(2);
}
const issuer = `http://127.0.0.1:${opts.port}`;
const log = (event, fields = {}) => console.log(JSON.stringify({ event, ...fields }));

async function signingKey(alg, options) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...options });
  return { ...(await exportJWK(privateKey)), alg, use: "sig", kid: `e2e-${alg.toLowerCase()}` };
}

// Resource servers: the test's gateways, on loopback.
const loopbackResource = /^http:\/\/127\.0\.0\.1:\d+\//;

const configuration = {
  // RS256 for ID tokens (the OpenID default), ES256 for the JWT access tokens.
  jwks: { keys: [await signingKey("RS256", { modulusLength: 2048 }), await signingKey("ES256")] },
  cookies: { keys: ["mcpauth-e2e-cookie-key"] },
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: () => true },
  clients: [
    { client_id: "mcpauth-introspector", client_secret: "introspector-secret", grant_types: [], response_types: [],
      redirect_uris: [] },
    { client_id: "e2e-service", client_secret: "e2e-service-secret", grant_types: ["client_credentials"],
      response_types: [], redirect_uris: [] },
  ],
  ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 600, Interaction: 600, Session: 600 },
  // The MCP SDK registers with the scope of the first challenge (SEP-835). oidc-provider
  // accepts in a registration only scopes from its own `scopes` list (resource-server
  // scopes are not in it: registration fails with invalid_client_metadata), and once
  // listed there a registered `scope` becomes the client's allow-list (RFC 7591: the
  // scopes the client can use), which would refuse the later step-up to a scope the
  // first challenge did not name. This server lets consent decide instead: a
  // registration's `scope` is dropped. The extra property only exists so that
  // oidc-provider calls this validator for every registration.
  extraClientMetadata: {
    properties: ["mcpauth_e2e"],
    validator(_ctx, _key, _value, metadata) {
      delete metadata.scope;
    },
  },
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true },
    introspection: { enabled: true },
    clientCredentials: { enabled: true },
    revocation: {
      enabled: true,
      allowedPolicy: async (ctx, client, token) =>
        client.clientId === "mcpauth-introspector" || client.clientId === token.clientId,
    },
    dPoP: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (_ctx, _client, oneOf) => oneOf,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, resourceIndicator) => {
        if (!loopbackResource.test(resourceIndicator)) throw new errors.InvalidTarget();
        if (opts["access-token-format"] === "opaque") {
          return { scope: opts.scopes, audience: resourceIndicator, accessTokenTTL: 600, accessTokenFormat: "opaque" };
        }
        return {
          scope: opts.scopes,
          audience: resourceIndicator,
          accessTokenTTL: 600,
          accessTokenFormat: "jwt",
          jwt: { sign: { alg: "ES256" } },
        };
      },
    },
  },
};

const provider = new Provider(issuer, configuration);

provider.on("registration_create.success", (_ctx, client) =>
  log("registration", { client_id: client.clientId, redirect_uris: client.redirectUris,
                        token_endpoint_auth_method: client.tokenEndpointAuthMethod }));
provider.on("interaction.started", (ctx, prompt) =>
  log("interaction", { prompt: prompt.name, reasons: prompt.reasons, scope: ctx.oidc.params.scope,
                       resource: ctx.oidc.params.resource,
                       code_challenge_method: ctx.oidc.params.code_challenge_method }));
provider.on("authorization.success", (ctx) =>
  log("authorization_code", { client_id: ctx.oidc.client?.clientId, resource: ctx.oidc.params.resource,
                              scope: ctx.oidc.params.scope }));
for (const e of ["access_token.issued", "client_credentials.issued"]) {
  provider.on(e, (token) =>
    log("access_token", { client_id: token.clientId, aud: token.aud, scope: token.scope,
                          dpop_jkt: token.jkt ?? null, format: token.format ?? null }));
}
provider.on("introspection.error", (_ctx, err) => log("introspection.error", { error: err?.error ?? err?.name }));
provider.on("revocation.error", (_ctx, err) => log("revocation.error", { error: err?.error ?? err?.name }));
for (const e of ["authorization.error", "grant.error", "registration_create.error", "server_error",
                 "discovery.error", "jwks.error"]) {
  provider.on(e, (_ctx, err) => log(e, { error: err?.error ?? err?.name, description: err?.error_description ?? err?.message }));
}

// The "user": signs in and approves what was asked, nothing more.
async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session } = details;
  let result;
  if (prompt.name === "login") {
    result = { login: { accountId: opts.account } };
  } else if (prompt.name === "consent") {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(" "));
    }
    result = { consent: { grantId: await grant.save() } };
  } else {
    result = { error: "access_denied", error_description: `unexpected prompt ${prompt.name}` };
  }
  const location = await provider.interactionResult(req, res, result, { mergeWithLastSubmission: false });
  res.writeHead(303, { location });
  res.end();
}

const handler = provider.callback();
const server = createServer((req, res) => {
  // What mcpauth itself fetches (its HTTP client says who it is): discovery and keys.
  if (req.headers["user-agent"]?.startsWith("mcpauth/")) {
    log("suite_fetch", { path: new URL(req.url, issuer).pathname, method: req.method });
  }
  if (req.method === "GET" && req.url.startsWith("/interaction/")) {
    interaction(req, res).catch((e) => {
      log("interaction.error", { description: String(e?.message ?? e) });
      res.writeHead(400, { "content-type": "text/plain" });
      res.end(String(e?.message ?? e));
    });
    return;
  }
  handler(req, res);
});
server.on("error", (e) => {
  console.error(`oidc_as: cannot listen on 127.0.0.1:${opts.port}: ${e.message}`);
  process.exit(1);
});
server.listen(Number(opts.port), "127.0.0.1", () => log("listening", { issuer }));
for (const s of ["SIGINT", "SIGTERM"]) {
  process.on(s, () => {
    server.closeAllConnections?.();
    server.close(() => process.exit(0));
  });
}
