#!/usr/bin/env bash
# checksrc for rollup-node (STYLE.md 2.11): banned functions, raw malloc/free outside base/,
# printf outside node/ and tests, TODO without an issue number, upward includes across layers.
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0
report() { echo "lint: $*"; fail=1; }

banned='\b(sprintf|vsprintf|strcpy|strcat|strncpy|strtok|atoi|atol|gets|rand|alloca|system)\s*\('
while IFS= read -r hit; do report "banned function: $hit"; done < <(grep -rnE "$banned" src || true)

while IFS= read -r hit; do report "raw allocation outside base/: $hit"; done < <(
  grep -rnE '\b(malloc|calloc|realloc|free)\s*\(' src --include='*.c' | grep -v '^src/base/' |
  grep -vE 'rn_(malloc|calloc|realloc|free)|_free\(|OPENSSL_free|json_|mpz_|mdb_' || true)

while IFS= read -r hit; do report "printf outside node/: $hit"; done < <(
  grep -rnE '(^|[^a-z_])printf\s*\(' src --include='*.c' | grep -v '^src/node/' || true)

while IFS= read -r hit; do report "TODO without issue number: $hit"; done < <(
  grep -rnE 'TODO(\s|:|$)' src tests --include='*.[ch]' | grep -vE 'TODO\(#[0-9]+\)' || true)

# Layers (ARCHITECTURE.md): a module may include only modules of a lower layer (or its own).
declare -A layer=([base]=0 [crypto]=1 [rlp]=1 [primitives]=2 [evm]=3 [trie]=3 [db]=3 [state]=4
  [chain]=5 [txpool]=5 [engine]=6 [sequencer]=7 [signer]=7 [l1]=7 [derive]=7 [p2p]=7 [rpc]=7
  [node]=8)
for dir in src/*/; do
  m=$(basename "$dir")
  [ -n "${layer[$m]:-}" ] || continue
  while IFS= read -r line; do
    file=${line%%:*}
    inc=$(sed -E 's/.*#include "([a-z0-9_]+)\/.*/\1/' <<<"$line")
    [ "$inc" = "$m" ] && continue
    [ -n "${layer[$inc]:-}" ] || continue
    if [ "${layer[$inc]}" -ge "${layer[$m]}" ]; then
      report "$file includes $inc/ (layer ${layer[$inc]}) from $m/ (layer ${layer[$m]})"
    fi
  done < <(grep -rnE '^#include "[a-z0-9_]+/' "$dir" || true)
done
[ $fail -eq 0 ] && echo "lint: clean"
exit $fail
