#!/usr/bin/env node
// Makes DPoP interop fixtures for mcpauth's token validation with independent
// implementations: proofs from the npm `dpop` package (RFC 9449 client side), and
// from `jose` where a proof needs an algorithm `dpop` does not offer or a header
// `dpop` would never write. Access tokens are signed by `jose` and bound to the
// client keys with `cnf.jkt` computed by `dpop.calculateThumbprint` (cross-checked
// against `jose.calculateJwkThumbprint`). Writes jwks.json (the authorization
// server's keys) and cases.json: each case is one request — token, scheme, proof,
// method, URI — with the exact reason mcpauth must give.
//
//   node tests/node/make_dpop_fixtures.mjs [--out DIR]
//
// DIR defaults to tests/token_validation/fixtures/dpop (the checked-in copy); the
// `interop` ctest fixture regenerates a fresh set into the build tree on every run.
//
// Time is frozen at NOW: `dpop` stamps iat with Date.now(), so Date.now is set to
// the wanted instant around each call. Server nonces are computed here from
// NONCE_SECRET by the construction documented in
// services/token_validation/dpop_nonce.h, written out independently with
// node:crypto:
//   base64url(step as 8 bytes big-endian ‖ HMAC-SHA-256(secret, "mcpauth dpop nonce v1" ‖ step)[0..16))
// Expected reasons follow the order of checks in services/token_validation/
// validator.cc and dpop_verifier.h: DPoP precheck (proof shape, typ, alg, jwk,
// claims, htm, htu, iat, ath, nonce) → token checks → binding (scheme, cnf.jkt) →
// token signature → proof signature → replay.

import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import * as DPoP from 'dpop';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';

const here = dirname(fileURLToPath(import.meta.url));
const { values: options } = parseArgs({
  options: { out: { type: 'string', default: resolve(here, '../token_validation/fixtures/dpop') } },
});
const outDir = resolve(options.out);
const version = (name) => JSON.parse(readFileSync(join(here, `node_modules/${name}/package.json`), 'utf8')).version;

const NOW = 1767225600; // 2026-01-01T00:00:00Z, a multiple of the nonce lifetime
const ISSUER = 'https://issuer.dpop.test';
const RESOURCE = 'https://mcp.example.com/mcp';
const LEEWAY = 60; // authorization.dpop_leeway default, seconds
const NONCE_SECRET = 'dpop-interop-nonce-secret-0123456789';
const NONCE_LIFETIME = 60; // authorization.dpop_nonce_lifetime default, seconds

const b64u = (bytes) => Buffer.from(bytes).toString('base64url');
const json64 = (value) => b64u(JSON.stringify(value));

// Runs `fn` with Date.now() frozen at `seconds`.
async function at(seconds, fn) {
  const real = Date.now;
  Date.now = () => seconds * 1000;
  try {
    return await fn();
  } finally {
    Date.now = real;
  }
}

function nonceFor(step) {
  const stepBytes = Buffer.alloc(8);
  stepBytes.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha256', NONCE_SECRET).update('mcpauth dpop nonce v1').update(stepBytes).digest();
  return b64u(Buffer.concat([stepBytes, mac.subarray(0, 16)]));
}
const currentNonce = nonceFor(Math.floor(NOW / NONCE_LIFETIME));

// ---- the authorization server and its tokens ---------------------------------

const as = await generateKeyPair('ES256');
const asJwk = { ...(await exportJWK(as.publicKey)), kid: 'as-1', alg: 'ES256', use: 'sig' };

let serial = 0;
async function accessToken(jkt) {
  const claims = { iss: ISSUER, sub: 'user-1234', aud: RESOURCE, client_id: 'dpop-client', scope: 'read',
                   jti: `at-${++serial}`, iat: NOW, nbf: NOW, exp: NOW + 3600 };
  if (jkt) claims.cnf = { jkt };
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'as-1' }).sign(as.privateKey);
}

// ---- clients -----------------------------------------------------------------

