#!/usr/bin/env bash
# Builds every libFuzzer target (fuzz_*) with clang, ASan and UBSan into build-fuzz/ and runs
# each one for a bounded time on its seed corpus. Any crash, leak or UB report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${PV_FUZZ_SECONDS:-30}
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPV_FUZZ=ON -DPV_WITH_CUDA=OFF \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
targets=$(cmake --build build-fuzz --target help | sed -n 's/^\(fuzz_[a-z_]*\):.*/\1/p' | sort -u)
if [ -z "$targets" ]; then
  echo "ci/fuzz.sh: no fuzz targets found" >&2
  exit 1
fi
cmake --build build-fuzz -j "$(nproc)" --target $targets
for t in $targets; do
  exe=$(find build-fuzz -type f -name "$t" -perm -u+x | head -n 1)
  corpus_src=$(dirname "$(grep -rl --include=CMakeLists.txt "$t" . | grep -v build | head -n 1)")/corpus
  work=build-fuzz/corpus-$t
  mkdir -p "$work"
  [ -d "$corpus_src" ] && cp -r "$corpus_src"/. "$work"/ 2>/dev/null || true
  echo "ci/fuzz.sh: $t for ${SECONDS_PER_TARGET}s"
  "$exe" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 "$work" 2>&1 | tail -n 5
done
echo "ci/fuzz.sh: $(echo $targets | wc -w) fuzz target(s) ran clean"
