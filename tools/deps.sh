#!/usr/bin/env bash
# Install whatever Debian packages and npm test tools are missing; do nothing when all are there.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBS=(cmake ninja-build pkg-config gcc make
      libsecp256k1-dev libssl-dev libgmp-dev liblmdb-dev libcurl4-openssl-dev
      libzstd-dev libuv1-dev libjansson-dev nodejs npm clang-format)
# Optional groups: `tools/deps.sh fuzz` (clang + libFuzzer runtime), `tools/deps.sh bench`.
for group in "$@"; do
  case "$group" in
    fuzz) DEBS+=(clang libclang-rt-14-dev) ;;
    bench) DEBS+=(wrk hyperfine valgrind) ;;
    *) echo "deps: unknown group '$group' (known: fuzz, bench)" >&2; exit 1 ;;
  esac
done

missing=()
for p in "${DEBS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    # nodejs/npm may come from elsewhere than Debian: a working binary is enough.
    case "$p" in
      nodejs) command -v node >/dev/null && continue ;;
      npm) command -v npm >/dev/null && continue ;;
    esac
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "deps: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm test tools, pinned in tests/package.json + package-lock.json. Re-install only when the
# lock file changed since the last install.
if [ -f tests/package.json ]; then
  stamp=tests/node_modules/.rn-stamp
  lock=tests/package-lock.json
  if [ ! -f "$stamp" ] || [ "$lock" -nt "$stamp" ] || [ tests/package.json -nt "$stamp" ]; then
    echo "deps: installing npm test tools (tests/package.json)"
    if [ -f "$lock" ]; then
      (cd tests && npm ci --no-audit --no-fund --loglevel=error)
    else
      (cd tests && npm install --no-audit --no-fund --loglevel=error)
    fi
    touch "$stamp"
  fi
fi
