#!/usr/bin/env bash
# Builds pv and runs every test: unit and property tests (CTest), the checks against the
# independent `gguf` package, bounded fuzzing with ASan+UBSan, `pv validate contracts/`
# and `pv report --check` on the committed evidence.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/build.sh
(cd build && ctest --output-on-failure -j "$(nproc)" --timeout 600 -LE fault)
# The suite must catch planted bugs: builds a fault-injection tree and runs pv run per fault.
(cd build && ctest --output-on-failure --timeout 1800 -L fault)
sed -n '/Catch rate/,$p' build/fault-catch.md
bash ci/fuzz.sh
./build/harness/cli/pv validate contracts/
if ls reports/evidence/*.json >/dev/null 2>&1; then
  ./build/harness/cli/pv report --check --evidence reports/evidence/*.json --out build/report-check
fi
echo "ci/test.sh: all checks passed"
