#!/usr/bin/env bash
# The credentials egress (issue 18) on loopback, against the same call made directly:
#   direct   wrk → a minimal "third-party API" (mcpauth-bench-upstream)
#   egress   wrk → mcpauth-credentials' egress port → the same API, each call with a
#            grant (ES256, checked), the handle's record read from Redis and its MAC
#            checked, the grant's use counted in Redis (INCR), the secret opened
#            (ECDH P-256 + AES-256-GCM) and injected
# For each: calls per second, p50, p99, and calls per CPU-second of the credentials
# process. Loopback only; stops what it starts.
# Usage: tools/benchmarks/egress_bench.sh [DURATION_SECONDS] [CONCURRENCY...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="$root/build/bin"
duration="${1:-10}"; shift || true
levels=("$@"); ((${#levels[@]})) || levels=(1 16)
source "$root/tools/benchmarks/lib.sh"
bench_workspace mcpauth-bench-egress
up=$(free_port); redis=$(free_port); grpc=$(free_port); egress=$(free_port)
bench_upstream_and_key "$up"   # key.json: the gateway's grant key, jwks.json its public set
redis-server --port "$redis" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 & pids+=($!)
"$bin/mcpauth" credentials keygen --kid bench --out "$work/service-key.json" >"$work/service-public.json"
head -c 48 /dev/urandom | base64 >"$work/record-secret"
cat >"$work/suite.yaml" <<YAML
resource: "https://mcp.example.com/mcp"
logging: {level: warn}
redis: {url: "redis://127.0.0.1:$redis/0"}
credentials: {listen: "127.0.0.1:$grpc", metrics_listen: "", egress_listen: "127.0.0.1:$egress",
              key_files: ["$work/service-key.json"], record_secret_file: "$work/record-secret",
              grant_keys_file: "$work/jwks.json"}
YAML
sleep 0.5
"$bin/mcpauth-credentials" --config "$work/suite.yaml" >"$work/credentials.log" 2>&1 & pids+=($!)
credentials_pid=${pids[-1]}
sleep 1.5
printf 'bench-secret-value' >"$work/secret"
sealed=$("$bin/mcpauth" credentials seal --public-key "$work/service-public.json" --iss https://bench.issuer --sub bench \
  --host "127.0.0.1:$up" --inject bearer --label api --secret-file "$work/secret")
handle=$("$bin/mcpauth" credentials store --server "127.0.0.1:$grpc" --sealed "$sealed" | sed -n 's/.*"handle":"\([^"]*\)".*/\1/p')
grant=$("$bin/mcpauth" token mint --key "$work/key.json" --iss mcpauth-gateway --aud mcpauth-credentials --sub bench \
  --typ mcpauth-grant+jwt --ttl 3600 --claim token_iss='"https://bench.issuer"' \
  --claim resource='"https://mcp.example.com/mcp"' --claim max_uses=1000000000)

# A small JSON POST (the bench upstream answers POSTs; a GET would be an SSE stream).
cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"ping"}'
wrk.headers["Content-Type"] = "application/json"
dofile("$root/tools/benchmarks/report_done.lua")
LUA

cpu_seconds() {  # utime + stime of PID, in seconds
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"
}
run() {  # LABEL CONNS URL [HEADER...]
  local label=$1 conns=$2 url=$3; shift 3
  local headers=() h
  for h in "$@"; do headers+=(-H "$h"); done
  local before after out
  before=$(cpu_seconds "$credentials_pid")
  out=$(wrk -t1 -c"$conns" -d"${duration}s" --timeout 10s -s "$work/post.lua" "${headers[@]}" "$url" |
        sed -n 's/^BENCH //p')
  after=$(cpu_seconds "$credentials_pid")
  node -e '
    const r = JSON.parse(process.argv[1]); const cpu = Number(process.argv[3]) - Number(process.argv[2]);
    const per = process.argv[4] === "egress" && cpu > 0 ? Math.round(r.requests / cpu).toLocaleString("en") : "—";
    console.log(`| ${process.argv[4]} | ${process.argv[5]} | ${Math.round(r.rps).toLocaleString("en")} | ${r.p50_us} µs | ${r.p99_us} µs | ${per} | ${r.errors + r.non2xx} |`);
  ' "$out" "$before" "$after" "$label" "$conns"
}
echo "| path | concurrency | calls/s | p50 | p99 | calls per credentials CPU-second | errors |"
echo "|---|---|---|---|---|---|---|"
for c in "${levels[@]}"; do
  run direct "$c" "http://127.0.0.1:$up/v1/me"
  run egress "$c" "http://127.0.0.1:$egress/v1/egress" "X-MCP-Credential: $handle" "X-MCP-Auth-Grant: $grant" \
    "X-MCP-Egress-Url: http://127.0.0.1:$up/v1/me"
done
