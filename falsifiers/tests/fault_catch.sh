#!/usr/bin/env bash
# Proves the falsifier suite catches bugs: builds pv with -DPV_FAULT_INJECTION=ON into
# build-fault/ (only the pv target), then for each fault of engine/moe/fault.hpp runs
#   PV_FAULT=<name> pv run --backend cpu --seed S
# (cuda_reduction_race with --backend cuda, only where a GPU and the CUDA engine exist) and
# checks that the run fails, naming the falsifiers that caught it: those that FAIL/ERROR/
# CRASH/TIMEOUT under the fault but PASS without it. Prints the catch rate and writes
# reports/fault-catch.md. Exit 0 only when every fault that could run was caught.
#
#   bash falsifiers/tests/fault_catch.sh [--seed N] [--no-build]
#   bash falsifiers/tests/fault_catch.sh --pv BUNDLE/pv --contracts DIR --fixtures DIR --out FILE
# (the second form runs a fault-injection pv built elsewhere, e.g. on the GPU machine from a
# ci/gpu-bundle.sh bundle made with PV_FAULT_INJECTION=ON).
# Performance falsifiers are left out (they measure speed, not correctness).
set -euo pipefail
cd "${PV_ROOT:-$(dirname "$0")/../..}"  # PV_ROOT: the repository root when run from a bundle
SEED=20251126
BUILD=1
PV_ARG=""
EXTRA=()
REPORT=reports/fault-catch.md
while [ $# -gt 0 ]; do
  case "$1" in
    --seed) SEED="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --pv) PV_ARG="$2"; BUILD=0; shift 2 ;;
    --contracts|--fixtures) EXTRA+=("$1" "$2"); shift 2 ;;
    --out) REPORT="$2"; shift 2 ;;
    *) echo "fault_catch.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
BUILD_DIR=${PV_FAULT_BUILD_DIR:-build-fault}
PV="${PV_ARG:-$BUILD_DIR/harness/cli/pv}"
if [ "$BUILD" = 1 ]; then
  cuda_flag=()
  if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then cuda_flag=(-DPV_WITH_CUDA=OFF); fi
  mkdir -p "$BUILD_DIR"
  cmake -S . -B "$BUILD_DIR" -G Ninja -DPV_FAULT_INJECTION=ON "${cuda_flag[@]}" >"$BUILD_DIR/configure.log" 2>&1 \
    || { cat "$BUILD_DIR/configure.log"; exit 2; }
  cmake --build "$BUILD_DIR" --target pv -j "${PV_FAULT_JOBS:-2}" >/dev/null
fi
[ -x "$PV" ] || { echo "fault_catch.sh: $PV not built" >&2; exit 2; }

