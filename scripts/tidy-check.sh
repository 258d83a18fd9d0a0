#!/usr/bin/env bash
# clang-tidy's high-signal checks (.clang-tidy) over pgcdc's sources, as the lint.clang_tidy test:
# every finding is an error. Needs the build's compile database (scripts/build.sh exports it) and
# clang-tidy-14 (scripts/install-deps.sh). Usage: scripts/tidy-check.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
tool=${CLANG_TIDY:-$(command -v clang-tidy-14 || command -v clang-tidy || true)}
if [ -z "$tool" ]; then
  echo "tidy-check: clang-tidy-14 is not installed (bash scripts/install-deps.sh installs it)"
  exit 1
fi
if [ ! -f "$build/compile_commands.json" ]; then
  echo "tidy-check: $build/compile_commands.json is missing (build with scripts/build.sh first)"
  exit 1
fi
files=$(git ls-files 'connector/*.cc' 'decoders/*.cc' 'sinks/*.cc' 'config/*.cc' main.cc)
set +e
out=$(echo "$files" | xargs -P 2 -n 4 "$tool" -p "$build" --quiet 2>&1)
rc=$?
set -e
findings=$(echo "$out" | grep -E "(warning|error): " | sort -u || true)
if [ "$rc" -ne 0 ] || [ -n "$findings" ]; then
  echo "$findings"
  echo "tidy-check: clang-tidy found the above (.clang-tidy lists the checks)"
  exit 1
fi
echo "tidy-check: $(echo "$files" | wc -w) files clean"
