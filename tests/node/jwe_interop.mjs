// npm jose (panva) on the other side of mcpauth's JWE (ECDH-ES + A256GCM), for
// tests/token_validation/jwe_test.cc: what jose seals, mcpauth must open, and the
// other way round.
//
//   node jwe_interop.mjs seal PUBLIC_JWK_JSON PLAINTEXT [EXTRA_HEADER_JSON]  → a compact JWE
//   node jwe_interop.mjs open PRIVATE_JWK_JSON JWE                          → {"plaintext","header"}
//
// Errors go to stderr with exit status 1.
import { CompactEncrypt, compactDecrypt, importJWK } from "jose";

const [mode, jwkJson, data, extra] = process.argv.slice(2);
try {
  const key = await importJWK(JSON.parse(jwkJson), "ECDH-ES");
  if (mode === "seal") {
    const header = { ...(extra ? JSON.parse(extra) : {}), alg: "ECDH-ES", enc: "A256GCM" };
    const kid = JSON.parse(jwkJson).kid;
    if (kid) header.kid = kid;
    console.log(await new CompactEncrypt(new TextEncoder().encode(data)).setProtectedHeader(header).encrypt(key));
  } else if (mode === "open") {
    const { plaintext, protectedHeader } = await compactDecrypt(data, key);
    console.log(JSON.stringify({ plaintext: new TextDecoder().decode(plaintext), header: protectedHeader }));
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
} catch (e) {
  console.error(String(e?.message ?? e));
  process.exit(1);
}
