#!/usr/bin/env node
// Makes interop fixtures for mcpauth's token validation with an independent JOSE
// implementation, the npm `jose` library: one key pair per algorithm (published as
// jwks.json) and tokens.json, a list of tokens each with the exact reason code
// mcpauth must give for it.
//
//   node tests/node/make_jose_fixtures.mjs [--out DIR]
//
// DIR defaults to tests/token_validation/fixtures/jose (the checked-in copy, made
// once); the `interop` ctest fixture also regenerates a fresh set into the build
// tree on every run so the test is not tied to one frozen set of keys.
//
// Time is frozen at NOW (written as the top-level "now"); the C++ test sets its
// clock to it. Every expected reason follows the order of checks in
// services/token_validation/validator.cc:
//   size → token cache → JWS shape and header (jws.cc: base64url of each part, then
//   alg) → typ → claim types (jwt.cc) → iss present → issuer trusted → alg allowed →
//   times (exp, nbf, iat with 60 s leeway) → audience → key by kid → signature.
// A case fails exactly one of these checks, so its reason is the one that check gives.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { CompactSign, SignJWT, UnsecuredJWT, exportJWK, generateKeyPair } from 'jose';

const here = dirname(fileURLToPath(import.meta.url));
const { values: options } = parseArgs({
  options: { out: { type: 'string', default: resolve(here, '../token_validation/fixtures/jose') } },
});
const outDir = resolve(options.out);
const joseVersion = JSON.parse(readFileSync(join(here, 'node_modules/jose/package.json'), 'utf8')).version;

const NOW = 1767225600; // 2026-01-01T00:00:00Z
const ISSUER = 'https://issuer.jose.test';
const AUDIENCE = 'https://mcp.example.com/mcp';
const LEEWAY = 60; // the validator's default leeway, seconds
const ALGS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA'];

// ---- keys ------------------------------------------------------------------

async function makeKey(alg, kid) {
  const { publicKey, privateKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : {});
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, jwk };
}

const keys = {};
for (const alg of ALGS) keys[alg] = await makeKey(alg, `jose-${alg}`);
// A second published ES256 key: a token with no kid must be tried against both, and
// a signature by one under the other's kid must fail.
const es256Second = await makeKey('ES256', 'jose-ES256-2');
// Never published: its signatures are genuine but by a key the issuer does not have.
const rs256Unpublished = await makeKey('RS256', 'jose-RS256-unpublished');

const jwks = { keys: [...ALGS.flatMap((a) => (a === 'ES256' ? [keys.ES256.jwk, es256Second.jwk] : [keys[a].jwk]))] };

// ---- tokens ----------------------------------------------------------------

function claims(overrides = {}) {
  const base = {
    iss: ISSUER,
    sub: 'user-1234',
    aud: AUDIENCE,
    client_id: 'jose-client',
    scope: 'read files:delete',
    jti: 'jti-placeholder',
    iat: NOW,
    nbf: NOW,
    exp: NOW + 3600,
  };
  const out = { ...base, ...overrides };
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out;
}

let serial = 0;
// Signs `payload` with jose's JWT signer. `header` is merged over {alg, typ, kid}
// (a member set to undefined is left out).
async function jwt(key, payload, header = {}) {
  const h = { alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header };
  for (const [k, v] of Object.entries(h)) if (v === undefined) delete h[k];
  if (payload.jti === 'jti-placeholder') payload = { ...payload, jti: `jose-${++serial}` };
  return new SignJWT(payload).setProtectedHeader(h).sign(key.privateKey);
}

// RFC 4648 §5 without padding, through Node's own codec (independent of ours).
const b64uDecode = (s) => Buffer.from(s, 'base64url');
const isCanonicalBase64Url = (s) => /^[A-Za-z0-9_-]*$/.test(s) && b64uDecode(s).toString('base64url') === s;

// The token with the last character of its signature replaced by the base64url
// character whose 6-bit value differs in the lowest bit. When the signature's
// length leaves spare bits in that character (length % 4 == 2 or 3), that bit is
// one of them, so the encoding is no longer canonical and the strict decoder
// refuses it before any crypto (jose, through Node's lenient decoder, ignores the
// spare bits and would still verify it); otherwise the decoded signature changes.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
function flipLastSignatureChar(token) {
  const dot = token.lastIndexOf('.');
  const sig = token.slice(dot + 1);
  const flipped = sig.slice(0, -1) + ALPHABET[ALPHABET.indexOf(sig.at(-1)) ^ 1];
  return {
    token: token.slice(0, dot + 1) + flipped,
    reason: isCanonicalBase64Url(flipped) ? 'REASON_SIGNATURE_INVALID' : 'REASON_SIGNATURE_BAD_BASE64',
  };
}

