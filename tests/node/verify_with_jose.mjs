#!/usr/bin/env node
// Verifies a JWT access token with the npm `jose` library, independently of mcpauth:
// signature against a local JWKS (createLocalJWKSet), issuer, audience, exp/nbf.
//
//   node tests/node/verify_with_jose.mjs JWKS_FILE TOKEN ISSUER AUDIENCE [--typ TYP]
//
// Prints one JSON line and exits 0 when jose accepts the token, 1 when jose rejects
// it, 2 on bad usage or an unexpected failure (so a crash never reads as "rejected").

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { createLocalJWKSet, errors, jwtVerify } from 'jose';

function usage(message) {
  console.log(JSON.stringify({ valid: false, usage_error: message }));
  console.error('usage: verify_with_jose.mjs JWKS_FILE TOKEN ISSUER AUDIENCE [--typ TYP]');
  process.exit(2);
}

let args;
try {
  args = parseArgs({ allowPositionals: true, options: { typ: { type: 'string' } } });
} catch (e) {
  usage(e.message);
}
if (args.positionals.length !== 4) usage(`expected 4 arguments, got ${args.positionals.length}`);
const [jwksFile, token, issuer, audience] = args.positionals;

let jwks;
try {
  jwks = createLocalJWKSet(JSON.parse(readFileSync(jwksFile, 'utf8')));
} catch (e) {
  usage(`cannot load JWKS from ${jwksFile}: ${e.message}`);
}

try {
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer,
    audience,
    requiredClaims: ['exp'],
    ...(args.values.typ ? { typ: args.values.typ } : {}),
  });
  console.log(JSON.stringify({ valid: true, protectedHeader, payload }));
  process.exit(0);
} catch (e) {
  if (e instanceof errors.JOSEError) {
    console.log(JSON.stringify({ valid: false, code: e.code, error: e.message }));
    process.exit(1);
  }
  console.log(JSON.stringify({ valid: false, unexpected_error: String(e?.stack ?? e) }));
  process.exit(2);
}
