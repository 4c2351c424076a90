#!/usr/bin/env node
// Checks a DPoP proof (RFC 9449 §4.3) with the npm `jose` library, independently
// of mcpauth: the signature against the proof's own header key (EmbeddedJWK), typ
// dpop+jwt, a public-only jwk, htm, htu, iat within 60 s of now, ath over the
// token, and the key's RFC 7638 thumbprint against the token's cnf.jkt.
//
//   node tests/node/verify_dpop_with_jose.mjs PROOF --htm METHOD --htu URI [--token TOKEN] [--jkt JKT]
//
// Prints one JSON line and exits 0 when the proof passes, 1 when it does not, 2 on
// bad usage or an unexpected failure (so a crash never reads as "rejected").

import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';

import { EmbeddedJWK, calculateJwkThumbprint, errors, jwtVerify } from 'jose';

function usage(message) {
  console.log(JSON.stringify({ valid: false, usage_error: message }));
  console.error('usage: verify_dpop_with_jose.mjs PROOF --htm METHOD --htu URI [--token TOKEN] [--jkt JKT]');
  process.exit(2);
}
function reject(why, extra = {}) {
  console.log(JSON.stringify({ valid: false, error: why, ...extra }));
  process.exit(1);
}

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: { htm: { type: 'string' }, htu: { type: 'string' }, token: { type: 'string' }, jkt: { type: 'string' } },
  });
} catch (e) {
  usage(e.message);
}
if (args.positionals.length !== 1) usage(`expected 1 proof, got ${args.positionals.length}`);
const { htm, htu, token, jkt } = args.values;
if (!htm || !htu) usage('--htm and --htu are required');

let verified;
try {
  verified = await jwtVerify(args.positionals[0], EmbeddedJWK, {
    typ: 'dpop+jwt',
    algorithms: ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA'],
    requiredClaims: ['jti', 'iat'],
    maxTokenAge: 60,
    clockTolerance: 60,
  });
} catch (e) {
  if (e instanceof errors.JOSEError) reject(e.message, { code: e.code });
  console.log(JSON.stringify({ valid: false, unexpected_error: String(e?.stack ?? e) }));
  process.exit(2);
}
const { payload, protectedHeader } = verified;
for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) {
  if (member in protectedHeader.jwk) reject(`the header jwk holds the private member ${member}`);
}
if (payload.htm !== htm) reject(`htm ${payload.htm} is not ${htm}`);
if (payload.htu !== htu) reject(`htu ${payload.htu} is not ${htu}`);
if (typeof payload.jti !== 'string' || payload.jti.length === 0) reject('jti is not a non-empty string');
if (token !== undefined) {
  const ath = createHash('sha256').update(token, 'ascii').digest('base64url');
  if (payload.ath !== ath) reject(`ath ${payload.ath} is not ${ath}`);
}
const thumbprint = await calculateJwkThumbprint(protectedHeader.jwk);
if (jkt !== undefined && thumbprint !== jkt) reject(`the proof key's thumbprint ${thumbprint} is not ${jkt}`);
console.log(JSON.stringify({ valid: true, jkt: thumbprint, protectedHeader, payload }));
