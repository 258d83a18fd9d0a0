# Sourced by scripts/container-check.sh after podman-env.sh: makes the Dockerfile's base images,
# debian:bookworm and debian:bookworm-slim, without a container registry.
#
# One `debootstrap --variant=minbase` from the Debian mirror that this machine's apt already uses
# gives both root filesystems (slim = the same minus documentation, man pages and locales, with
# dpkg told to keep them out, as Docker's official slim image does). The two tarballs are cached
# in $PODMAN_CI_CACHE and made again after 30 days or when this file changes; the imported images
# stay in the private storage.
# A cold run takes about a minute and a half, a warm one nothing.

# The first URI apt uses for suite $1 (deb822 .sources or one-line .list), or $2 if none.
apt_mirror_for() {
  local uri
  uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
          2>/dev/null | awk -v suite="$1" '
    /^[[:space:]]*#/ { next }
    $1 == "deb" { u = ($2 ~ /^\[/) ? $4 : $2; s = ($2 ~ /^\[/) ? $5 : $3
                  if (s == suite) { print u; exit } next }
    $1 == "URIs:" { u = $2; next }
    $1 == "Suites:" { for (i = 2; i <= NF; i++) if ($i == suite && u != "") { print u; exit } }
    /^[[:space:]]*$/ { u = "" }')
  echo "${uri:-$2}"
}

# The cached tarball of image $1 (bookworm, bookworm-slim), named after this file's contents so
# that a change to how the images are made makes new ones.
base_images_tar() {
  echo "$PODMAN_CI_CACHE/debian-$1-$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12).tar"
}

base_images_build_tarballs() (  # $1 = scratch dir; a subshell, so that any failing step fails it
  set -euo pipefail
  local mirror security root=$1/rootfs
  mirror=$(apt_mirror_for bookworm http://deb.debian.org/debian)
  security=$(apt_mirror_for bookworm-security http://deb.debian.org/debian-security)
  echo "base images: debootstrap bookworm from $mirror"
  if ! debootstrap --variant=minbase --arch="$(dpkg --print-architecture)" bookworm "$root" \
       "$mirror" >"$1/debootstrap.log" 2>&1; then
    tail -n 5 "$1/debootstrap.log"
    exit 3
  fi
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  # What Docker's official images configure (debuerreotype) and Dockerfiles rely on: apt keeps no
  # package caches or translations in a layer, and no service starts during an install.
  cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
  echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
  echo 'Apt::AutoRemove::SuggestsImportant "false";' \
    >"$root/etc/apt/apt.conf.d/docker-autoremove-suggests"
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/var/log/*.log
  rm -f "$PODMAN_CI_CACHE"/debian-bookworm*.tar
  tar --numeric-owner -C "$root" -cf "$PODMAN_CI_CACHE/debian-bookworm.tar.tmp" .
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
CFG
  find "$root/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
  rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
         "$root"/usr/share/lintian/*
  tar --numeric-owner -C "$root" -cf "$PODMAN_CI_CACHE/debian-bookworm-slim.tar.tmp" .
  rm -rf "$root"
  mv "$PODMAN_CI_CACHE/debian-bookworm.tar.tmp" "$(base_images_tar bookworm)"
  mv "$PODMAN_CI_CACHE/debian-bookworm-slim.tar.tmp" "$(base_images_tar bookworm-slim)"
)

# Ensures both images exist in the private storage. $1 = scratch dir. Returns 0, or 3 when this
# machine cannot make them (debootstrap cannot fetch from the mirror, podman cannot store an
# image), or 1 when making them failed otherwise (a defect here).
base_images_ensure() {
  local name fresh=0 rc
  if [ -z "$(find "$(base_images_tar bookworm-slim)" -mtime -30 2>/dev/null)" ] ||
     [ ! -s "$(base_images_tar bookworm)" ]; then
    base_images_build_tarballs "$1"
    rc=$?
    [ "$rc" -eq 0 ] || return "$rc"
    fresh=1
  fi
  if [ "$fresh" -eq 1 ]; then  # images built on the old base go with it
    podman images --format '{{.Repository}}:{{.Tag}}' | grep '^localhost/pgcdc-ci/' |
      xargs -r podman rmi -f >/dev/null 2>&1
  fi
  for name in bookworm bookworm-slim; do
    if [ "$fresh" -eq 1 ] || ! podman image exists "docker.io/library/debian:$name"; then
      podman import --quiet --change 'CMD ["bash"]' "$(base_images_tar "$name")" \
        "docker.io/library/debian:$name" >/dev/null || return 3
    fi
  done
  echo "base images: debian:bookworm and debian:bookworm-slim ready (cached in $PODMAN_CI_CACHE)"
}
