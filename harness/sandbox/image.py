"""Build the sandbox image from ``docker/sandbox/Dockerfile``.

With a registry reachable the base is ``python:3.11-slim``. Without one, the base is built offline:
``debootstrap --variant=minbase --include=python3 SUITE DIR MIRROR`` (the mirror and suite read from
this machine's apt sources), imported with ``docker import`` as ``mixmerge-sandbox-base:SUITE``, then
the Dockerfile is built on top of it with ``--build-arg BASE=...``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from harness.errors import UserError
from harness.sandbox.docker_backend import docker_client

DOCKERFILE_DIR = Path(__file__).resolve().parents[2] / "docker" / "sandbox"
SLIM_BASE = "python:3.11-slim"
OFFLINE_BASE = "mixmerge-sandbox-base"


def apt_mirror(root: Path = Path("/etc/apt")) -> tuple[str, str]:
    """(mirror URL, suite) of the first non-security Debian/Ubuntu source of this machine."""
    found: list[tuple[str, str]] = []
    files = [root / "sources.list", *sorted((root / "sources.list.d").glob("*.list"))]
    for f in files:
        if f.is_file():
            for line in f.read_text().splitlines():
                m = re.match(r"\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)", line)
                if m:
                    found.append((m.group(1), m.group(2)))
    for f in sorted((root / "sources.list.d").glob("*.sources")):
        for block in f.read_text().split("\n\n"):
            uris = re.search(r"^URIs:\s*(\S+)", block, re.M)
            suites = re.search(r"^Suites:\s*(\S+)", block, re.M)
            if uris and suites and not re.search(r"^Enabled:\s*no", block, re.M | re.I):
                found.append((uris.group(1), suites.group(1)))
    for url, suite in found:
        if "security" not in url and "-" not in suite:
            return url, suite
    raise UserError(
        f"no Debian/Ubuntu mirror found in {root}/sources.list(.d); cannot build the base offline"
    )


def registry_reachable(client) -> bool:
    try:
        client.images.pull(*SLIM_BASE.split(":"))
        return True
    except Exception:
        return False


def offline_base(client, say: Callable[[str], None], rootfs: Path | None = None) -> str:
    url, suite = apt_mirror()
    tag = f"{OFFLINE_BASE}:{suite}"
    try:
        client.images.get(tag)
        say(f"offline base {tag} already present")
        return tag
    except Exception:
        pass
    if not shutil.which("debootstrap"):
        raise UserError("no registry answers and debootstrap is missing: apt-get install debootstrap")
    if os.geteuid() != 0:
        raise UserError(
            "no registry answers: building the base offline needs root (debootstrap); rerun as root"
        )
    with tempfile.TemporaryDirectory(prefix="mixmerge-rootfs-") as tmp:
        root = rootfs or Path(tmp) / "rootfs"
        if not (root / "usr/bin/python3").exists():
            say(f"debootstrap --variant=minbase --include=python3 {suite} {root} {url}")
            proc = subprocess.run(
                ["debootstrap", "--variant=minbase", "--include=python3", suite, str(root), url],
                capture_output=True,
                text=True,
            )
            if proc.returncode != 0:
                tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
                raise UserError(f"debootstrap failed (exit {proc.returncode}): {' | '.join(tail)}")
        tar = Path(tmp) / "rootfs.tar"
        proc = subprocess.run(
            ["tar", "-C", str(root), "--numeric-owner", "-cf", str(tar), "."], capture_output=True
        )
        if proc.returncode != 0:
            raise UserError(f"tar of {root} failed: {proc.stderr.decode(errors='replace')[-300:]}")
        say(f"docker import {tar.name} {tag}")
        repo, tg = tag.split(":")
        client.api.import_image_from_file(str(tar), repository=repo, tag=tg)
    return tag


def build_image(
    image: str = "mixmerge-sandbox:latest",
    offline: bool | None = None,
    rootfs: Path | None = None,
    say: Callable[[str], None] = print,
) -> str:
    """Build ``image``; return the base it was built on. ``offline=None`` decides by trying a pull."""
    client = docker_client()
    if offline is None:
        say(f"pulling {SLIM_BASE} ...")
        offline = not registry_reachable(client)
        if offline:
            say(
                f"no registry answers: building the base offline (debootstrap + docker import) instead of {SLIM_BASE}"
            )
    base = offline_base(client, say, rootfs) if offline else SLIM_BASE
    say(f"building {image} from {DOCKERFILE_DIR / 'Dockerfile'} with BASE={base}")
    try:
        client.images.build(
            path=str(DOCKERFILE_DIR), tag=image, buildargs={"BASE": base}, rm=True, pull=False
        )
    except Exception as e:
        raise UserError(f"building {image} failed: {e}") from None
    say(f"built {image} on base {base}")
    return base


def image_present(image: str) -> bool:
    try:
        docker_client(timeout=5).images.get(image)
        return True
    except Exception:
        return False