// A client key made by npm dpop; its jkt from dpop and from jose must agree.
async function dpopClient(alg) {
  const keypair = await DPoP.generateKeyPair(alg, { extractable: true });
  const jkt = await DPoP.calculateThumbprint(keypair.publicKey);
  const joseJkt = await calculateJwkThumbprint(await exportJWK(keypair.publicKey));
  if (jkt !== joseJkt) throw new Error(`dpop and jose disagree on the ${alg} thumbprint`);
  return { alg, keypair, privateKey: keypair.privateKey, jkt, publicJwk: await exportJWK(keypair.publicKey),
           privateJwk: await exportJWK(keypair.privateKey) };
}

// A client key made by jose, for algorithms npm dpop does not implement.
async function joseClient(alg) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const publicJwk = await exportJWK(publicKey);
  return { alg, privateKey, publicJwk, privateJwk: await exportJWK(privateKey), jkt: await calculateJwkThumbprint(publicJwk) };
}

// A proof by npm dpop at time `iat`.
function dpopProof(client, { htu = RESOURCE, htm = 'POST', token, nonce, iat = NOW } = {}) {
  return at(iat, () => DPoP.generateProof(client.keypair, htu, htm, nonce, token));
}

// A proof by jose with any header and claims (members set to undefined are left out).
async function joseProof(client, { header = {}, claims = {}, token, signer } = {}) {
  const h = { alg: client.alg, typ: 'dpop+jwt', jwk: client.publicJwk, ...header };
  const c = { jti: `jose-${++serial}`, htm: 'POST', htu: RESOURCE, iat: NOW, ...claims };
  if (token !== undefined && !('ath' in claims)) {
    c.ath = b64u(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)));
  }
  for (const o of [h, c]) for (const [k, v] of Object.entries(o)) if (v === undefined) delete o[k];
  return new SignJWT(c).setProtectedHeader(h).sign(signer ?? client.privateKey);
}

const es256 = await dpopClient('ES256');
const rs256 = await dpopClient('RS256');
const ps256 = await dpopClient('PS256');
const ed25519 = await dpopClient('Ed25519');
const es256Other = await dpopClient('ES256');
const es384 = await joseClient('ES384');
const es512 = await joseClient('ES512');
const ps384 = await joseClient('PS384');
const eddsa = await joseClient('EdDSA');

// ---- cases -------------------------------------------------------------------

const cases = [];
function add(name, description, request, expected_reason, extra = {}) {
  if (cases.some((c) => c.name === name)) throw new Error(`duplicate case ${name}`);
  cases.push({ name, description, scheme: 'DPoP', method: 'POST', uri: RESOURCE, proof: '', nonces: false,
               ...request, expected_reason, ...extra });
}

// Accepted proofs, one per client algorithm.
for (const client of [es256, rs256, ps256]) {
  const token = await accessToken(client.jkt);
  add(`valid-dpop-${client.alg}`, `npm dpop ${client.alg} proof for a token bound to its key`,
      { token, proof: await dpopProof(client, { token }) }, 'REASON_OK', { expected_jkt: client.jkt });
}
for (const client of [es384, es512, ps384, eddsa]) {
  const token = await accessToken(client.jkt);
  add(`valid-jose-${client.alg}`, `jose ${client.alg} proof (an algorithm npm dpop does not offer)`,
      { token, proof: await joseProof(client, { token }) }, 'REASON_OK', { expected_jkt: client.jkt });
}
{
  const token = await accessToken(es256.jkt);
  add('valid-get-with-query', 'GET; the request URI has a query the proof\'s htu leaves out',
      { token, method: 'GET', uri: `${RESOURCE}?session=abc#top`, proof: await dpopProof(es256, { token, htm: 'GET' }) },
      'REASON_OK', { expected_jkt: es256.jkt });
  add('valid-htu-normalized', 'htu spelled with upper-case host, default port and a dot segment',
      { token, proof: await dpopProof(es256, { token, htu: 'https://MCP.Example.com:443/x/../mcp' }) },
      'REASON_OK', { expected_jkt: es256.jkt });
  add('valid-iat-at-window-edge', `iat ${LEEWAY} s in the past`,
      { token, proof: await dpopProof(es256, { token, iat: NOW - LEEWAY }) }, 'REASON_OK', { expected_jkt: es256.jkt });
  add('valid-scheme-unspecified', 'no scheme given: the proof and the binding decide',
      { token, scheme: '', proof: await dpopProof(es256, { token }) }, 'REASON_OK', { expected_jkt: es256.jkt });
}

