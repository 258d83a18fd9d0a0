# Multi-stage build: Debian bookworm toolchain, slim runtime with only the shared libraries.
# CI builds it with podman and runs its smoke checks (scripts/container-check.sh). The build is a
# user's build: warnings are not errors here (CDC_WERROR stays OFF); CI fails on them instead.
FROM debian:bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config libpq-dev librdkafka-dev libyaml-cpp-dev \
      nlohmann-json3-dev libspdlog-dev libgtest-dev libcpp-httplib-dev libhiredis-dev libnats-dev \
      librabbitmq-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCDC_BUILD_TESTS=OFF \
 && cmake --build build -j"$(nproc)" --target pgcdc

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpq5 librdkafka1 libyaml-cpp0.7 libspdlog1.10 libcpp-httplib0.11 libhiredis0.14 libnats3.4 \
      librabbitmq4 \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/pgcdc --create-home pgcdc
COPY --from=build /src/build/pgcdc /usr/local/bin/pgcdc
USER pgcdc
EXPOSE 9187
WORKDIR /var/lib/pgcdc
ENTRYPOINT ["/usr/local/bin/pgcdc"]
CMD ["run", "-c", "/etc/pgcdc/pgcdc.yaml"]
