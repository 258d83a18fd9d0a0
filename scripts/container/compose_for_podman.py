#!/usr/bin/env python3
"""Writes the compose file scripts/container-check.sh runs with podman-compose.

It is docker-compose.yml minus what cannot run on pgcdc's CI machines, and nothing else changed:
  - no kafka service (no Kafka image from Debian's packages; pgcdc's config gets a stdout sink);
  - postgres runs the Debian-built stand-in for postgres:15, pgcdc the image just built (no build:);
  - no published ports (the host's own test clusters may hold 5432), no restart policy.
pgcdc keeps its environment, its data volume and its config mount; the config mounted is the
compose file's with the Kafka sink replaced by stdout (`validate` would otherwise fail on the
absent broker), written to OUT_DIR/pgcdc-stdout.yaml.

Usage: compose_for_podman.py REPO_ROOT OUT_DIR PGCDC_IMAGE POSTGRES_IMAGE
"""
import os
import sys

import yaml


def main() -> int:
    root, out, pgcdc_image, postgres_image = sys.argv[1:5]
    with open(os.path.join(root, "docker-compose.yml")) as f:
        compose = yaml.safe_load(f)
    services = compose["services"]
    del services["kafka"]
    for svc in services.values():
        svc.pop("ports", None)
        svc.pop("restart", None)
    services["postgres"]["image"] = postgres_image

    pgcdc = services["pgcdc"]
    pgcdc.pop("build")
    pgcdc["image"] = pgcdc_image
    pgcdc["depends_on"] = {"postgres": pgcdc["depends_on"]["postgres"]}
    user_config = None
    volumes = []
    for spec in pgcdc["volumes"]:
        src, _, rest = spec.partition(":")
        if src.startswith("./"):
            src = os.path.join(root, src[2:])
            if rest.startswith("/etc/pgcdc/pgcdc.yaml"):
                user_config = src
                src = os.path.join(out, "pgcdc-stdout.yaml")
        volumes.append(f"{src}:{rest}")
    pgcdc["volumes"] = volumes
    if user_config is None:
        print("docker-compose.yml: pgcdc does not mount /etc/pgcdc/pgcdc.yaml", file=sys.stderr)
        return 1

    with open(user_config) as f:
        config = yaml.safe_load(f)
    config["sink"] = {"type": "stdout"}
    with open(os.path.join(out, "pgcdc-stdout.yaml"), "w") as f:
        yaml.safe_dump(config, f, sort_keys=False)
    with open(os.path.join(out, "compose.yml"), "w") as f:
        yaml.safe_dump(compose, f, sort_keys=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
