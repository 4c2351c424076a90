#!/usr/bin/env bash
# The image cannot be missing a shared library: every library the built binaries load
# (ldd, transitively) must come from a package the Dockerfile's runtime stage installs,
# or from a package those depend on (apt's dependency closure, as apt-get would install
# it on bookworm); every library a binary needs directly (its DT_NEEDED entries) must
# come from a package named explicitly in that list. Libraries are mapped to packages
# with dpkg -S on this Debian 12 build host, the same release as the image. There is no
# Docker daemon here, so the image itself is not built; this is the check that stands
# in for running the binaries inside it.
#
#   image_libraries_test.sh DOCKERFILE BIN_DIR
set -euo pipefail
dockerfile="${1:?usage: $0 DOCKERFILE BIN_DIR}"
bin="${2:?usage: $0 DOCKERFILE BIN_DIR}"
binaries=(mcpauth mcpauth-token-validation mcpauth-scope-policy mcpauth-metadata mcpauth-gateway mcpauth-credentials)
failures=0
fail() { echo "FAIL  $*"; failures=$((failures + 1)); }
ok() { echo "ok    $*"; }

for tool in ldd dpkg apt-cache readelf; do
  command -v "$tool" >/dev/null || { echo "FATAL: $tool is not installed"; exit 1; }
done
for b in "${binaries[@]}"; do
  [[ -x "$bin/$b" ]] || { echo "FATAL: $bin/$b is missing: build it first (ninja -C BUILD $b)"; exit 1; }
done