// The token with one bit of the decoded signature's middle byte flipped, re-encoded
// canonically: always a well-formed signature of the right length that does not verify.
function flipMiddleSignatureBit(token) {
  const dot = token.lastIndexOf('.');
  const sig = b64uDecode(token.slice(dot + 1));
  sig[sig.length >> 1] ^= 0x01;
  return token.slice(0, dot + 1) + sig.toString('base64url');
}

const validExpect = (overrides = {}) => ({
  expected_subject: 'user-1234',
  expected_scopes: ['read', 'files:delete'],
  expected_issuer: ISSUER,
  expected_client_id: 'jose-client',
  ...overrides,
});

const cases = [];
function add(name, token, expected_reason, description, extra = {}) {
  if (cases.some((c) => c.name === name)) throw new Error(`duplicate case ${name}`);
  cases.push({ name, description, token, expected_reason, ...extra });
}

// Valid tokens, one per algorithm.
for (const alg of ALGS) {
  add(`valid-${alg}`, await jwt(keys[alg], claims()), 'REASON_OK', `${alg} access token signed by jose`, validExpect());
}
add('valid-typ-JWT', await jwt(keys.ES256, claims(), { typ: 'JWT' }), 'REASON_OK',
    'typ "JWT" is accepted for providers that do not type access tokens', validExpect());
add('valid-no-typ', await jwt(keys.RS256, claims(), { typ: undefined }), 'REASON_OK',
    'no typ at all is accepted', validExpect());
add('valid-aud-array', await jwt(keys.ES384, claims({ aud: ['https://other.example.com', AUDIENCE] })), 'REASON_OK',
    'aud is an array that contains the resource', validExpect());
add('valid-exp-within-leeway',
    await jwt(keys.PS256, claims({ iat: NOW - 3630, nbf: NOW - 3630, exp: NOW - 30 })), 'REASON_OK',
    'exp passed 30 s ago, within the 60 s leeway', validExpect());
add('valid-no-kid', await jwt(keys.ES256, claims(), { kid: undefined }), 'REASON_OK',
    'no kid: every issuer key that fits ES256 is tried; the first one verifies', validExpect());
add('valid-no-kid-second-key', await jwt(es256Second, claims(), { kid: undefined }), 'REASON_OK',
    'no kid: jose-ES256 fails, jose-ES256-2 (later in the set) verifies', validExpect());
add('valid-no-kid-EdDSA', await jwt(keys.EdDSA, claims(), { kid: undefined }), 'REASON_OK',
    'no kid, EdDSA: only the Ed25519 key fits', validExpect());
add('valid-scp-array', await jwt(keys.ES512, claims({ scope: undefined, scp: ['read', 'files:delete'] })), 'REASON_OK',
    'scopes given as an scp array instead of a scope string', validExpect());
add('valid-azp-as-client', await jwt(keys.RS512, claims({ client_id: undefined, azp: 'jose-azp-client' })), 'REASON_OK',
    'no client_id: azp names the client', validExpect({ expected_client_id: 'jose-azp-client' }));

// Time.
add('expired', await jwt(keys.ES256, claims({ iat: NOW - 7200, nbf: NOW - 7200, exp: NOW - 3600 })), 'REASON_EXPIRED',
    'exp an hour ago, far beyond the 60 s leeway');
add('expired-at-leeway-boundary', await jwt(keys.ES256, claims({ iat: NOW - 3600, nbf: NOW - 3600, exp: NOW - LEEWAY })),
    'REASON_EXPIRED', 'exp + leeway == now: RFC 7519 wants now strictly before exp');
add('not-yet-valid', await jwt(keys.RS256, claims({ nbf: NOW + 3600, exp: NOW + 7200 })), 'REASON_NOT_YET_VALID',
    'nbf an hour from now');
add('iat-in-future', await jwt(keys.PS384, claims({ iat: NOW + 3600, exp: NOW + 7200 })), 'REASON_IAT_IN_FUTURE',
    'iat an hour from now (nbf is now, so only iat is wrong)');
add('exp-missing', await jwt(keys.ES256, claims({ exp: undefined })), 'REASON_EXP_MISSING', 'no exp claim');
add('exp-string', await jwt(keys.ES256, claims({ exp: String(NOW + 3600) })), 'REASON_CLAIM_WRONG_TYPE',
    'exp is a string, not a NumericDate');

