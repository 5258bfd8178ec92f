#!/usr/bin/env bash
# Builds kscope.wasm with other AssemblyScript build options into build/variants/, for the codec
# benchmark to compare in one interleaved run:
#   bench/variants.sh && KSCOPE_WASM=$(ls build/variants/*.wasm | paste -sd,) node dist/bench/codec.js 300
# Measuring builds only; asconfig.json's release target is the one shipped.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/variants
mkdir -p "$out"
asc() { npx asc assembly/index.ts --target release "$@" 2>&1 | grep -v "^INFO\|^ *[:│└]\|^ *[0-9]* │\|^$" || true; }
rm -f "$out"/*.wasm
asc -o "$out/release.wasm"                                  # asconfig.json: -O3, shrinkLevel 1, minimal runtime (assembly/abi/gc.ts)
asc -o "$out/incremental.wasm" --runtime incremental        # the incremental GC (shadow stack, write barriers), as before
asc -o "$out/stub.wasm" --runtime stub                      # never frees: a floor, not an option
asc -o "$out/converge.wasm" --converge
asc -o "$out/shrink0.wasm" --shrinkLevel 0
asc -o "$out/noassert.wasm" --noAssert
asc -o "$out/unchecked.wasm" --uncheckedBehavior always
npx wasm-opt -O3 --enable-bulk-memory --enable-sign-ext --enable-mutable-globals --enable-nontrapping-float-to-int "$out/release.wasm" -o "$out/wasm-opt-O3.wasm"
ls -l "$out"