# The runtime stage: from its FROM to the next FROM (or the end), continuation lines joined.
runtime_stage="$(awk 'BEGIN{IGNORECASE=1} /^FROM /{inside = ($0 ~ / AS runtime$/)} inside' "$dockerfile" | sed -e ':a' -e '/\\$/N; s/\\\n//; ta')"
[[ -n "$runtime_stage" ]] || { echo "FATAL: no 'FROM ... AS runtime' stage in $dockerfile"; exit 1; }
[[ "$(grep -m1 '^FROM' <<<"$runtime_stage")" =~ bookworm ]] && ok "the runtime stage is Debian bookworm" || fail "the runtime stage is not Debian bookworm"
# The packages after `apt-get install` (options skipped) up to the end of that command.
mapfile -t installed < <(grep -o 'apt-get install[^&;]*' <<<"$runtime_stage" | tr -s ' ' '\n' | grep -v -e '^-' -e '^apt-get$' -e '^install$' -e '^$' | sort -u)
((${#installed[@]})) || { echo "FATAL: no apt-get install in the runtime stage"; exit 1; }
echo "runtime stage installs: ${installed[*]}"
grep -q '^USER [0-9]' <<<"$runtime_stage" && ok "the runtime stage runs as a numeric non-root USER" || fail "no numeric USER in the runtime stage"
grep -Eq 'USER 0(:|$)' <<<"$runtime_stage" && fail "USER 0 is root" || true
grep -q 'COPY --from=build .* /usr/local/bin/' <<<"$runtime_stage" && ok "the binaries are copied to /usr/local/bin" || fail "no COPY of the binaries to /usr/local/bin"
for b in "${binaries[@]}"; do
  grep -q "\b$b\b" "$dockerfile" || fail "the Dockerfile does not build $b"
done

known="$(apt-cache show --no-all-versions "${installed[@]}" 2>/dev/null | sed -n 's/^Package: //p' | sort -u)"
for p in "${installed[@]}"; do
  grep -qx -- "$p" <<<"$known" || fail "package $p is unknown to apt (a typo, or not in bookworm)"
done
printf '%s\n' "${installed[@]}" | grep -qx ca-certificates && ok "ca-certificates (https JWKS and discovery fetches)" \
  || fail "ca-certificates is not installed: https fetches of JWKS and metadata would fail"

# The packages apt-get would install for that list (dependencies, no recommends).
closure_of() {
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances \
    "$@" 2>/dev/null | grep -v '^ ' | grep -v '^<' | sort -u
}

# What the binaries load: "binary name path direct" lines (direct: a DT_NEEDED entry).
loads=""
for b in "${binaries[@]}"; do
  ldd_out="$(ldd "$bin/$b")"
  if grep -q 'not found' <<<"$ldd_out"; then
    fail "$b: ldd cannot find: $(grep 'not found' <<<"$ldd_out" | tr -s '\t ' ' ')"
  fi
  if grep -Eq 'lib(a|ub|t|l)san' <<<"$ldd_out"; then
    fail "$b: built with a sanitizer; the image test needs a normal build"
  fi
  needed="$(readelf -d "$bin/$b" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')"
  while read -r name lib; do
    [[ -n "$lib" ]] || continue
    direct=0
    grep -qx "$name" <<<"$needed" && direct=1
    loads+="$b $name $lib $direct"$'\n'
  done < <(awk '/=>/ && $3 ~ /^\// {print $1, $3} !/=>/ && $1 ~ /^\// && $1 !~ /ld-linux/ {print $1, $1}' <<<"$ldd_out")
done

# The package(s) owning each library, from one dpkg -S over every spelling of its path:
# as ldd prints it and its real path, each with and without /usr (Debian 12 merges
# /lib into /usr/lib).
declare -A owner=()
mapfile -t libpaths < <(awk 'NF {print $3}' <<<"$loads" | sort -u)
candidates=()
for lib in "${libpaths[@]}"; do
  real="$(readlink -f "$lib")"
  candidates+=("$lib" "$real" "/usr$lib" "/usr$real" "${lib#/usr}" "${real#/usr}")
done
while IFS= read -r line; do
  pkgs="${line%%: /*}" path="/${line#*: /}"
  owner["$path"]="$(sed -e 's/, /\n/g' <<<"$pkgs" | sed 's/:.*//' | sort -u | tr '\n' ' ')"
done < <(dpkg -S "${candidates[@]}" 2>/dev/null | grep ': /' || true)
package_of() {
  local lib="$1" real candidate
  real="$(readlink -f "$lib")"
  for candidate in "$lib" "$real" "/usr$lib" "/usr$real" "${lib#/usr}" "${real#/usr}"; do
    [[ -n "${owner[$candidate]:-}" ]] && { echo "${owner[$candidate]}"; return 0; }
  done
  return 1
}
declare -A package_for=()
for lib in "${libpaths[@]}"; do
  package_for["$lib"]="$(package_of "$lib" || true)"
done

# check_list LABEL PACKAGE...: prints each problem with that install list, then a count.
check_list() {
  local label="$1"; shift
  local -a list=("$@")
  local problems=0 b name lib direct pkgs pkg provided
  local -A in_list=() in_closure=()
  for pkg in "${list[@]}"; do in_list["$pkg"]=1; done
  for pkg in $(closure_of "${list[@]}"); do in_closure["$pkg"]=1; done
  while read -r b name lib direct; do
    [[ -n "$lib" ]] || continue
    pkgs="${package_for[$lib]}"
    if [[ -z "$pkgs" ]]; then
      echo "  $b: $lib belongs to no Debian package"; problems=$((problems + 1)); continue
    fi
    provided=0
    for pkg in $pkgs; do
      if ((direct)); then
        [[ -n "${in_list[$pkg]:-}" ]] && provided=1
      else
        [[ -n "${in_closure[$pkg]:-}" ]] && provided=1
      fi
    done
    if ((!provided)); then
      if ((direct)); then
        echo "  $b needs $name directly; its package ($pkgs) is not in the runtime install list"
      else
        echo "  $b loads $name; its package ($pkgs) is not installed by the runtime stage's list"
      fi
      problems=$((problems + 1))
    fi
  done <<<"$loads"
  echo "  ($label: $problems problem(s))"
}

echo
echo "== the runtime stage's list provides every library (ldd on ${binaries[*]})"
report="$(check_list "the Dockerfile's list" "${installed[@]}")"
echo "$report"
if grep -q '(the Dockerfile.s list: 0 problem(s))' <<<"$report"; then
  ok "every shared library the binaries load comes from a package the runtime stage installs"
else
  fail "the runtime stage would be missing libraries (see above)"
fi
ok "${#libpaths[@]} distinct libraries in $(grep -c . <<<"$loads") (binary, library) pairs checked, $(grep -c ' 1$' <<<"$loads") of them direct (DT_NEEDED)"

echo
echo "== the check can fail: the same list without one package"
for drop in libyaml-cpp0.7 libcurl4; do
  mapfile -t fewer < <(printf '%s\n' "${installed[@]}" | grep -vx "$drop")
  report="$(check_list "without $drop" "${fewer[@]}")"
  if grep -q ": 0 problem(s))" <<<"$report"; then
    fail "dropping $drop from the list went unnoticed"
  else
    ok "dropping $drop is caught: $(grep -m1 'is not' <<<"$report" | sed 's/^ *//')"
  fi
done

echo
if ((failures)); then echo "deploy_image_libraries_test: $failures failure(s)"; exit 1; fi
echo "deploy_image_libraries_test: all checks passed"
