#!/usr/bin/env bash
# Builds, on this (GPU-less) machine, a bundle that runs on the GPU machine of the `device`
# tool: a static-ish Release build (PV_STATIC=ON: Boost and yaml-cpp linked statically,
# RapidCheck static, Catch2 header-only) of `pv` and the CUDA test executable, the shared
# libraries the GPU machine lacks (fmt, ...; found with ldd), ci/gpu-run.sh, ci/gpu-ab.sh (A/B
# timing against a baseline build copied in as pv-base) and the PyTorch baseline. Default
# destination: .device/ in this checkout (ignored by git; the device tool sends /work/main, so
# run it from /work/main or set PV_DEVICE_DIR=/work/main/.device).
#   bash ci/gpu-bundle.sh            then, with the device tool:
#   run(command="bash .device/gpu-run.sh", carry=[".device"])
# and `tar xf gpu-out.tar` in the folder the outputs come back to.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
BUILD_DIR=${BUILD_DIR:-build-gpu}
DEST=${PV_DEVICE_DIR:-$ROOT/.device}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPV_STATIC=ON \
  -DPV_FAULT_INJECTION=${PV_FAULT_INJECTION:-OFF} >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)" --target pv test_cuda_engine
rm -rf "$DEST"
mkdir -p "$DEST/lib"
cp "$BUILD_DIR/harness/cli/pv" "$BUILD_DIR/engine/cuda/tests/test_cuda_engine" "$DEST/"
strip "$DEST/pv" "$DEST/test_cuda_engine"
# Shared libraries outside the C runtime, libstdc++ and the CUDA driver travel along.
for exe in "$DEST/pv" "$DEST/test_cuda_engine"; do
  ldd "$exe" | awk '/=> \// {print $3}' | while read -r lib; do
    case "$(basename "$lib")" in
      libc.so*|libm.so*|libdl.so*|librt.so*|libpthread.so*|ld-linux*|libgcc_s.so*|libstdc++.so*|libcuda.so*) ;;
      *) cp -L "$lib" "$DEST/lib/" ;;
    esac
  done
done
# The same tests built with fault injection, for the run that shows racecheck catching the
# planted Fault::cuda_reduction_race (step `faultrace` of gpu-run.sh). PV_BUNDLE_FAULT=0 skips it.
if [ "${PV_BUNDLE_FAULT:-1}" = 1 ]; then
  cmake -S . -B "$BUILD_DIR-fault" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPV_STATIC=ON -DPV_FAULT_INJECTION=ON >/dev/null
  cmake --build "$BUILD_DIR-fault" -j "$(nproc)" --target test_cuda_engine pv
  cp "$BUILD_DIR-fault/engine/cuda/tests/test_cuda_engine" "$DEST/test_cuda_engine_fault"
  cp "$BUILD_DIR-fault/harness/cli/pv" "$DEST/pv-fault"  # for falsifiers/tests/fault_catch.sh
  strip "$DEST/test_cuda_engine_fault" "$DEST/pv-fault"
fi
cp ci/gpu-run.sh ci/gpu-ab.sh engine/cuda/bench/torch_baseline.py "$DEST/"
git rev-parse HEAD > "$DEST/COMMIT"
du -sh "$DEST"
ls -la "$DEST" "$DEST/lib"
