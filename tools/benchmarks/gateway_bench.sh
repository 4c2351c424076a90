#!/usr/bin/env bash
# Gateway overhead on loopback, measured with wrk against a minimal fast upstream:
#   direct        wrk → upstream
#   gateway-noauth  wrk → mcpauth-gateway (authorization disabled) → upstream
#   gateway-auth    wrk → mcpauth-gateway with the whole suite (valid, cached token) → upstream
# Prints a Markdown table (requests/s, p50, p99 per connection count). Loopback only;
# stops everything it starts. Usage: tools/benchmarks/gateway_bench.sh [DURATION_SECONDS] [CONNECTIONS...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="$root/build/bin"
duration="${1:-10}"; shift || true
connections=("$@"); ((${#connections[@]})) || connections=(1 4 16 64)
source "$root/tools/benchmarks/lib.sh"
bench_workspace mcpauth-bench
up=$(free_port); gw_open=$(free_port); gw_auth=$(free_port); tv=$(free_port); sp=$(free_port); md=$(free_port)
bench_upstream_and_key "$up"
cat >"$work/open.yaml" <<YAML
resource: "http://127.0.0.1:$gw_open/mcp"
logging: {level: warn}
gateway: {listen: "127.0.0.1:$gw_open", metrics_listen: "", threads: 1, routes: [{path: /mcp, upstream: "http://127.0.0.1:$up/mcp"}]}
YAML
cat >"$work/auth.yaml" <<YAML
resource: "http://127.0.0.1:$gw_auth/mcp"
logging: {level: warn}
authorization: {enabled: true, required_scopes: [mcp]}
jwt_validators: [{issuer: "https://bench.issuer", jwks_file: "$work/jwks.json"}]
token_validation: {listen: "127.0.0.1:$tv", metrics_listen: ""}
scope_policy: {listen: "127.0.0.1:$sp", metrics_listen: ""}
metadata: {listen: "127.0.0.1:$md", metrics_listen: ""}
gateway: {listen: "127.0.0.1:$gw_auth", metrics_listen: "", threads: 1, routes: [{path: /mcp, upstream: "http://127.0.0.1:$up/mcp"}]}
YAML
"$bin/mcpauth-gateway" --config "$work/open.yaml" >"$work/open.log" 2>&1 & pids+=($!)
for s in token-validation scope-policy metadata gateway; do
  "$bin/mcpauth-$s" --config "$work/auth.yaml" >"$work/$s.log" 2>&1 & pids+=($!)
done
sleep 2
token=$("$bin/mcpauth" token mint --key "$work/key.json" --iss https://bench.issuer --aud "http://127.0.0.1:$gw_auth/mcp" --sub bench --scope mcp --ttl 86400)

run() {  # run LABEL URL TOKEN CONNECTIONS
  local out
  out=$(MCPAUTH_TOKEN="$3" wrk -t1 -c"$4" -d"${duration}s" --latency -s "$root/tools/benchmarks/tools_call.lua" "$2")
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  echo "| $1 | $4 | $rps | $p50 | $p99 | ${non2xx:-0} |"
}
echo "| target | connections | requests/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|"
for c in "${connections[@]}"; do
  run direct "http://127.0.0.1:$up/mcp" "" "$c"
  run gateway-noauth "http://127.0.0.1:$gw_open/mcp" "" "$c"
  run gateway-auth "http://127.0.0.1:$gw_auth/mcp" "$token" "$c"
done
# Resident memory of each process at the end.
for p in "${pids[@]}"; do
  echo "rss $(ps -o comm= -p "$p") $(ps -o rss= -p "$p") KiB"
done
