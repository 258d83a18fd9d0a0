#!/usr/bin/env bash
# Installs what pgcdc needs to build, test and run its demo, from Debian's packages only.
# Idempotent: apt runs only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang libclang-rt-dev clang-format-14 clang-tidy-14
  libpq-dev librdkafka-dev libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev libgtest-dev
  libcpp-httplib-dev libhiredis-dev libnats-dev librabbitmq-dev
  python3 python3-pytest python3-psycopg2 python3-confluent-kafka python3-avro python3-jsonschema
  python3-requests
  # format protobuf tests: protoc compiles the registered schemas, python3-protobuf parses them.
  protobuf-compiler libprotobuf-dev python3-protobuf
  openssl kcat
  redis-server python3-redis nats-server rabbitmq-server python3-pika python3-celery
  libssl-dev python3-boto3
  libavro-dev
  # bench/bench.py: the bytes per record of each format inside lz4 frames.
  python3-lz4
)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# The PostgreSQL server for the throwaway test clusters (initdb + pg_ctl). Any major >= 12 works.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi

# Node.js and npm for the tests' readers from npm (tests/integration/nats_reader: nats.js;
# sr_node_reader: Confluent's schema registry client) and the Kinesis emulator.
command -v npm >/dev/null 2>&1 || missing+=(npm)

# Java and Maven for the real Kafka broker of the label-kafka tests (scripts/kafka-fetch.sh).
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)

# nats.js, pinned by tests/integration/nats_reader/package-lock.json: reads JetStream back in
# tests/integration/test_sink_nats.py with a client pgcdc did not write.
install_nats_reader() {
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/tests/integration/nats_reader"
  [ -d "$dir/node_modules/nats" ] || npm ci --prefix "$dir" --no-audit --no-fund --silent
  install_kinesis_emulator
  install_sr_node_reader
}

# Confluent's Node client, pinned by tests/integration/sr_node_reader/package-lock.json: decodes
# the Avro, JSON Schema and Protobuf records in test_avro.py, test_json_schema.py and
# test_protobuf.py as a Node consumer would.
install_sr_node_reader() {
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/tests/integration/sr_node_reader"
  [ -d "$dir/node_modules/@confluentinc/schemaregistry" ] ||
    npm ci --prefix "$dir" --no-audit --no-fund --silent
}

# kinesalite, pinned by tests/integration/kinesis_emulator/package-lock.json: the Kinesis that
# tests/integration/test_sink_kinesis.py writes to (read back with python3-boto3).
install_kinesis_emulator() {
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/tests/integration/kinesis_emulator"
  [ -d "$dir/node_modules/kinesalite" ] || npm ci --prefix "$dir" --no-audit --no-fund --silent
}

if [ ${#missing[@]} -eq 0 ]; then
  install_nats_reader
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "error: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "installing: ${missing[*]}"
$SUDO apt-get update -qq
# Installing the server package must not leave a system cluster running: policy-rc.d denies
# service starts during this install only.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  created_policy=1
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
if [ "$created_policy" -eq 1 ]; then $SUDO rm -f "$policy"; fi
install_nats_reader
