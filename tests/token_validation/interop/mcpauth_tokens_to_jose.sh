#!/usr/bin/env bash
# Reverse interop: keys, key set and tokens made by our `mcpauth` CLI must verify
# with the npm `jose` library, and jose must reject the same tokens once altered
# (so this test can fail: a verifier that accepts everything would not pass).
#
#   mcpauth_tokens_to_jose.sh MCPAUTH_BIN NODE VERIFY_WITH_JOSE_MJS WORK_DIR
set -uo pipefail

if [[ $# -ne 4 ]]; then
  echo "usage: $0 MCPAUTH_BIN NODE VERIFY_WITH_JOSE_MJS WORK_DIR" >&2
  exit 2
fi
mcpauth=$1 node=$2 verify=$3 work=$4
if [[ ! -x $mcpauth ]]; then
  echo "FAIL: $mcpauth is not built (build the 'mcpauth' target first)" >&2
  exit 1
fi

iss=https://issuer.mcpauth.test
aud=https://mcp.example.com/mcp
algs=(ES256 ES384 ES512 RS256 RS384 RS512 PS256 PS384 PS512 EdDSA)
failures=0 checks=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

rm -rf "$work" && mkdir -p "$work" || exit 2
key_files=()
for alg in "${algs[@]}"; do
  "$mcpauth" keys generate --alg "$alg" --kid "mcpauth-$alg" --out "$work/$alg.key.json" >/dev/null ||
    { echo "FAIL: mcpauth keys generate --alg $alg" >&2; exit 1; }
  key_files+=("$work/$alg.key.json")
done
"$mcpauth" keys jwks "${key_files[@]}" >"$work/jwks.json" || { echo "FAIL: mcpauth keys jwks" >&2; exit 1; }

# Runs jose on TOKEN against the JWKS; expects exit status WANT (0 accepted, 1 rejected).
expect_jose() {
  local want=$1 what=$2 token=$3 audience=${4:-$aud} out status
  checks=$((checks + 1))
  out=$("$node" "$verify" "$work/jwks.json" "$token" "$iss" "$audience" --typ at+jwt)
  status=$?
  if [[ $status -ne $want ]]; then
    fail "$what: jose exit $status, want $want: $out"
    return 1
  fi
  echo "ok   $what: $out"
}

# Replaces the first character of the signature with another base64url character:
# the decoded signature's first byte changes, so the signature is simply wrong.
alter_signature() {
  local token=$1 sig first
  sig=${token##*.}
  first=${sig:0:1}
  [[ $first == A ]] && first=B || first=A
  printf '%s.%s%s' "${token%.*}" "$first" "${sig:1}"
}

for alg in "${algs[@]}"; do
  token=$("$mcpauth" token mint --key "$work/$alg.key.json" --iss "$iss" --aud "$aud" --sub "user-$alg" \
            --scope "read files:delete") || { fail "mcpauth token mint ($alg)"; continue; }
  if expect_jose 0 "$alg token made by mcpauth is accepted" "$token"; then
    # jose must have read our claims, header and algorithm as we wrote them.
    out=$("$node" "$verify" "$work/jwks.json" "$token" "$iss" "$aud")
    for want in "\"alg\":\"$alg\"" "\"kid\":\"mcpauth-$alg\"" '"typ":"at+jwt"' "\"sub\":\"user-$alg\"" \
                '"scope":"read files:delete"'; do
      checks=$((checks + 1))
      [[ $out == *"$want"* ]] || fail "$alg: jose's view of the token lacks $want: $out"
    done
  fi
  expect_jose 1 "$alg token with an altered signature is rejected" "$(alter_signature "$token")"
done

# A few more ways jose must say no, so a verifier that ignores them cannot pass.
token=$("$mcpauth" token mint --key "$work/ES256.key.json" --iss "$iss" --aud "$aud" --sub user-1)
expect_jose 1 "token for another audience is rejected" "$token" "https://other.example.com/mcp"
header=${token%%.*} rest=${token#*.} payload=${rest%%.*} sig=${token##*.}
forged_payload=$("$node" -e '
  const p = JSON.parse(Buffer.from(process.argv[1], "base64url"));
  p.sub = "admin";
  process.stdout.write(Buffer.from(JSON.stringify(p)).toString("base64url"));' "$payload")
expect_jose 1 "token with a changed payload and the original signature is rejected" \
  "$header.$forged_payload.$sig"
expired=$("$mcpauth" token mint --key "$work/EdDSA.key.json" --iss "$iss" --aud "$aud" --sub user-1 \
            --iat 1000000000 --ttl 60)
expect_jose 1 "expired token is rejected" "$expired"

echo "$((checks - failures))/$checks checks passed"
[[ $failures -eq 0 ]]
