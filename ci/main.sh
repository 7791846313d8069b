#!/usr/bin/env bash
# The main job: build pv, validate the shipped contracts, make a synthetic Qwen3-MoE model,
# run every falsifier on it, and write the stage-status report to reports/latest/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/build.sh
PV=./build/harness/cli/pv
$PV validate contracts/
