#!/usr/bin/env bash
# Runs on the GPU machine (device tool), from the bundle made by ci/gpu-bundle.sh:
#   run(command="bash .device/gpu-run.sh [steps]", carry=[".device"])
# Run it from the repository root (the device tool's working directory): `suite` runs every
# falsifier on cpu and cuda and writes the evidence to commit under reports/evidence/;
# `faultcatch` plants each bug with the fault-injection pv and writes fault-catch.md.
# steps (default: all): info tests memcheck racecheck faultrace suite faultcatch bench trace torch; also suite-cuda and ncu
# (the suite on the cuda backend alone, for evidence when the host's CPU results should not be replaced) (faultrace:
# racecheck must report the planted Fault::cuda_reduction_race, i.e. exit 3, in the fault-injection build; trace:
# the fused stack's phase times, PV_CUDA_STACK_TRACE). Outputs go to $OUT (or /tmp/pv-gpu-out): nvidia-smi.txt,
# tests.log, memcheck.log, racecheck.log, bench.txt, trace.txt, torch.txt, torch.json, ... Each step has its own
# time limit so one hang cannot eat the lease; a summary with each step's exit code is printed last. Then every
# output is packed into $OUT/gpu-out.tar (the device tool brings back only a few files per call; PV_GPU_TAR=0
# leaves them as they are): `tar xf gpu-out.tar` where they arrive.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
export LD_LIBRARY_PATH="$HERE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# The evidence records the commit the bundle was built from (the checkout here may hold a stale .git).
[ -s "$HERE/COMMIT" ] && export PV_GIT_COMMIT="$(head -c 40 "$HERE/COMMIT")"
OUT=${OUT:-/tmp/pv-gpu-out}
mkdir -p "$OUT"
STEPS=${*:-info tests memcheck racecheck faultrace suite faultcatch bench trace torch}
SAN=${SANITIZER:-$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)}
TOKENS=${PV_BENCH_TOKENS:-1,2,4,8,32,128,512}
LAYERS=${PV_BENCH_LAYERS:-48}
# Sanitizer runs skip the planted race and the cases tagged [sanitizer-slow] (the fused
# kernel's full equality sweeps: under racecheck each shape takes minutes; a sanitizer-sized
# case covers the same code). Separate Catch arguments are AND-ed.
if [ -n "${PV_SAN_FILTER:-}" ]; then SAN_FILTER=("$PV_SAN_FILTER"); else SAN_FILTER=("~*planted reduction race*" "~[sanitizer-slow]"); fi
summary=()
step() {  # step NAME LIMIT_S LOG CMD...
  local name=$1 limit=$2 log=$3; shift 3
  local t0=$SECONDS
  echo "=== $name: $*" | tee -a "$OUT/$log"
  timeout "$limit" "$@" >>"$OUT/$log" 2>&1
  local rc=$?
  tail -n 25 "$OUT/$log"
  summary+=("$name rc=$rc $((SECONDS - t0))s")
}
for s in $STEPS; do
  case $s in
    info) step info 60 nvidia-smi.txt bash -c "nvidia-smi; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv; $SAN --version | tail -1; cat $HERE/COMMIT" ;;
    tests) step tests 150 tests.log "$HERE/test_cuda_engine" --durations yes "~*planted reduction race*" ;;
    memcheck) step memcheck 240 memcheck.log "$SAN" --tool memcheck --error-exitcode 3 --leak-check no "$HERE/test_cuda_engine" "${SAN_FILTER[@]}" ;;
    racecheck) step racecheck 300 racecheck.log "$SAN" --tool racecheck --racecheck-report all --error-exitcode 3 "$HERE/test_cuda_engine" "${SAN_FILTER[@]}" ;;
    bench) step bench 300 bench.txt "$HERE/pv" bench --backend cuda --synth-layers "$LAYERS" --tokens "$TOKENS" --mode both --min-seconds "${PV_BENCH_SECONDS:-0.3}" ;;
    faultrace) step faultrace 120 faultrace.log env PV_FAULT=cuda_reduction_race "$SAN" --tool racecheck --error-exitcode 3 "$HERE/test_cuda_engine_fault" "cuda: the planted reduction race (fault-injection builds only)" ;;
    suite|suite-cuda)
      if [ "$s" = suite ]; then backend=all limit=420; else backend=cuda limit=300; fi
      step "$s" "$limit" "$s.log" "$HERE/pv" run --backend "$backend" --fail-on-skip --seed "${PV_SEED:-20261126}" --jobs 4 \
        --evidence "$OUT/evidence-h100.json" --junit "$OUT/junit-h100.xml" ;;
    faultcatch) step faultcatch 480 faultcatch.log bash falsifiers/tests/fault_catch.sh --pv "$HERE/pv-fault" --out "$OUT/fault-catch.md" ;;
    trace) step trace 120 trace.txt env PV_CUDA_STACK_TRACE=1 "$HERE/pv" bench --backend cuda --synth-layers "$LAYERS" --tokens 1,8 --mode q8 --min-seconds 0.2 ;;
    ncu)  # source-level profile of the fused stack at T = 1 and 8 (ci/ncu-hotspots.py reads the CSVs); a failed
          # profile or export fails the step, whichever T it was (before, T = 8 and gzip set its status)
      NCU=$(command -v ncu || echo /usr/local/cuda/bin/ncu)
      step ncu 400 ncu.log bash -c "set -eo pipefail; for T in 1 8; do $NCU --kernel-name regex:stack_kernel --launch-skip 2 --launch-count 1 \
        --set full -f -o $OUT/stack-t\$T $HERE/pv bench --backend cuda --synth-layers $LAYERS --tokens \$T --mode q8 \
        --min-seconds 0.01; $NCU -i $OUT/stack-t\$T.ncu-rep --page source --csv --print-source cuda,sass \
        | gzip > $OUT/ncu-t\$T-source.csv.gz; done" ;;
    torch) step torch 200 torch.txt env PYTHONUNBUFFERED=1 python3 "$HERE/torch_baseline.py" --tokens "$TOKENS" --json "$OUT/torch.json" ;;
    *) echo "gpu-run.sh: unknown step '$s'" >&2; exit 2 ;;
  esac
done
echo "=== summary"
printf '%s\n' "${summary[@]}" | tee "$OUT/summary.txt"
if [ "${PV_GPU_TAR:-1}" = 1 ]; then
  (cd "$OUT" && rm -f gpu-out.tar && files=(*) && tar cf gpu-out.tar -- "${files[@]}" && rm -f -- "${files[@]}")
fi
