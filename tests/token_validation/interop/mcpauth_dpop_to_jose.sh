#!/usr/bin/env bash
# Reverse DPoP interop: proofs made by our `mcpauth dpop proof`, for keys made by
# `mcpauth keys generate`, must pass the npm `jose` library's checks
# (tests/node/verify_dpop_with_jose.mjs), and the cnf.jkt that `mcpauth token mint
# --cnf-key` writes must be the thumbprint jose computes for the proof key. jose
# must also refuse altered proofs and proofs for another request, so this test can
# fail.
#
#   mcpauth_dpop_to_jose.sh MCPAUTH_BIN NODE VERIFY_DPOP_WITH_JOSE_MJS WORK_DIR
set -uo pipefail

if [[ $# -ne 4 ]]; then
  echo "usage: $0 MCPAUTH_BIN NODE VERIFY_DPOP_WITH_JOSE_MJS WORK_DIR" >&2
  exit 2
fi
mcpauth=$1 node=$2 verify=$3 work=$4
if [[ ! -x $mcpauth ]]; then
  echo "FAIL: $mcpauth is not built (build the 'mcpauth' target first)" >&2
  exit 1
fi

uri=https://mcp.example.com/mcp
algs=(ES256 ES384 ES512 RS256 PS256 PS512 EdDSA)
failures=0 checks=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# Runs jose on PROOF; expects exit status WANT (0 accepted, 1 rejected).
expect_jose() {
  local want=$1 what=$2 out status
  shift 2
  checks=$((checks + 1))
  out=$("$node" "$verify" "$@")
  status=$?
  if [[ $status -ne $want ]]; then
    fail "$what: jose exit $status, want $want: $out"
    return 1
  fi
  echo "ok   $what: ${out:0:200}"
}

# The payload of a JWS, decoded.
payload_of() {
  "$node" -e 'process.stdout.write(Buffer.from(process.argv[1].split(".")[1], "base64url").toString())' "$1"
}

rm -rf "$work" && mkdir -p "$work" || exit 2
"$mcpauth" keys generate --alg ES256 --kid as-1 --out "$work/as.key.json" >/dev/null ||
  { echo "FAIL: mcpauth keys generate (authorization server)" >&2; exit 1; }

for alg in "${algs[@]}"; do
  key=$work/client-$alg.key.json
  "$mcpauth" keys generate --alg "$alg" --kid "client-$alg" --out "$key" >/dev/null ||
    { fail "mcpauth keys generate --alg $alg"; continue; }
  token=$("$mcpauth" token mint --key "$work/as.key.json" --iss https://as.example.com --aud "$uri" \
            --sub "user-$alg" --cnf-key "$key") || { fail "mcpauth token mint --cnf-key ($alg)"; continue; }
  jkt=$(payload_of "$token" | "$node" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).cnf.jkt))')
  if [[ -z $jkt ]]; then
    fail "$alg: the minted token has no cnf.jkt"
    continue
  fi
  proof=$("$mcpauth" dpop proof --key "$key" --htm POST --htu "$uri?session=1" --token "$token") ||
    { fail "mcpauth dpop proof ($alg)"; continue; }
  expect_jose 0 "$alg proof made by mcpauth is accepted, its key is the token's cnf.jkt" \
    "$proof" --htm POST --htu "$uri" --token "$token" --jkt="$jkt"
  expect_jose 1 "$alg proof presented for another method is rejected" "$proof" --htm GET --htu "$uri" --token "$token"
  expect_jose 1 "$alg proof presented with another token is rejected" "$proof" --htm POST --htu "$uri" --token "$token.x"
  sig=${proof##*.}
  first=${sig:0:1}
  [[ $first == A ]] && first=B || first=A
  expect_jose 1 "$alg proof with an altered signature is rejected" "${proof%.*}.$first${sig:1}" --htm POST --htu "$uri"
done

# Explicit --iat, --jti and --nonce land in the proof as given.
proof=$("$mcpauth" dpop proof --key "$work/client-ES256.key.json" --htm GET --htu "$uri" --jti fixed-jti \
          --nonce server-nonce --iat "$(date +%s)")
out=$("$node" "$verify" "$proof" --htm GET --htu "$uri")
checks=$((checks + 1))
[[ $out == *'"jti":"fixed-jti"'* && $out == *'"nonce":"server-nonce"'* ]] || fail "--jti/--nonce not in the proof: $out"
# A proof stamped an hour ago is too old for jose too.
old=$("$mcpauth" dpop proof --key "$work/client-ES256.key.json" --htm GET --htu "$uri" --iat "$(( $(date +%s) - 3600 ))")
expect_jose 1 "proof with an iat an hour ago is rejected" "$old" --htm GET --htu "$uri"

echo "$((checks - failures))/$checks checks passed"
[[ $failures -eq 0 ]]
