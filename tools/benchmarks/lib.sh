# Sourced by the benchmark scripts (tools/bench, gateway_bench.sh, overload_bench.sh).

# free_port: a loopback port below the ephemeral range (where the kernel picks
# outgoing ports) that nothing listens on now.
free_port() {
  local p tries
  for ((tries = 0; tries < 200; tries++)); do
    p=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "no free loopback port" >&2
  return 1
}

# bench_workspace NAME: a fresh folder in $work, removed on exit, when every process
# whose PID was added to $pids is stopped too.
bench_workspace() {
  work="$(mktemp -d "/tmp/$1.XXXXXX")"
  pids=()
  trap bench_cleanup EXIT
}
bench_cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}

# bench_upstream_and_key PORT: the minimal upstream (one thread) on PORT, and an
# ES256 signing key ($work/key.json) with its public set ($work/jwks.json). Needs $bin.
bench_upstream_and_key() {
  "$bin/mcpauth-bench-upstream" "$1" 1 & pids+=($!)
  "$bin/mcpauth" keys generate --alg ES256 --kid bench --out "$work/key.json" >/dev/null
  "$bin/mcpauth" keys jwks "$work/key.json" >"$work/jwks.json"
}
