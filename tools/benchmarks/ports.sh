# Sourced by the benchmark scripts. free_port: a loopback port below the ephemeral
# range (where the kernel picks outgoing ports) that nothing listens on now.
free_port() {
  local p tries
  for ((tries = 0; tries < 200; tries++)); do
    p=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "no free loopback port" >&2
  return 1
}
