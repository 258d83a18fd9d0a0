#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs dependencies, builds, runs unit and
# integration tests (real PostgreSQL + Kafka-protocol mock broker), then builds again with
# AddressSanitizer + UndefinedBehaviorSanitizer and runs everything once more, runs the libFuzzer
# target over the pgoutput decoder and value parsers for a bounded time, and finally checks what a
# Docker user gets (scripts/container-check.sh: the Dockerfile's Release build, the image built and
# run with podman, docker-compose.yml validated and run). Each container check counts as a test;
# on a machine that cannot run containers the image checks are reported as skipped, not failed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

run_suite() {  # $1 = build dir, $2 = ctest label regex (empty: all), rest = cmake args
  local dir=$1 label=$2; shift 2
  echo "=== build ($dir) === $(date -u +%T)"
  BUILD_DIR=$dir bash scripts/build.sh "$@"
  echo "=== ctest ($dir) === $(date -u +%T)"
  local log="$dir/ctest-summary.log"
  set +e
  (cd "$dir" && ctest --output-on-failure -j 2 --timeout 900 ${label:+-L "$label"} \
     ${exclude_label:+-LE "$exclude_label"}) | tee "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  local line
  line=$(grep -E "tests passed, [0-9]+ tests failed out of [0-9]+" "$log" | tail -n 1 || true)
  local failed=0 total=0
  if [ -n "$line" ]; then
    failed=$(echo "$line" | sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/')
    total=$(echo "$line" | sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/')
  fi
  passed_total=$((passed_total + total - failed))
  failed_total=$((failed_total + failed))
  return "$rc"
}

passed_total=0
failed_total=0
status=0
run_suite build "" || status=1
# Sanitizers: detect_leaks stays on; halt on the first report so a test sees the failure.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The real-Kafka suites (label kafka) and the Debezium differential test (label debezium) run in
# the release pass only: they add JVMs, and pgcdc's code paths are the same ones the mock runs
# exercise under the sanitizers. The lint checks (label lint) look at the sources: once is enough.
# The longest tests (kill loops, large snapshots) run a quarter of their volume here
# (PGCDC_TEST_SCALE, tests/integration/conftest.py): the same code paths, and CI's time in check.
export PGCDC_TEST_SCALE=0.25
exclude_label="kafka|debezium|lint" run_suite build-asan "" -DCMAKE_BUILD_TYPE=Debug -DCDC_SANITIZE=address,undefined || status=1
unset PGCDC_TEST_SCALE
# Fuzzing needs clang's libFuzzer; the decoders are built with coverage + ASan/UBSan.
CC=clang CXX=clang++ run_suite build-fuzz fuzz -DCDC_FUZZ=ON -DCDC_BUILD_TESTS=OFF \
  -DCDC_SANITIZE=address,undefined || status=1
mkdir -p build
container_log=build/container-check.log
set +e
echo "=== container check === $(date -u +%T)"
bash scripts/container-check.sh | tee "$container_log"
container_rc=${PIPESTATUS[0]}
set -e
counts=$(sed -nE 's/^container-check: ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/p' "$container_log")
if [ -n "$counts" ]; then
  passed_total=$((passed_total + ${counts% *}))
  failed_total=$((failed_total + ${counts#* }))
else
  failed_total=$((failed_total + 1))  # the check itself broke before its summary
fi
[ "$container_rc" -eq 0 ] || status=1
echo "pgcdc test suite, release + ASan/UBSan builds + fuzzing + container image, together:"
echo "tests: ${passed_total} passed, ${failed_total} failed"
exit "$status"