// Audience.
add('audience-mismatch', await jwt(keys.ES256, claims({ aud: 'https://other.example.com/mcp' })),
    'REASON_AUDIENCE_MISMATCH', 'aud names another resource');
add('audience-missing', await jwt(keys.ES256, claims({ aud: undefined })), 'REASON_AUDIENCE_MISSING', 'no aud claim');
add('audience-not-strings', await jwt(keys.ES256, claims({ aud: [AUDIENCE, 42] })), 'REASON_CLAIM_WRONG_TYPE',
    'aud array holding a number (the resource itself is in it too)');

// Issuer.
add('issuer-unknown', await jwt(keys.ES256, claims({ iss: 'https://other-issuer.jose.test' })), 'REASON_ISSUER_UNKNOWN',
    'iss is not a configured issuer');
add('issuer-missing', await jwt(keys.ES256, claims({ iss: undefined })), 'REASON_ISSUER_MISSING', 'no iss claim');

// Header.
add('typ-dpop', await jwt(keys.ES256, claims(), { typ: 'dpop+jwt' }), 'REASON_TYP_INVALID',
    'a DPoP proof presented as an access token');
add('alg-HS256', await new SignJWT(claims({ jti: 'jose-hs256' }))
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .sign(new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!')),
    'REASON_ALG_UNSUPPORTED', 'HMAC with a shared secret is never accepted');
add('alg-none', new UnsecuredJWT(claims({ jti: 'jose-none' })).encode(), 'REASON_ALG_UNSUPPORTED',
    'jose UnsecuredJWT: alg "none" and an empty signature');
add('payload-array',
    await new CompactSign(new TextEncoder().encode(JSON.stringify(['not', 'an', 'object'])))
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: keys.ES256.kid })
      .sign(keys.ES256.privateKey),
    'REASON_PAYLOAD_NOT_OBJECT', 'a correctly signed JWS whose payload is a JSON array');

// Keys and signatures.
add('kid-unknown', await jwt(keys.ES256, claims(), { kid: 'jose-no-such-key' }), 'REASON_KID_UNKNOWN',
    'kid names no key in the set (a refetch of the file does not find it either)');
add('signature-wrong-key-ES256', await jwt(es256Second, claims(), { kid: keys.ES256.kid }), 'REASON_SIGNATURE_INVALID',
    'signed by jose-ES256-2 under kid jose-ES256 (same key type and alg)');
add('signature-wrong-key-RS256', await jwt(rs256Unpublished, claims(), { kid: keys.RS256.kid }),
    'REASON_SIGNATURE_INVALID', 'signed by an unpublished RSA key under kid jose-RS256');
add('key-alg-mismatch', await jwt(keys.ES256, claims(), { kid: keys.RS256.kid }), 'REASON_KEY_ALG_MISMATCH',
    'an ES256 token whose kid names the RS256 key');
for (const alg of ALGS) {
  const good = await jwt(keys[alg], claims());
  const flipped = flipLastSignatureChar(good);
  add(`signature-last-char-flipped-${alg}`, flipped.token, flipped.reason,
      `${alg}: last base64url character of the signature changed in its lowest bit ` +
      `(${flipped.reason === 'REASON_SIGNATURE_BAD_BASE64'
        ? 'a spare bit: not canonical base64url; jose itself ignores spare bits and still verifies it'
        : 'a signature bit'})`);
  add(`signature-bit-flipped-${alg}`, flipMiddleSignatureBit(await jwt(keys[alg], claims())), 'REASON_SIGNATURE_INVALID',
      `${alg}: one bit of the decoded signature flipped, re-encoded canonically`);
}

// Decoded header and payload, for readers of the fixture.
for (const c of cases) {
  const [h, p] = c.token.split('.');
  c.header = JSON.parse(b64uDecode(h).toString('utf8'));
  c.payload = JSON.parse(b64uDecode(p).toString('utf8'));
}

mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'jwks.json'), JSON.stringify(jwks, null, 2) + '\n');
writeFileSync(join(outDir, 'tokens.json'), JSON.stringify({
  generator: `tests/node/make_jose_fixtures.mjs with jose ${joseVersion}`,
  now: NOW,
  issuer: ISSUER,
  audience: AUDIENCE,
  leeway_seconds: LEEWAY,
  cases,
}, null, 2) + '\n');
console.log(`wrote ${jwks.keys.length} keys and ${cases.length} cases to ${outDir}`);
