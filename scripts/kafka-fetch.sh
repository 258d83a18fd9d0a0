#!/usr/bin/env bash
# Fetches the Apache Kafka broker's jars (tests/kafka/pom.xml) with Maven, once, into a cache
# directory, and prints that directory. Later runs find the stamp and touch no network.
#   cache: ${PGCDC_CACHE:-$HOME/.cache/pgcdc}/kafka-<version>/libs (the jars) and .stamp
# Concurrent callers (ctest -j) wait on a lock instead of fetching twice.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
pom="$root/tests/kafka/pom.xml"
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")
dir="${PGCDC_CACHE:-$HOME/.cache/pgcdc}/kafka-$version"
stamp="$dir/.stamp"
want=$(sha256sum "$pom" | cut -d' ' -f1)

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$dir"
  exit 0
fi
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  command -v mvn >/dev/null || { echo "error: mvn not found; run scripts/install-deps.sh" >&2; exit 1; }
  echo "fetching Apache Kafka $version with Maven into $dir" >&2
  rm -rf "$dir/libs" "$dir/pom.xml"
  cp "$pom" "$dir/pom.xml"
  if ! (cd "$dir" && mvn -q -B dependency:copy-dependencies -DincludeScope=runtime \
          -DoutputDirectory="$dir/libs" >"$dir/mvn.log" 2>&1); then
    echo "error: Maven could not fetch Kafka $version (see $dir/mvn.log):" >&2
    tail -n 20 "$dir/mvn.log" >&2
    exit 1
  fi
  echo "$want" >"$stamp"
fi
echo "$dir"
