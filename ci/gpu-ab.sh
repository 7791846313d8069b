#!/usr/bin/env bash
# A/B timing of several pv builds in one device session: q8 mode, 48 distinct synthetic layers,
# the builds alternating round by round, so that drift on a shared machine hits each one alike.
# Each run prints the device-to-device copy bandwidth it measured, for ratios within one run.
#   usage (on the GPU machine): bash .device/gpu-ab.sh TOKENS ROUNDS BIN...
#   e.g.  bash .device/gpu-ab.sh 1,2,4,8,16 3 pv-base pv
# BIN names executables in the bundle folder (ci/gpu-bundle.sh puts `pv` there; copy a
# baseline build next to it as `pv-base`). Summarise with: bash ci/gpu-ab.sh --mean FILE
set -euo pipefail
if [ "${1:-}" = --mean ]; then  # mean ms/layer and tok/s per build and T over the rounds
  awk '/^=== round/{v=$4} /^q8/{k=v" T="$2; ms[k]+=$3; tok[k]+=$5; n[k]++}
       END{for (k in n) printf "%-24s %.4f ms/layer %7.0f tok/s (%d rounds)\n", k, ms[k]/n[k], tok[k]/n[k], n[k]}' "$2" | sort -V
  exit 0
fi
HERE="$(cd "$(dirname "$0")" && pwd)"
export LD_LIBRARY_PATH="$HERE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
T=${1:?tokens, e.g. 1,8}; R=${2:?rounds}; shift 2
[ $# -ge 1 ] || { echo "gpu-ab.sh: name at least one build" >&2; exit 2; }
for r in $(seq 1 "$R"); do
  for v in "$@"; do
    echo "=== round $r $v"
    "$HERE/$v" bench --backend cuda --synth-layers 48 --tokens "$T" --mode q8 --min-seconds 0.3 2>&1 |
      grep -E "^q8|bandwidth"
  done
done
