#!/usr/bin/env bash
# The front doors beside the gateway's own path (issue 16), on loopback:
#   ext_authz   mcpauth-bench-ext-authz → the gateway's ext_authz port (the CheckRequest
#               Envoy sends for an authorized tools/call, with its body)
#   gateway     wrk → mcpauth-gateway → a minimal upstream (tools_call.lua)
# both with the whole suite and the same valid ES256 token, the gateway with one
# io_context thread. For each: calls (requests) per second, p50, p99, and per core —
# calls per CPU-second of the gateway process. Loopback only; stops what it starts.
# Usage: tools/benchmarks/ext_authz_bench.sh [DURATION_SECONDS] [CONCURRENCY...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="$root/build/bin"
duration="${1:-10}"; shift || true
levels=("$@"); ((${#levels[@]})) || levels=(1 16 64)
source "$root/tools/benchmarks/lib.sh"
bench_workspace mcpauth-bench-ext-authz
up=$(free_port); gw=$(free_port); ea=$(free_port); tv=$(free_port); sp=$(free_port); md=$(free_port)
bench_upstream_and_key "$up"
cat >"$work/suite.yaml" <<YAML
resource: "http://127.0.0.1:$gw/mcp"
logging: {level: warn}
authorization: {enabled: true, required_scopes: [mcp]}
jwt_validators: [{issuer: "https://bench.issuer", jwks_file: "$work/jwks.json"}]
token_validation: {listen: "127.0.0.1:$tv", metrics_listen: ""}
scope_policy: {listen: "127.0.0.1:$sp", metrics_listen: ""}
metadata: {listen: "127.0.0.1:$md", metrics_listen: ""}
gateway: {listen: "127.0.0.1:$gw", metrics_listen: "", threads: 1, ext_authz: {listen: "127.0.0.1:$ea"}, trusted_proxies: [127.0.0.1/32],
          routes: [{path: /mcp, upstream: "http://127.0.0.1:$up/mcp"}]}
YAML
for s in token-validation scope-policy metadata gateway; do
  "$bin/mcpauth-$s" --config "$work/suite.yaml" >"$work/$s.log" 2>&1 & pids+=($!)
done
gateway_pid=${pids[-1]}
sleep 2
token=$("$bin/mcpauth" token mint --key "$work/key.json" --iss https://bench.issuer --aud "http://127.0.0.1:$gw/mcp" --sub bench --scope mcp --ttl 86400)

cpu_seconds() {  # utime + stime of PID, in seconds
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"
}
echo "| path | concurrency | calls/s | p50 | p99 | calls per gateway CPU-second |"
echo "|---|---|---|---|---|---|"
for c in "${levels[@]}"; do
  out=$("$bin/mcpauth-bench-ext-authz" --target "127.0.0.1:$ea" --token "$token" --host "127.0.0.1:$gw" \
        --concurrency "$c" --duration "$duration" --pid "$gateway_pid")
  node -e 'const r = JSON.parse(process.argv[1]);
    if (r.failed) { console.error("failed calls:", r.first_failure); process.exit(1); }
    console.log(`| ext_authz Check | ${r.concurrency} | ${r.calls_per_second} | ${r.p50_us} µs | ${r.p99_us} µs | ${r.calls_per_server_cpu_second} |`);' "$out"
  before=$(cpu_seconds "$gateway_pid")
  w=$(MCPAUTH_TOKEN="$token" wrk -t1 -c"$c" -d"${duration}s" --latency -s "$root/tools/benchmarks/tools_call.lua" "http://127.0.0.1:$gw/mcp")
  after=$(cpu_seconds "$gateway_pid")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$w")
  total=$(awk '/requests in/ {print $1}' <<<"$w")
  p50=$(awk '$1=="50%" {print $2}' <<<"$w")
  p99=$(awk '$1=="99%" {print $2}' <<<"$w")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$w")
  [[ -z "$non2xx" ]] || { echo "gateway: $non2xx non-2xx answers" >&2; exit 1; }
  per_cpu=$(awk -v n="$total" -v a="$before" -v b="$after" 'BEGIN { printf "%.0f", n / (b - a) }')
  echo "| gateway (proxying) | $c | $rps | $p50 | $p99 | $per_cpu |"
done
echo "rss gateway $(ps -o rss= -p "$gateway_pid") KiB"
