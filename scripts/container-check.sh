#!/usr/bin/env bash
# What a Docker user reaches, checked on pgcdc's own machines (scripts/test.sh runs it; alone,
# as root: `bash scripts/container-check.sh`). Needs no registry but Debian's mirror.
#
#   release-build   the Dockerfile's cmake command builds and prints no compiler warning (in the
#                   image build; on this machine, verbatim over a copy of the sources, when
#                   containers cannot run or the image build failed)
#   compose-config  `docker-compose config -q`, the Compose schema check, passes on
#                   docker-compose.yml (and fails on a copy with a misspelt key)
#   image-build     `podman build` of the Dockerfile, with .dockerignore, after a host build
#                   (scripts/test.sh's build/ is in the tree)
#   image-version   `pgcdc --version` in the image prints the project's version
#   image-user      the image runs as a non-root user
#   image-validate  `pgcdc validate --offline` of the compose file's pgcdc config, in the image
#   compose-live    podman-compose runs the compose file's postgres and pgcdc services (a
#                   Debian-built stand-in for postgres:15; no Kafka, see compose_for_podman.py):
#                   the healthcheck passes, `validate` of the compose config (stdout sink for
#                   Kafka) against the live server passes, and pgcdc snapshots and streams a row
#
# The image checks need a machine that can run containers. That is proved first with the base
# image; a machine that cannot says so loudly and its image checks are SKIPPED, not failed.
# Everything the script makes is removed on exit, except the cache (PGCDC_CI_CACHE, default
# /var/cache/pgcdc-ci): the debootstrap tarballs and podman storage holding only the base images
# and the postgres stand-in. Last line: "container-check: P passed, F failed, S skipped";
# the exit status is 1 when a check failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
start=$SECONDS

if [ "$(id -u)" -ne 0 ]; then
  echo "container-check: run as root (rootful podman, apt-get, debootstrap)" >&2
  exit 2
fi

passed=0 failed=0 skipped=0
pass() { passed=$((passed + 1)); echo "  PASS $1: ${*:2}"; }
fail() { failed=$((failed + 1)); echo "  FAIL $1: $2"; }
skip() { skipped=$((skipped + 1)); echo "  SKIP $1: $2"; }
show_tail() { tail -n "${2:-25}" "$1" | sed 's/^/      | /'; }
since() { echo "$((SECONDS - $1))s"; }

tmp=$(mktemp -d /tmp/pgcdc-container-check.XXXXXX)
run_id="$$-$RANDOM"
image="localhost/pgcdc-ci/pgcdc:$run_id"
project="pgcdcci$$"
compose_file="$tmp/compose/compose.yml"
podman_ready=0

cleanup() {
  if [ "$podman_ready" -eq 1 ]; then
    if [ -f "$compose_file" ]; then
      podman-compose -p "$project" -f "$compose_file" down -v >/dev/null 2>&1
    fi
    podman_ci_reset
  fi
  # A debootstrap that failed half-way may leave /proc or /sys mounted in its target.
  findmnt -rn -o TARGET | grep "^$tmp/" | sort -r | xargs -r umount -l
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools -------------------------------------------------------------------------------------
apt_install() {  # installs the missing ones of "$@"; returns 1 if that fails
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}"
  apt-get update -qq >"$tmp/apt.log" 2>&1 &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
      >>"$tmp/apt.log" 2>&1 && return 0
  show_tail "$tmp/apt.log" 5
  return 1
}

echo "=== container check ==="

# --- compose-config: the Compose schema ---------------------------------------------------------
if ! apt_install docker-compose; then
  fail compose-config "docker-compose could not be installed from Debian"
elif ! docker-compose -f docker-compose.yml config -q >"$tmp/compose.log" 2>&1; then
  fail compose-config "docker-compose.yml does not validate"
  show_tail "$tmp/compose.log" 10
else
  # The same check must reject a misspelt key, or it is no schema check at all.
  sed 's/^\(    \)healthcheck:/\1healthchek:/' docker-compose.yml >"$tmp/misspelt.yml"
  if docker-compose --project-directory "$root" -f "$tmp/misspelt.yml" config -q \
       >"$tmp/compose-bad.log" 2>&1; then
    fail compose-config "docker-compose accepted a misspelt key; the check proves nothing"
  else
    pass compose-config "docker-compose.yml is valid Compose (and a misspelt key is rejected)"
  fi
fi

# --- release-build: the Dockerfile's own command --------------------------------------------------
# It runs inside the image build when this machine can run containers (the same Debian toolchain),
# and here on the host when it cannot, or to tell a code defect from an image defect when the
# image build failed.
release_cmd=$(awk '/^RUN cmake /{f=1} f{print} f&&!/\\$/{exit}' Dockerfile |
              sed -e 's/^RUN //' -e 's/\\$//' | tr -s ' \n' ' ' | sed 's/ $//')

