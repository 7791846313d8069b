#!/usr/bin/env bash
# Installs everything pv needs on a fresh Debian 12 machine (run as root or with sudo).
# Debian packages for the C++ build and tests, and a Python venv (.venv) with the independent
# reference implementations (the `gguf` package maintained with llama.cpp, numpy).
# The CUDA Toolkit is not a Debian 12 package in the version we need (sm_90a needs >= 12.0):
# when /usr/local/cuda/bin/nvcc exists the CUDA engine is built, otherwise it is left out.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

packages=(
  build-essential cmake ninja-build git pkg-config
  libyaml-cpp-dev catch2 libboost-program-options-dev librapidcheck-dev
  nlohmann-json3-dev libfmt-dev libssl-dev libxxhash-dev
  clang libclang-rt-14-dev            # libFuzzer, ASan, UBSan for the fuzz targets
  python3 python3-venv python3-pip
  chromium                            # the headless browser that checks the HTML report
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "ci/install-deps.sh: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r ci/requirements.txt
echo "ci/install-deps.sh: ready"