// npm dpop signs Ed25519 keys with the fully-specified alg "Ed25519" (RFC 9864);
// mcpauth knows Ed25519 only as "EdDSA".
{
  const token = await accessToken(ed25519.jkt);
  add('alg-Ed25519-fully-specified', 'npm dpop Ed25519 proof: alg "Ed25519" is not an algorithm mcpauth supports',
      { token, proof: await dpopProof(ed25519, { token }) }, 'REASON_DPOP_ALG_UNSUPPORTED');
}

// Binding.
{
  const bound = await accessToken(es256.jkt);
  const plain = await accessToken(undefined);
  add('bound-token-as-bearer', 'a DPoP-bound token sent with the Bearer scheme (and a valid proof)',
      { token: bound, scheme: 'Bearer', proof: await dpopProof(es256, { token: bound }) },
      'REASON_DPOP_BOUND_TOKEN_AS_BEARER');
  add('proof-missing', 'a DPoP-bound token with the DPoP scheme and no proof', { token: bound },
      'REASON_DPOP_PROOF_MISSING');
  add('scheme-confusion', 'an unbound token with the DPoP scheme and a valid proof',
      { token: plain, proof: await dpopProof(es256, { token: plain }) }, 'REASON_DPOP_SCHEME_CONFUSION');
  add('jkt-mismatch', 'the token is bound to another client key than the proof\'s',
      { token: bound, proof: await dpopProof(es256Other, { token: bound }) }, 'REASON_DPOP_JKT_MISMATCH');
  add('plain-bearer', 'an unbound token with the Bearer scheme: DPoP is not required', { token: plain, scheme: 'Bearer' },
      'REASON_OK');
}

// The proof against the request.
{
  const token = await accessToken(es256.jkt);
  add('htm-mismatch', 'proof for POST, request is GET',
      { token, method: 'GET', proof: await dpopProof(es256, { token }) }, 'REASON_DPOP_HTM_MISMATCH');
  add('htu-mismatch', 'proof for another path', { token, proof: await dpopProof(es256, { token, htu: 'https://mcp.example.com/other' }) },
      'REASON_DPOP_HTU_MISMATCH');
  add('htu-other-origin', 'proof for another port of the same host',
      { token, proof: await dpopProof(es256, { token, htu: 'https://mcp.example.com:8443/mcp' }) }, 'REASON_DPOP_HTU_MISMATCH');
  add('iat-too-old', `iat ${LEEWAY + 1} s in the past`,
      { token, proof: await dpopProof(es256, { token, iat: NOW - LEEWAY - 1 }) }, 'REASON_DPOP_IAT_OUT_OF_WINDOW');
  add('iat-in-future', 'iat two minutes ahead',
      { token, proof: await dpopProof(es256, { token, iat: NOW + 120 }) }, 'REASON_DPOP_IAT_OUT_OF_WINDOW');
  add('ath-other-token', 'ath is the hash of another token',
      { token, proof: await dpopProof(es256, { token: await accessToken(es256.jkt) }) }, 'REASON_DPOP_ATH_MISMATCH');
  add('ath-missing', 'no ath although a token is presented', { token, proof: await dpopProof(es256, {}) },
      'REASON_DPOP_ATH_MISMATCH');
}