release_warnings() {  # $1 = build log, $2 = where; the check's verdict on its compiler warnings
  local warnings
  warnings=$(grep -c ': warning: ' "$1")
  if [ "$warnings" -eq 0 ]; then
    pass release-build "\`$release_cmd\` built with no warnings ($2)"
  else
    fail release-build "$warnings compiler warning(s) in the Release build ($2)"
    grep -A3 ': warning: ' "$1" | head -n 20 | sed 's/^/      | /'
  fi
}

release_build_on_host() {
  local t=$SECONDS
  if [ -z "$release_cmd" ]; then
    fail release-build "no 'RUN cmake ...' line in the Dockerfile"
    return
  fi
  mkdir -p "$tmp/context"
  # The sources as `COPY . .` sees them: tracked and new files, no build trees.
  git ls-files -z --cached --others --exclude-standard |
    tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -C "$tmp/context" -xf -
  if (cd "$tmp/context" && bash -c "$release_cmd") >"$tmp/release.log" 2>&1; then
    release_warnings "$tmp/release.log" "on this machine, $(since "$t")"
  else
    fail release-build "\`$release_cmd\` failed on this machine ($(since "$t"))"
    grep -B2 -A8 -m 3 'error' "$tmp/release.log" | head -n 30 | sed 's/^/      | /'
  fi
  rm -rf "$tmp/context"
}

# --- can this machine run containers? Proved with the base image -------------------------------
image_checks=(image-build image-version image-user image-validate compose-live)
cannot=""
base_images_failed=0
t=$SECONDS
# netavark sets up the bridge network (every container not on the host network) with
# iptables, which Debian's netavark package does not pull in: without it such a container fails
# with "netavark: No such file or directory (os error 2)" (seen in CI on a machine without it).
if ! apt_install podman runc netavark aardvark-dns iptables debootstrap podman-compose python3-yaml; then
  cannot="podman, runc or debootstrap could not be installed from Debian"
else
  # shellcheck source=container/podman-env.sh
  source scripts/container/podman-env.sh
  # shellcheck source=container/base-images.sh
  source scripts/container/base-images.sh
  podman_ci_env "$tmp"
  exec 9>"$PODMAN_CI_CACHE/lock"
  flock 9  # one check at a time owns the private storage
  podman_ready=1
  podman_ci_reset
  base_images_ensure "$tmp"
  rc=$?
  if [ "$rc" -eq 3 ]; then
    cannot="the base images could not be made (debootstrap from Debian's mirror, podman import)"
  elif [ "$rc" -ne 0 ]; then
    base_images_failed=1
  elif ! podman run --rm --network=host docker.io/library/debian:bookworm-slim \
           apt-get update -qq >"$tmp/probe.log" 2>&1; then
    cannot="debian:bookworm-slim cannot run apt-get update: $(tail -n 1 "$tmp/probe.log")"
  fi
fi
if [ -n "$cannot" ]; then
  echo "!!! THIS MACHINE CANNOT RUN CONTAINERS: $cannot"
  echo "!!! The image, its smoke checks and the compose run were NOT checked here."
  for c in "${image_checks[@]}"; do skip "$c" "this machine cannot run containers"; done
  release_build_on_host
elif [ "$base_images_failed" -eq 1 ]; then
  release_build_on_host
fi

# --- the image -----------------------------------------------------------------------------------
image_built=0
if [ "$base_images_failed" -eq 1 ]; then
  fail image-build "making the base images failed (see above)"
elif [ -z "$cannot" ]; then
  echo "containers run here (base images and probe: $(since "$t"))"
  t=$SECONDS
  if podman build --pull=never --network=host --layers=false --force-rm -t "$image" . \
       >"$tmp/image.log" 2>&1; then
    size=$(podman image inspect --format '{{.Size}}' "$image")
    pass image-build "$((size / 1000000)) MB runtime image ($(since "$t"))"
    image_built=1
    if grep -q 'Built target pgcdc' "$tmp/image.log"; then
      release_warnings "$tmp/image.log" "in the image build"
    else
      fail release-build "the image build did not run the Dockerfile's cmake build"
    fi
  else
    fail image-build "podman build failed ($(since "$t"))"
    show_tail "$tmp/image.log" 30
    release_build_on_host
  fi
