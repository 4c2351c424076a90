#!/usr/bin/env bash
# The gateway under a flood of costly-but-invalid requests (issue 14): a legitimate
# caller (one connection, a valid token, a tools/call every 2 ms, so its latency is
# measured rather than the machine's saturation) measured alone, then while a flood
# runs beside it:
#   one-client    64 connections from one address, each request a real-looking token
#                 with a fresh random signature (token-validation must verify each)
#   many-clients  the same from a new address per request (the per-client budget
#                 cannot tell them apart; the cap on validations in flight sheds)
# The gateway trusts 127.0.0.1 as its ingress, so client addresses come from
# X-Forwarded-For. Prints a Markdown table: the legitimate caller's requests/s, p50
# and p99, and what the flood got back. Loopback only; stops everything it starts.
# Usage: tools/benchmarks/overload_bench.sh [DURATION_SECONDS]
#        (OVERLOAD_LIMITS='{failed_auth_rate: 0}' sets gateway.limits for a what-if run)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="$root/build/bin"
here="$root/tools/benchmarks"
duration="${1:-10}"
source "$root/tools/benchmarks/lib.sh"
bench_workspace mcpauth-overload
up=$(free_port); gw=$(free_port); tv=$(free_port); sp=$(free_port); md=$(free_port); gm=$(free_port)
bench_upstream_and_key "$up"
cat >"$work/suite.yaml" <<YAML
resource: "http://127.0.0.1:$gw/mcp"
logging: {level: error}
authorization: {enabled: true, required_scopes: [mcp]}
jwt_validators: [{issuer: "https://bench.issuer", jwks_file: "$work/jwks.json"}]
token_validation: {listen: "127.0.0.1:$tv", metrics_listen: ""}
scope_policy: {listen: "127.0.0.1:$sp", metrics_listen: ""}
metadata: {listen: "127.0.0.1:$md", metrics_listen: ""}
gateway:
  listen: "127.0.0.1:$gw"
  metrics_listen: "127.0.0.1:$gm"
  threads: ${OVERLOAD_THREADS:-1}
  trusted_proxies: [127.0.0.1/32]
  limits: ${OVERLOAD_LIMITS:-{\}}
  routes: [{path: /mcp, upstream: "http://127.0.0.1:$up/mcp"}]
YAML
for s in token-validation scope-policy metadata gateway; do
  "$bin/mcpauth-$s" --config "$work/suite.yaml" >"$work/$s.log" 2>&1 & pids+=($!)
done
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$gw/readyz" >/dev/null && break; sleep 0.1; done
token=$("$bin/mcpauth" token mint --key "$work/key.json" --iss https://bench.issuer --aud "http://127.0.0.1:$gw/mcp" \
          --sub bench --scope mcp --ttl 86400)

# legit LABEL: the legitimate caller for `duration` seconds; prints a table row.
legit() {
  local out rps p50 p99
  out=$(MCPAUTH_TOKEN="$token" MCPAUTH_DELAY_MS=2 wrk -t1 -c1 -d"${duration}s" --latency -H "X-Forwarded-For: 198.51.100.1" \
          -s "$here/tools_call.lua" "http://127.0.0.1:$gw/mcp")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  echo "| $1 | $rps | $p50 | $p99 | $2 |"
}
# flood CLIENT: the flood in the background for a little longer than `duration`.
flood() {
  MCPAUTH_TOKEN="$token" MCPAUTH_CLIENT="$1" wrk -t1 -c64 -d"$((duration + 2))s" -s "$here/forged_tokens.lua" \
    "http://127.0.0.1:$gw/mcp" >"$work/flood.txt" 2>&1 &
  flood_pid=$!
  pids+=("$flood_pid")
  sleep 1
}
flood_summary() {  # after `wait "$flood_pid"` in this shell
  local rps statuses
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/flood.txt")
  statuses=$(sed -n 's/^STATUSES //p' "$work/flood.txt")
  echo "flood ${rps} req/s, statuses ${statuses}"
}

saved_duration=$duration; duration=3; legit warm-up none >/dev/null; duration=$saved_duration  # first connections, caches
echo "| legitimate caller | requests/s | p50 | p99 | flood |"
echo "|---|---|---|---|---|"
legit "alone (idle)" "none"
for client in 203.0.113.7 random; do
  flood "$client"
  row=$(legit "beside a $([[ $client == random ]] && echo many-clients || echo one-client) flood" FLOOD)
  wait "$flood_pid" || true
  echo "${row/FLOOD/$(flood_summary)}"
done
legit "alone again" "none"
echo
echo "gateway shedding counters:"
curl -fs "http://127.0.0.1:$gm/metrics" | grep -E '^mcpauth_gateway_denials_total\{reason="(failed_auth_budget|overloaded|invalid_token)"' || true
