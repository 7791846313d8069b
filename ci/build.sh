#!/usr/bin/env bash
# Configures and builds pv into build/ (Release with debug info, Ninja, both cores).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DPython3_EXECUTABLE="$PWD/.venv/bin/python" "$@"
cmake --build "$BUILD_DIR" -j "$(nproc)"
