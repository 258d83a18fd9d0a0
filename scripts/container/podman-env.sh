# Sourced by scripts/container-check.sh: a private podman for pgcdc's CI (rootful, root only).
#
# Podman reads its configuration from the files named here instead of /etc/containers, so nothing
# on the machine changes and nothing else's images are touched:
#   - runc as the OCI runtime (Debian's podman prefers crun, which we do not install);
#   - container ulimits no higher than this process's own hard limits (podman's default
#     nofile=1048576 cannot be granted on these machines and every container would fail to start);
#   - netavark + aardvark-dns networks, so compose services find each other by name;
#   - image storage, volumes and networks under the cache dir, which keeps only the base images
#     between runs (podman's state for it lives in /run/pgcdc-ci).
# Defines PODMAN_CI_CACHE; podman_ci_env exports CONTAINERS_CONF, CONTAINERS_STORAGE_CONF.

PODMAN_CI_CACHE=${PGCDC_CI_CACHE:-/var/cache/pgcdc-ci}
mkdir -p "$PODMAN_CI_CACHE"

podman_ci_limit() {  # $1 = ulimit flag, $2 = ceiling: the smaller of the hard limit and $2
  local hard
  hard=$(ulimit -H "$1")
  if [ "$hard" = unlimited ] || [ "$hard" -gt "$2" ]; then echo "$2"; else echo "$hard"; fi
}

podman_ci_env() {  # writes the private configuration into $1 (a temp dir) and exports it
  local nofile nproc
  nofile=$(podman_ci_limit -n 20000)
  nproc=$(podman_ci_limit -u 32768)
  cat >"$1/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]
[network]
network_backend = "netavark"
network_config_dir = "${PODMAN_CI_CACHE}/networks"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "/run/pgcdc-ci/libpod"
CONF
  cat >"$1/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "${PODMAN_CI_CACHE}/storage"
runroot = "/run/pgcdc-ci/storage"
CONF
  export CONTAINERS_CONF="$1/containers.conf" CONTAINERS_STORAGE_CONF="$1/storage.conf"
}

# Removes everything in the private storage but the cache: every container, volume and network,
# and every image except the debian base images and the postgres stand-in.
podman_ci_reset() {
  local img
  podman rm -a -f -t 0 >/dev/null 2>&1
  podman volume prune -f >/dev/null 2>&1
  podman network prune -f >/dev/null 2>&1
  for img in $(podman images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null); do
    case "$img" in
      docker.io/library/debian:*|localhost/pgcdc-ci/postgres-standin:*|'<none>:<none>') ;;
      *) podman rmi -f "$img" >/dev/null 2>&1 ;;
    esac
  done
  podman image prune -f >/dev/null 2>&1
}