# The fault names, from the one place they are declared (every enumerator except none).
mapfile -t FAULTS < <(sed -n '/enum class Fault {/,/};/p' engine/moe/fault.hpp | grep -oE '^\s+[a-z_0-9]+' | tr -d ' ' | grep -v '^none$')
[ ${#FAULTS[@]} -gt 0 ] || { echo "fault_catch.sh: no faults found in engine/moe/fault.hpp" >&2; exit 2; }

HAVE_GPU=0
if nvidia-smi -L >/dev/null 2>&1 && "$PV" run "${EXTRA[@]}" --backend cuda --only FALSIFY-QW3-MOE-GPU-MEMORY-001 --seed 1 \
    --fail-on-skip >/dev/null 2>&1; then HAVE_GPU=1; fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
FILTER='^(?!.*THROUGHPUT)'
run_suite() {  # backend, evidence file; the exit status is returned
  "$PV" run "${EXTRA[@]}" --backend "$1" --seed "$SEED" --jobs "${PV_FAULT_RUN_JOBS:-2}" --filter "$FILTER" --timeout 300 \
    --evidence "$2" >"$2.log" 2>&1
}
not_passing() {  # evidence file -> "ID[backend]" per line that did not PASS (SKIP excluded)
  python3 -c '
import json, sys
ev = json.load(open(sys.argv[1]))
for r in ev["results"]:
    if r["verdict"] not in ("PASS", "SKIP"):
        print(r["id"] + "[" + r["backend"] + "] " + r["verdict"])
' "$1"
}

echo "fault_catch.sh: seed $SEED, faults: ${FAULTS[*]}"
declare -A BASE
for backend in cpu $([ $HAVE_GPU = 1 ] && echo cuda); do
  run_suite "$backend" "$WORK/base-$backend.json" || true
  BASE[$backend]=$(not_passing "$WORK/base-$backend.json" | cut -d' ' -f1 | sort)
  if [ -n "${BASE[$backend]}" ]; then
    echo "baseline ($backend) already failing, not counted as catches: $(echo ${BASE[$backend]})"
  fi
done

caught=0; ran=0
ROWS=""
for f in "${FAULTS[@]}"; do
  backend=cpu
  if [ "$f" = cuda_reduction_race ]; then
    backend=cuda
    if [ $HAVE_GPU = 0 ]; then
      echo "  $f: NOT RUN (no GPU or no CUDA engine in this build)"
      ROWS+="| \`$f\` | cuda | not run: no GPU here | - |"$'\n'
      continue
    fi
  fi
  ran=$((ran + 1))
  status=0
  PV_FAULT="$f" run_suite "$backend" "$WORK/$f.json" || status=$?
  if [ ! -s "$WORK/$f.json" ]; then
    echo "  $f: pv run wrote no evidence (exit $status):"; tail -5 "$WORK/$f.json.log"
    ROWS+="| \`$f\` | $backend | **no evidence** (exit $status) | - |"$'\n'
    continue
  fi
  by=$(comm -13 <(echo "${BASE[$backend]}") <(not_passing "$WORK/$f.json" | cut -d' ' -f1 | sort) | tr '\n' ' ')
  if [ "$status" -ne 0 ] && [ -n "$by" ]; then
    caught=$((caught + 1))
    echo "  $f: CAUGHT by $by"
    ROWS+="| \`$f\` | $backend | caught | ${by% } |"$'\n'
  else
    echo "  $f: MISSED (pv run exit $status)"
    ROWS+="| \`$f\` | $backend | **missed** | - |"$'\n'
  fi
done

# The commit the binaries were built from, as the evidence records it: PV_GIT_COMMIT (set by
# ci/gpu-run.sh from its bundle), else the checkout's HEAD.
commit_of_pv() {
  if [ "${#PV_GIT_COMMIT}" = 40 ]; then echo "${PV_GIT_COMMIT:0:7}"; else git rev-parse --short HEAD 2>/dev/null || echo unknown; fi
}
rate="$caught/$ran"
echo "fault_catch.sh: catch rate $rate (faults run: $ran of ${#FAULTS[@]})"
mkdir -p "$(dirname "$REPORT")"
{
  echo "# Fault catch rate"
  echo
  echo "Generated by \`bash falsifiers/tests/fault_catch.sh\` (CTest label \`fault\`) on $(date -u +%Y-%m-%dT%H:%M:%SZ),"
  echo "seed $SEED, git $(commit_of_pv), machine $(hostname); $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 || true). Each planted bug of"
  echo "\`engine/moe/fault.hpp\` is switched on with \`PV_FAULT=<name>\` in a \`-DPV_FAULT_INJECTION=ON\` build and"
  echo "the suite (performance falsifiers excluded) is run; a falsifier *catches* a fault when it fails"
  echo "under it and passes without it."
  echo
  echo "**Catch rate: $rate** of the faults that could run here (${#FAULTS[@]} planted)."
  echo
  echo "| fault | backend | result | caught by |"
  echo "|---|---|---|---|"
  printf "%s" "$ROWS"
  if [ -n "${BASE[cpu]}" ]; then
    echo
    echo "Failing without any fault (not counted as catches): $(echo ${BASE[cpu]} | sed 's/ /, /g')."
  fi
  if [ -n "${BASE[cuda]:-}" ]; then
    echo
    echo "Failing on cuda without any fault (not counted as catches): $(echo ${BASE[cuda]} | sed 's/ /, /g')."
  fi
} > "$REPORT"
echo "fault_catch.sh: wrote $REPORT"
[ "$caught" = "$ran" ]