// The proof itself.
{
  const token = await accessToken(es256.jkt);
  const good = await dpopProof(es256, { token });
  add('multiple-proofs', 'two DPoP header fields, combined by the HTTP layer',
      { token, proof: `${good}, ${await dpopProof(es256, { token })}` }, 'REASON_DPOP_MULTIPLE_PROOFS');
  add('typ-jwt', 'typ JWT instead of dpop+jwt', { token, proof: await joseProof(es256, { token, header: { typ: 'JWT' } }) },
      'REASON_DPOP_TYP_INVALID');
  add('typ-missing', 'no typ', { token, proof: await joseProof(es256, { token, header: { typ: undefined } }) },
      'REASON_DPOP_TYP_INVALID');
  const [h, p] = good.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  add('alg-none', 'alg none, empty signature', { token, proof: `${json64({ ...header, alg: 'none' })}.${p}.` },
      'REASON_DPOP_ALG_UNSUPPORTED');
  add('alg-HS256', 'an HMAC proof keyed with a shared secret',
      { token, proof: await joseProof(es256, { token, header: { alg: 'HS256' }, signer: new TextEncoder().encode('x'.repeat(32)) }) },
      'REASON_DPOP_ALG_UNSUPPORTED');
  add('jwk-missing', 'no jwk header', { token, proof: await joseProof(es256, { token, header: { jwk: undefined } }) },
      'REASON_DPOP_JWK_INVALID');
  add('jwk-private', 'the header jwk is the whole private key',
      { token, proof: await joseProof(es256, { token, header: { jwk: es256.privateJwk } }) }, 'REASON_DPOP_JWK_INVALID');
  add('jwk-wrong-type', 'an RSA jwk on an ES256 proof',
      { token, proof: await joseProof(es256, { token, header: { jwk: rs256.publicJwk } }) }, 'REASON_DPOP_JWK_INVALID');
  add('jti-missing', 'no jti claim', { token, proof: await joseProof(es256, { token, claims: { jti: undefined } }) },
      'REASON_DPOP_PROOF_INVALID');
  add('iat-string', 'iat as a string', { token, proof: await joseProof(es256, { token, claims: { iat: String(NOW) } }) },
      'REASON_DPOP_PROOF_INVALID');
  // Signed by another key than the header's (which is the one the token is bound to).
  add('signature-wrong-key', 'header jwk of the bound key, signature by another key',
      { token, proof: await joseProof(es256, { token, signer: es256Other.keypair.privateKey }) }, 'REASON_DPOP_PROOF_INVALID');
  const sig = Buffer.from(good.split('.')[2], 'base64url');
  sig[sig.length >> 1] ^= 0x01;
  add('signature-bit-flipped', 'one bit of the signature flipped', { token, proof: `${h}.${p}.${b64u(sig)}` },
      'REASON_DPOP_PROOF_INVALID');
  add('payload-altered', 'htm changed after signing',
      { token, method: 'GET', proof: `${h}.${json64({ ...JSON.parse(Buffer.from(p, 'base64url')), htm: 'GET' })}.${good.split('.')[2]}` },
      'REASON_DPOP_PROOF_INVALID');
}

// Server nonces (the validator runs with authorization.dpop_nonce on and NONCE_SECRET).
{
  const token = await accessToken(es256.jkt);
  add('nonce-current', 'a nonce of the current step, computed by this script',
      { token, nonces: true, proof: await dpopProof(es256, { token, nonce: currentNonce }) }, 'REASON_OK',
      { expected_jkt: es256.jkt });
  add('nonce-previous-step', 'a nonce of the previous step is still good',
      { token, nonces: true, proof: await dpopProof(es256, { token, nonce: nonceFor(Math.floor(NOW / NONCE_LIFETIME) - 1) }) },
      'REASON_OK', { expected_jkt: es256.jkt });
  add('nonce-missing', 'no nonce while nonces are required', { token, nonces: true, proof: await dpopProof(es256, { token }) },
      'REASON_DPOP_NONCE_REQUIRED', { expected_nonce: currentNonce });
  add('nonce-stale', 'a nonce two steps old',
      { token, nonces: true, proof: await dpopProof(es256, { token, nonce: nonceFor(Math.floor(NOW / NONCE_LIFETIME) - 2) }) },
      'REASON_DPOP_NONCE_REQUIRED', { expected_nonce: currentNonce });
}

// Decoded header and payload of each proof, for readers of the fixture.
for (const c of cases) {
  if (!c.proof || c.proof.includes(',')) continue;
  const [h, p] = c.proof.split('.');
  c.proof_header = JSON.parse(Buffer.from(h, 'base64url'));
  c.proof_payload = JSON.parse(Buffer.from(p, 'base64url'));
}

mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'jwks.json'), JSON.stringify({ keys: [asJwk] }, null, 2) + '\n');
writeFileSync(join(outDir, 'cases.json'), JSON.stringify({
  generator: `tests/node/make_dpop_fixtures.mjs with dpop ${version('dpop')} and jose ${version('jose')}`,
  now: NOW,
  issuer: ISSUER,
  resource: RESOURCE,
  leeway_seconds: LEEWAY,
  nonce_secret: NONCE_SECRET,
  nonce_lifetime_seconds: NONCE_LIFETIME,
  cases,
}, null, 2) + '\n');
console.log(`wrote ${cases.length} DPoP cases to ${outDir}`);