fi
if [ "$image_built" -eq 1 ]; then
  version=$(sed -n 's/^project(pgcdc VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
  out=$(podman run --rm "$image" --version 2>&1)
  if [ $? -eq 0 ] && [[ "$out" == *"$version"* ]]; then
    pass image-version "$out"
  else
    fail image-version "\`pgcdc --version\` in the image: ${out:-no output} (want $version)"
  fi

  out=$(podman run --rm --entrypoint id "$image" -u 2>&1)
  if [[ "$out" =~ ^[0-9]+$ ]] && [ "$out" -ne 0 ]; then
    pass image-user "runs as uid $out"
  else
    fail image-user "\`id -u\` in the image: $out"
  fi

  out=$(podman run --rm -e POSTGRES_PASSWORD=ci \
          -v "$root/config/docker-compose.pgcdc.yaml:/etc/pgcdc/pgcdc.yaml:ro" \
          "$image" validate -c /etc/pgcdc/pgcdc.yaml --offline 2>&1)
  if [ $? -eq 0 ]; then
    pass image-validate "config/docker-compose.pgcdc.yaml is accepted in the image"
  else
    fail image-validate "validate --offline in the image: $out"
  fi
elif [ -z "$cannot" ]; then
  for c in image-version image-user image-validate compose-live; do
    fail "$c" "no image (image-build failed)"
  done
fi

# --- compose-live: postgres + pgcdc with podman-compose ------------------------------------------
compose() { podman-compose -p "$project" -f "$compose_file" "$@" >>"$tmp/compose-live.log" 2>&1; }
service_container() {
  podman ps -a --filter "label=io.podman.compose.project=$project" \
    --filter "label=com.docker.compose.service=$1" --format '{{.Names}}' | head -n 1
}
wait_for() {  # $1 = seconds, rest = command; true once the command succeeds
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 1
  done
}
# Waits up to $3 s for pgcdc's container $1 to print $2; fails at once if the container exits.
wait_for_output() {
  local deadline=$((SECONDS + $3))
  until podman logs "$1" 2>&1 | grep -qF -- "$2"; do
    if [ "$(podman inspect --format '{{.State.Running}}' "$1")" != true ]; then
      echo "pgcdc exited ($(podman inspect --format '{{.State.ExitCode}}' "$1")) before printing $2"
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then echo "pgcdc did not print $2 in $3 s"; return 1; fi
    sleep 1
  done
}

compose_live() {  # echoes the failure cause and returns 1, or returns 0
  local standin pg pgcdc sql
  standin="localhost/pgcdc-ci/postgres-standin:$(cat scripts/container/postgres-standin/* |
                                                   sha256sum | cut -c1-12)"
  if ! podman image exists "$standin"; then
    podman images --format '{{.Repository}}:{{.Tag}}' | grep '/postgres-standin:' |
      xargs -r podman rmi -f >/dev/null 2>&1  # an older stand-in
    podman build --pull=never --network=host --layers=false --force-rm -t "$standin" \
      scripts/container/postgres-standin >>"$tmp/compose-live.log" 2>&1 ||
      { echo "the postgres stand-in image did not build"; return 1; }
  fi
  mkdir -p "$tmp/compose"
  python3 scripts/container/compose_for_podman.py "$root" "$tmp/compose" "$image" "$standin" \
    >>"$tmp/compose-live.log" 2>&1 || { echo "could not derive the compose file"; return 1; }
  compose up -d postgres || { echo "podman-compose up postgres failed"; return 1; }
  pg=$(service_container postgres)
  wait_for 90 podman healthcheck run "$pg" ||
    { echo "postgres did not pass the compose healthcheck in 90 s"; return 1; }
  # A table first, as the compose header says, so that its row arrives by the snapshot.
  sql="CREATE TABLE orders(id int PRIMARY KEY, item text); INSERT INTO orders VALUES (1, 'apple')"
  podman exec "$pg" psql -q -v ON_ERROR_STOP=1 -U postgres -d shop -c "$sql" \
    >>"$tmp/compose-live.log" 2>&1 || { echo "psql in the postgres service failed"; return 1; }
  # podman-compose 1.0.3's `run` exits 0 whatever the command did: the container's own exit code.
  compose run -T --no-deps --name "${project}_validate" pgcdc validate -c /etc/pgcdc/pgcdc.yaml
  podman logs "${project}_validate" >>"$tmp/compose-live.log" 2>&1
  [ "$(podman inspect --format '{{.State.ExitCode}}' "${project}_validate" 2>&1)" = 0 ] ||
    { echo "validate of the compose config against the live postgres failed"; return 1; }
  compose up -d pgcdc || { echo "podman-compose up pgcdc failed"; return 1; }
  pgcdc=$(podman ps -a --format '{{.Names}}' | grep "^${project}_pgcdc_[0-9]" | head -n 1)
  wait_for_output "$pgcdc" '"item":"apple"' 60 || return 1  # the snapshot
  podman exec "$pg" psql -q -v ON_ERROR_STOP=1 -U postgres -d shop \
    -c "INSERT INTO orders VALUES (2, 'banana')" >>"$tmp/compose-live.log" 2>&1
  wait_for_output "$pgcdc" '"item":"banana"' 60 || return 1  # the stream
}

if [ "$image_built" -eq 1 ]; then
  t=$SECONDS
  if cause=$(compose_live); then
    pass compose-live "postgres healthy, validate ok against it, rows snapshotted and streamed" \
      "($(since "$t"))"
  else
    fail compose-live "$cause ($(since "$t"))"
    show_tail "$tmp/compose-live.log" 20
    pgcdc=$(podman ps -a --format '{{.Names}}' | grep "^${project}_pgcdc_[0-9]" | head -n 1)
    if [ -n "$pgcdc" ]; then
      echo "      pgcdc's log:"
      podman logs "$pgcdc" 2>&1 | tail -n 10 | sed 's/^/      | /'
    fi
  fi
fi

echo "container-check: $passed passed, $failed failed, $skipped skipped ($(since "$start"))"
[ "$failed" -eq 0 ]
