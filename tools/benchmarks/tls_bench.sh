#!/usr/bin/env bash
# What TLS costs the gateway (issue 15), on loopback, in one run: six copies of the
# whole suite (token-validation, scope-policy, metadata, gateway; one gateway thread)
# that differ only in their transport, each driven by wrk with keep-alive and an
# authorized tools/call:
#   plaintext         client -http-> gateway -http-> nginx -> upstream
#   https-upstream    the gateway reaches nginx over https (certificate checked)
#   tls-at-gateway    the client reaches the gateway over https (gateway.tls)
#   uncached          plaintext, validation_cache_ttl 0 (every request asks token-validation)
#   uncached-mtls     the same with mutual TLS to token-validation and scope-policy
#   all-tls           https client, https upstream, mutual TLS between the services
# and then token-validation's Validate alone over gRPC (mcpauth-bench-grpc), plaintext
# against mutual TLS.
# nginx stands in front of the upstream in every row, so the rows differ by TLS only.
# Certificates come from a CA the script makes with openssl. Prints a Markdown table:
# medians over MCPAUTH_ROUNDS rounds (default 3) of requests/s, p50 and p99, the
# requests/s change against plaintext (uncached-mtls: against uncached), and the CPU
# time the gateway and token-validation spent per request (from /proc; on a shared
# 2-core machine wrk, nginx and the upstream also do TLS work on the same cores, so
# requests/s moves with them while the gateway's own CPU per request does not). Builds nothing:
# run after a release build. Stops everything it starts.
# Usage: tools/benchmarks/tls_bench.sh [DURATION_SECONDS] [CONNECTIONS...]
#        (MCPAUTH_BIN: the binaries, default build/bin)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${MCPAUTH_BIN:-$root/build/bin}"
duration="${1:-5}"; shift || true
connections=("$@"); ((${#connections[@]})) || connections=(1 16)
for tool in wrk openssl nginx curl node; do
  command -v "$tool" >/dev/null || { echo "tls_bench: $tool is missing (tools/setup installs it)" >&2; exit 2; }
done
source "$root/tools/benchmarks/lib.sh"
bench_workspace mcpauth-tls-bench

# A CA and one certificate for every TLS endpoint (loopback address and localhost).
(
  cd "$work"
  ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
  openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.crt -subj /CN=bench-ca -days 1 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' >leaf.ext
  openssl req "${ec[@]}" -keyout leaf.key -out leaf.csr -subj /CN=127.0.0.1 2>/dev/null
  openssl x509 -req -in leaf.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out leaf.crt -days 1 -extfile leaf.ext 2>/dev/null
)
up=$(free_port)
bench_upstream_and_key "$up"

# nginx: a plaintext and a TLS front of the upstream, keep-alive both ways.
ng_http=$(free_port); ng_https=$(free_port)
mkdir -p "$work/nginx"/{body,proxy,fastcgi,uwsgi,scgi}
cat >"$work/nginx/nginx.conf" <<NGINX
$( ((EUID == 0)) && echo "user root root;")
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body; proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi; uwsgi_temp_path $work/nginx/uwsgi; scgi_temp_path $work/nginx/scgi;
  upstream mcp { server 127.0.0.1:$up; keepalive 64; }
  server {
    listen 127.0.0.1:$ng_http;
    listen 127.0.0.1:$ng_https ssl;
    ssl_certificate $work/leaf.crt;
    ssl_certificate_key $work/leaf.key;
    keepalive_requests 1000000;
    location / { proxy_pass http://mcp; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
NGINX
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" >"$work/nginx.log" 2>&1 & pids+=($!)

mtls="tls: {cert_file: $work/leaf.crt, key_file: $work/leaf.key, client_ca_file: $work/ca.crt}, client_tls: {ca_file: $work/ca.crt, cert_file: $work/leaf.crt, key_file: $work/leaf.key}"
declare -A url_of=() token_of=() pid_of=() tv_of=()
# suite NAME CLIENT_TLS(0/1) UPSTREAM_TLS(0/1) GRPC_TLS(0/1) CACHE_TTL
suite() {
  local name=$1 client_tls=$2 upstream_tls=$3 grpc_tls=$4 cache=$5
  local gw tv sp md scheme=http upstream="http://127.0.0.1:$ng_http/mcp" route_tls="" gw_tls="" svc_tls=""
  gw=$(free_port); tv=$(free_port); sp=$(free_port); md=$(free_port)
  if ((client_tls)); then scheme=https; gw_tls=", tls: {cert_file: $work/leaf.crt, key_file: $work/leaf.key}"; fi
  if ((upstream_tls)); then upstream="https://127.0.0.1:$ng_https/mcp"; route_tls=", upstream_tls: {ca_file: $work/ca.crt}"; fi
  if ((grpc_tls)); then svc_tls=", $mtls"; fi
  cat >"$work/$name.yaml" <<YAML
resource: "$scheme://127.0.0.1:$gw/mcp"
logging: {level: warn}
authorization: {enabled: true, required_scopes: [mcp]}
jwt_validators: [{issuer: "https://bench.issuer", jwks_file: "$work/jwks.json"}]
token_validation: {listen: "127.0.0.1:$tv", metrics_listen: ""$svc_tls}
scope_policy: {listen: "127.0.0.1:$sp", metrics_listen: ""$svc_tls}
metadata: {listen: "127.0.0.1:$md", metrics_listen: ""$svc_tls}
gateway: {listen: "127.0.0.1:$gw", metrics_listen: "", threads: 1, validation_cache_ttl: $cache, routes: [{path: /mcp, upstream: "$upstream"$route_tls}]$gw_tls}
YAML
  for s in token-validation scope-policy metadata gateway; do
    "$bin/mcpauth-$s" --config "$work/$name.yaml" >"$work/$name-$s.log" 2>&1 & pids+=($!)
    pid_of[$name/$s]=$!
  done
  url_of[$name]="$scheme://127.0.0.1:$gw/mcp"
  tv_of[$name]="127.0.0.1:$tv"
  token_of[$name]=$("$bin/mcpauth" token mint --key "$work/key.json" --iss https://bench.issuer \
    --aud "$scheme://127.0.0.1:$gw/mcp" --sub bench --scope mcp --ttl 86400)
}
suites=(plaintext https-upstream tls-at-gateway uncached uncached-mtls all-tls)
suite plaintext 0 0 0 30
suite https-upstream 0 1 0 30
suite tls-at-gateway 1 0 0 30
suite uncached 0 0 0 0
suite uncached-mtls 0 0 1 0
suite all-tls 1 1 1 30

# Ready: an authorized call answers 200 through each.
for name in "${suites[@]}"; do
  for ((i = 0; i < 100; i++)); do
    code=$(curl -sk -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer ${token_of[$name]}" \
      -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
      --data '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{}}}' "${url_of[$name]}" || true)
    [[ $code == 200 ]] && break
    sleep 0.1
  done
  [[ $code == 200 ]] || { echo "tls_bench: $name does not answer 200 (got $code); logs in $work" >&2; tail -3 "$work/$name"-*.log >&2; exit 1; }
done

# Every combination once per round, rounds interleaved, so that drift on a shared
# machine spreads over all rows; each row reports its medians.
declare -A runs=()
us() { awk '{ v = $1 + 0; if ($1 ~ /ms$/) v *= 1000; else if ($1 ~ /[0-9]s$/ && $1 !~ /us$/) v *= 1000000; printf "%.0f", v }' <<<"$1"; }
median() { tr ' ' '\n' <<<"$*" | sort -g | awk 'NF { a[++n] = $1 } END { print a[int((n + 1) / 2)] }'; }
# CPU time (user + system, clock ticks) a process has used so far.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
run() {  # run NAME CONNECTIONS: appends "rps p50_us p99_us non2xx gw_cpu_us tv_cpu_us" (per request) to runs[NAME/CONNECTIONS]
  local out gw0 tv0 gw1 tv1 requests hz
  gw0=$(ticks "${pid_of[$1/gateway]}"); tv0=$(ticks "${pid_of[$1/token-validation]}")
  out=$(MCPAUTH_TOKEN="${token_of[$1]}" wrk -t1 -c"$2" -d"${duration}s" --latency -s "$root/tools/benchmarks/tools_call.lua" "${url_of[$1]}")
  gw1=$(ticks "${pid_of[$1/gateway]}"); tv1=$(ticks "${pid_of[$1/token-validation]}")
  requests=$(awk '/requests in/ {print $1}' <<<"$out"); hz=$(getconf CLK_TCK)
  runs[$1/$2]+="$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(us "$(awk '$1=="50%" {print $2}' <<<"$out")") \
$(us "$(awk '$1=="99%" {print $2}' <<<"$out")") $(awk '/Non-2xx/ {n = $5} END {print n + 0}' <<<"$out") \
$(awk -v t=$((gw1 - gw0)) -v n="$requests" -v hz="$hz" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }') \
$(awk -v t=$((tv1 - tv0)) -v n="$requests" -v hz="$hz" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }');"
}
rounds="${MCPAUTH_ROUNDS:-3}"
for ((r = 1; r <= rounds; r++)); do
  for c in "${connections[@]}"; do
    for name in "${suites[@]}"; do run "$name" "$c"; done
  done
done
field() { tr ';' '\n' <<<"${runs[$1]}" | awk -v f="$2" 'NF { printf "%s ", $f }'; }
echo "Medians of $rounds rounds of ${duration} s (wrk -t1, keep-alive)."
echo
echo "| transport | connections | requests/s | p50 | p99 | non-2xx | requests/s change | gateway CPU µs/request | token-validation CPU µs/request |"
echo "|---|---|---|---|---|---|---|---|---|"
for c in "${connections[@]}"; do
  for name in "${suites[@]}"; do
    base=plaintext; [[ $name == uncached-mtls ]] && base=uncached
    rps=$(median $(field "$name/$c" 1)); base_rps=$(median $(field "$base/$c" 1))
    non2xx=$(field "$name/$c" 4 | awk '{ for (i = 1; i <= NF; i++) s += $i } END { print s + 0 }')
    change=$(awk -v a="$rps" -v b="$base_rps" 'BEGIN { printf "%+.1f%%", (a / b - 1) * 100 }')
    [[ $name == "$base" ]] && change="—" || change="$change vs $base"
    printf '| %s | %s | %.0f | %s µs | %s µs | %s | %s | %s | %s |\n' "$name" "$c" "$rps" "$(median $(field "$name/$c" 2))" \
      "$(median $(field "$name/$c" 3))" "$non2xx" "$change" "$(median $(field "$name/$c" 5))" "$(median $(field "$name/$c" 6))"
  done
done

# token-validation's Validate over gRPC, straight from mcpauth-bench-grpc (cached token,
# unary calls): the uncached suite's plaintext service against the uncached-mtls
# suite's, whose callers must present a certificate.
echo
echo "| Validate, cached token | concurrency | calls/s | p50 | p99 | token-validation CPU µs/call | calls/s change |"
echo "|---|---|---|---|---|---|---|"
declare -A grpc_runs=()
for name in uncached uncached-mtls; do
  for i in 1 2; do
    "$bin/mcpauth" token mint --key "$work/key.json" --iss https://bench.issuer --aud "${url_of[$name]}" --sub "bench$i" \
      --scope mcp --ttl 86400 >>"$work/$name.tokens"
  done
done
for ((r = 1; r <= rounds; r++)); do
  for c in 1 16 128; do
    for name in uncached uncached-mtls; do
      tls=(); [[ $name == uncached-mtls ]] && tls=(--ca-file "$work/ca.crt" --cert-file "$work/leaf.crt" --key-file "$work/leaf.key")
      grpc_runs[$name/$c]+="$("$bin/mcpauth-bench-grpc" --target "${tv_of[$name]}" --tokens "$work/$name.tokens" \
        --resource "${url_of[$name]}" --concurrency "$c" --requests 200000 --duration "$duration" \
        --pid "${pid_of[$name/token-validation]}" "${tls[@]}" |
        node -e 'const r = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(r.rps, r.p50_us, r.p99_us, r.service_cpu_us_per_req)');"
    done
  done
done
gfield() { tr ';' '\n' <<<"${grpc_runs[$1]}" | awk -v f="$2" 'NF { printf "%s ", $f }'; }
for c in 1 16 128; do
  for name in uncached uncached-mtls; do
    rps=$(median $(gfield "$name/$c" 1)); base=$(median $(gfield "uncached/$c" 1))
    change="—"; [[ $name == uncached-mtls ]] && change=$(awk -v a="$rps" -v b="$base" 'BEGIN { printf "%+.1f%% vs plaintext", (a / b - 1) * 100 }')
    label=plaintext; [[ $name == uncached-mtls ]] && label="mutual TLS"
    printf '| %s | %s | %.0f | %.0f µs | %.0f µs | %s | %s |\n' "$label" "$c" "$rps" "$(median $(gfield "$name/$c" 2))" \
      "$(median $(gfield "$name/$c" 3))" "$(median $(gfield "$name/$c" 4))" "$change"
  done
done
