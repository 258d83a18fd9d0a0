#!/usr/bin/env bash
# Every tracked C++ file must be as clang-format writes it (.clang-format; clang-format-14, which
# scripts/install-deps.sh installs): a registered test (lint.clang_format), so style drift fails CI
# with the files and the first lines that differ. `bash scripts/format-check.sh --fix` rewrites.
set -euo pipefail
cd "$(dirname "$0")/.."
tool=${CLANG_FORMAT:-$(command -v clang-format-14 || command -v clang-format || true)}
if [ -z "$tool" ]; then
  echo "format-check: clang-format-14 is not installed (bash scripts/install-deps.sh installs it)"
  exit 1
fi
files=$(git ls-files '*.cc' '*.h' 2>/dev/null ||
  find connector decoders sinks config tests bench main.cc \( -name '*.cc' -o -name '*.h' \))
bad=0
for f in $files; do
  if [ "${1:-}" = "--fix" ]; then
    "$tool" --style=file -i "$f"
  elif ! "$tool" --style=file "$f" | diff -q "$f" - >/dev/null; then
    echo "format-check: $f differs from clang-format's output:"
    "$tool" --style=file "$f" | diff "$f" - | head -n 8 || true
    bad=$((bad + 1))
  fi
done
if [ "$bad" -gt 0 ]; then
  echo "format-check: $bad files drift (bash scripts/format-check.sh --fix)"
  exit 1
fi
echo "format-check: $(echo "$files" | wc -w) files formatted"
