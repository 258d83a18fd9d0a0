#!/usr/bin/env bash
# Builds pgcdc into BUILD_DIR (default build/): the binary lands at build/pgcdc.
# Extra arguments go to cmake's configure step, e.g. -DCDC_SANITIZE=address,undefined.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "${JOBS:-2}"
