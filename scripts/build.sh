#!/usr/bin/env bash
# Builds pgcdc into BUILD_DIR (default build/): the binary lands at build/pgcdc.
# Extra arguments go to cmake's configure step, e.g. -DCDC_SANITIZE=address,undefined.
# Warnings are errors here (CDC_WERROR=ON, this script is the developers' and CI's build); set
# CDC_WERROR=OFF in the environment to build past a new compiler's warning.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
  -DCDC_WERROR="${CDC_WERROR:-ON}" "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "${JOBS:-2}"
