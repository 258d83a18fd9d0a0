#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds, then runs pgcdc between a
# throwaway PostgreSQL and a local Kafka-protocol broker and shows the events it publishes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
exec /usr/bin/python3 scripts/demo.py
