"""``mixmerge eval --isolate docker``: the whole evaluation inside the docker/eval image.

The model directory is mounted read-only at /model, the results directory at /out, ``--data`` files
read-only under /data; the container runs as the calling user (as nobody when that is root: the results are
handed back to root afterwards), without network unless the backend is ``openai``, and is removed afterwards.
GPU images (tag not ending in ``cpu``) get every GPU. Code suites use bubblewrap inside the container (no Docker
socket is mounted); bubblewrap needs user namespaces and a fresh /proc, so those containers get
``--security-opt seccomp=unconfined apparmor=unconfined systempaths=unconfined`` (the last is why the
container never runs as root: with /proc unmasked, root could write /proc/sys and /proc/sysrq-trigger).

``python -m harness.eval.isolate build`` (what ``docker/eval/build-cpu.sh`` runs) builds the CPU image from
``docker/eval/Dockerfile.cpu``. Online it is the plain build on ``python:3.11-slim`` with pip. Offline (no
registry answers, or ``--offline``) it stages a context with ``docker/eval/offline/``: a wheelhouse of the
project's dependencies at the versions of the running environment (``pip wheel`` on this machine, cached in
``~/.cache/mixmerge``), the bubblewrap .deb (``apt-get download``) and the NLTK data of ``$NLTK_DATA`` or
``../shared/external/nltk_data``, and builds on the debootstrap'ed base of the sandbox image. The image carries
the hash of the files it is built from; a build whose hash matches is skipped.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path

from harness.errors import UserError
from harness.eval.runner import model_name_of
from harness.generation import is_url

REPO = Path(__file__).resolve().parents[2]
CPU_DOCKERFILE = "docker/eval/Dockerfile.cpu"
SOURCES = ("pyproject.toml", "harness", "domains", "leaderboard", "recipes", CPU_DOCKERFILE)
NLTK_RESOURCES = ("tokenizers/punkt_tab", "corpora/stopwords", "taggers/averaged_perceptron_tagger_eng")
HASH_LABEL = "org.mixmerge.source-hash"
CACHE = Path(os.environ.get("MIXMERGE_CACHE", Path.home() / ".cache" / "mixmerge"))
NOBODY = 65534
UNMASK = "systempaths=unconfined"  # the docker CLI's spelling; the SDK has no argument for it (see _start)


def container_user() -> tuple[int, int]:
    """The caller's uid:gid, or nobody's when the caller is root."""
    return (NOBODY, NOBODY) if os.getuid() == 0 else (os.getuid(), os.getgid())


def build_hint(image: str) -> str:
    if image.split(":")[-1].endswith("cpu"):
        return f"bash docker/eval/build-cpu.sh --image {image}"
    return f"docker build -f docker/eval/Dockerfile -t {image} ."


def model_problem(model: Path, shown: str) -> str | None:
    """Why the container could not read the mounted model directory (one line), or None."""
    for p in [model, *model.rglob("*")]:
        rel = str(p.relative_to(model)) if p != model else "the directory"
        if p.is_symlink() and not p.resolve().is_relative_to(model):
            return (f"model {shown!r}: {rel} links out of the directory (a Hugging Face cache snapshot?) and the "
                    f"container sees only the directory: copy it with cp -rL {shown} NEW_DIR")
        need = 0o005 if p.is_dir() else 0o004
        if container_user()[0] == NOBODY and p.stat().st_mode & need != need:
            return (f"model {shown!r}: {rel} is not readable by others, and as root the container runs as nobody: "
                    f"chmod -R o+rX {shown}, or run as a user of the docker group")
    return None


def container_spec(args, suites: list[str], backend: str) -> dict:
    """What the container is asked for, in ``containers.run``'s keyword names (``security_opt`` may hold
    ``systempaths=unconfined``, which ``_start`` applies as the docker CLI does). Pure but for the caller's uid."""
    if args.sandbox == "docker":
        raise UserError("--isolate docker runs code suites in bubblewrap inside the container (no Docker socket "
                        "is mounted): drop --sandbox docker")
    out = Path(args.out).resolve()
    cmd = ["eval", "--suites", ",".join(suites), "--out", "/out", "--backend", backend, "--seed", str(args.seed),
           "--sandbox", "bwrap", "--isolate", "none"]
    volumes = {str(out): {"bind": "/out", "mode": "rw"}}
    if is_url(args.model):
        cmd += ["--model", args.model, "--concurrency", str(args.concurrency)]
        name = args.model_name or model_name_of(args.model, args.served_model)
    else:
        model = Path(args.model).resolve()
        if not (model / "config.json").is_file():
            raise UserError(f"model {args.model!r}: not a Hugging Face model directory (no config.json)")
        volumes[str(model)] = {"bind": "/model", "mode": "ro"}
        cmd += ["--model", "/model", "--batch-size", str(args.batch_size)]
        name = args.model_name or model_name_of(str(model))
    cmd += ["--model-name", name]
    for flag, val in (("--k", args.k), ("--limit", args.limit), ("--temperature", args.temperature),
                      ("--top-p", args.top_p), ("--max-new-tokens", args.max_new_tokens),
                      ("--served-model", args.served_model)):
        if val is not None:
            cmd += [flag, str(val)]
    if getattr(args, "think_gate", False):
        cmd.append("--think-gate")
    if getattr(args, "judge_url", None):
        raise UserError("--judge-url with --isolate docker: the container has no network; score HLE afterwards "
                        "with mixmerge score --judge-url")
    for s in args.stop or []:
        cmd += ["--stop", s]
    for i, item in enumerate(args.data):
        suite, _, path = item.partition("=")
        p = Path(path).resolve()
        if not p.exists():
            raise UserError(f"--data {item!r}: {path} does not exist")
        volumes[str(p)] = {"bind": f"/data/{i}/{p.name}", "mode": "ro"}
        cmd += ["--data", f"{suite}=/data/{i}/{p.name}"]
    uid, gid = container_user()
    spec = {"image": args.image, "command": cmd, "volumes": volumes, "user": f"{uid}:{gid}",
            "environment": {"HOME": "/tmp", "HF_HUB_OFFLINE": "1"},
            "network_mode": "bridge" if backend == "openai" else "none", "labels": {"org.mixmerge.role": "eval"}}
    if any("code" in s or "humaneval" in s or "livecodebench" in s for s in suites):
        spec["security_opt"] = ["seccomp=unconfined", "apparmor=unconfined", UNMASK]
    if not args.image.split(":")[-1].endswith("cpu"):
        import docker

        spec["device_requests"] = [docker.types.DeviceRequest(count=-1, capabilities=[["gpu"]])]
    return spec


def _client():
    from harness.sandbox.docker_backend import docker_client

    try:
        return docker_client()
    except UserError:
        raise UserError("--isolate docker: no Docker engine answers; start one (eval \"$(bash "
                        "docker/sandbox/start-engine.sh)\") or export its DOCKER_HOST") from None


def _start(client, spec: dict):
    """``containers.run(**spec, detach=True)``, with ``systempaths=unconfined`` turned into empty MaskedPaths and
    ReadonlyPaths as the docker CLI does client-side (the engine refuses the option itself)."""
    sec = [s for s in spec.get("security_opt", []) if s != UNMASK]
    hc = client.api.create_host_config(binds=spec["volumes"], network_mode=spec["network_mode"],
                                       security_opt=sec or None, device_requests=spec.get("device_requests"))
    if UNMASK in spec.get("security_opt", []):
        hc["MaskedPaths"], hc["ReadonlyPaths"] = [], []
    cid = client.api.create_container(spec["image"], spec["command"], user=spec["user"], labels=spec["labels"],
                                      environment=spec["environment"], entrypoint=spec.get("entrypoint"),
                                      host_config=hc)["Id"]
    client.api.start(cid)
    return client.containers.get(cid)


def _chown_tree(top: Path, uid: int, gid: int) -> None:
    for p in [top, *top.rglob("*")]:
        os.lchown(p, uid, gid)


def run_isolated(args, suites: list[str], backend: str) -> int:
    spec = container_spec(args, suites, backend)  # bad input fails before the engine is asked
    model = next((Path(h) for h, m in spec["volumes"].items() if m["bind"] == "/model"), None)
    if model and (why := model_problem(model, args.model)):
        raise UserError(why)
    client = _client()
    try:
        client.images.get(args.image)
    except Exception:  # noqa: BLE001 - docker.errors.ImageNotFound and friends: one line with the fix
        raise UserError(f"image {args.image!r} not found; build it: {build_hint(args.image)}") from None
    results = Path(args.out).resolve() / spec["command"][spec["command"].index("--model-name") + 1]
    results.mkdir(parents=True, exist_ok=True)
    as_root = os.getuid() == 0
    if as_root:  # the container runs as nobody: lend it this model's results folder
        _chown_tree(results, NOBODY, NOBODY)
    try:
        container = _start(client, spec)
        try:
            for chunk in container.logs(stream=True, follow=True):
                print(chunk.decode(errors="replace"), end="", flush=True)
            code = int(container.wait().get("StatusCode", 1))
        finally:
            container.remove(force=True)
    finally:
        if as_root:
            _chown_tree(results, os.getuid(), os.getgid())
    if code == 0:
        print(f"results (isolated in {args.image}; /out above is {Path(args.out).resolve()}): "
              f"{results}/<suite>/results.json")
    return code


# ---- building the CPU image ---------------------------------------------------------------------------------

def _files(rel: str) -> list[Path]:
    p = REPO / rel
    if p.is_file():
        return [p]
    return sorted(f for f in p.rglob("*") if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc")


def source_hash() -> str:
    """sha256 over the relative paths and contents of everything the image is built from (no machine paths)."""
    h = hashlib.sha256()
    for rel in SOURCES:
        for f in _files(rel):
            h.update(str(f.relative_to(REPO)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def _run(cmd: list[str], what: str, **kw) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        tail = " | ".join((proc.stdout + proc.stderr).strip().splitlines()[-3:])
        raise UserError(f"{what} failed (exit {proc.returncode}): {tail}")


def wheelhouse(say: Callable[[str], None]) -> Path:
    """Wheels of the project's dependencies (+ pip, setuptools) pinned to this environment's versions."""
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    reqs = [*deps, "pip", "setuptools>=68"]
    freeze = subprocess.run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"], capture_output=True,
                            text=True, check=True).stdout
    pins = "\n".join(ln for ln in freeze.splitlines() if "==" in ln and not ln.startswith("#")) + "\n"
    key = hashlib.sha256(("\n".join(reqs) + "\0" + pins).encode()).hexdigest()[:16]
    dest = CACHE / "eval-wheels" / key
    if (dest / ".complete").exists():
        say(f"wheelhouse {dest} (cached)")
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        (Path(tmp) / "constraints.txt").write_text(pins)
        say(f"pip wheel: {len(deps)} dependencies at this environment's versions -> {dest}")
        _run([sys.executable, "-m", "pip", "wheel", "-q", "-w", f"{tmp}/w", "-c", f"{tmp}/constraints.txt", *reqs],
             "pip wheel (the project's dependencies)")
        shutil.rmtree(dest, ignore_errors=True)
        os.replace(f"{tmp}/w", dest)
    (dest / ".complete").touch()
    return dest


def bubblewrap_deb(say: Callable[[str], None]) -> Path:
    dest = CACHE / "eval-debs"
    if not list(dest.glob("bubblewrap_*.deb")):
        if not shutil.which("apt-get"):
            raise UserError("offline eval image: apt-get is needed to fetch the bubblewrap .deb (a Debian host)")
        dest.mkdir(parents=True, exist_ok=True)
        say("apt-get download bubblewrap")
        _run(["apt-get", "download", "bubblewrap"], "apt-get download bubblewrap (run apt-get update first?)", cwd=dest)
    return dest


def nltk_data() -> Path:
    from harness.paths import external_dir

    for cand in (os.environ.get("NLTK_DATA", "").split(os.pathsep)[0], external_dir() / "nltk_data"):
        if cand and all((Path(cand) / r).is_dir() for r in NLTK_RESOURCES):
            return Path(cand)
    raise UserError(f"offline eval image: no NLTK data with {', '.join(NLTK_RESOURCES)} in $NLTK_DATA or "
                    f"{external_dir() / 'nltk_data'}")


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _stage(ctx: Path, offline: bool, say: Callable[[str], None]) -> None:
    for rel in SOURCES:
        for f in _files(rel):
            (ctx / f.relative_to(REPO)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, ctx / f.relative_to(REPO))
    if offline:
        off = ctx / "docker/eval/offline"
        shutil.copytree(wheelhouse(say), off / "wheels", copy_function=_link_or_copy)
        shutil.copytree(bubblewrap_deb(say), off / "debs")
        shutil.copytree(nltk_data(), off / "nltk_data")


def build_cpu_image(image: str = "mixmerge-eval:cpu", offline: bool | None = None, force: bool = False,
                    say: Callable[[str], None] = print) -> bool:
    """Build ``image`` unless it is there with the current source hash; return whether it was built."""
    from harness.sandbox.image import SLIM_BASE, offline_base, registry_reachable

    client = _client()
    digest = source_hash()
    try:
        old = client.images.get(image)
    except Exception:  # noqa: BLE001 - not there
        old = None
    if old is not None and not force and (old.labels or {}).get(HASH_LABEL) == digest:
        say(f"{image} is up to date (source hash {digest[:12]})")
        return False
    if offline is None:
        offline = not registry_reachable(client)
        say(f"no registry answers: offline build (wheelhouse + {SLIM_BASE} replaced by a debootstrap'ed base)"
            if offline else f"registry answers: building on {SLIM_BASE}")
    base = offline_base(client, say) if offline else SLIM_BASE
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="eval-context-", dir=CACHE) as ctx:
        _stage(Path(ctx), offline, say)
        say(f"building {image} from {CPU_DOCKERFILE} with BASE={base}")
        log: list[str] = []
        for chunk in client.api.build(path=ctx, dockerfile=CPU_DOCKERFILE, tag=image, buildargs={"BASE": base},
                                      labels={HASH_LABEL: digest}, rm=True, forcerm=True, pull=False, decode=True):
            if "error" in chunk:
                raise UserError(f"building {image} failed: {chunk['error'].strip()} | {' | '.join(log[-3:])}")
            line = chunk.get("stream", "").rstrip()
            if line:
                log.append(line)
                if line.startswith("Step "):
                    say(line)
    new = client.images.get(image)
    if old is not None and old.id != new.id:
        try:
            client.images.remove(old.id)
        except Exception:  # noqa: BLE001 - still used by a container or another tag: keep it
            pass
    say(f"built {image} ({new.attrs['Size'] / 2**30:.2f} GiB, source hash {digest[:12]})")
    return True


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m harness.eval.isolate", description="build the CPU evaluation image")
    sub = p.add_subparsers(dest="action", required=True)
    b = sub.add_parser("build", help="build docker/eval/Dockerfile.cpu unless the image is up to date")
    b.add_argument("--image", default="mixmerge-eval:cpu")
    mode = b.add_mutually_exclusive_group()
    mode.add_argument("--offline", action="store_const", const=True, dest="offline", help="wheelhouse + local base")
    mode.add_argument("--online", action="store_const", const=False, dest="offline", help="python:3.11-slim + pip")
    b.add_argument("--force", action="store_true", help="rebuild even when the source hash matches")
    args = p.parse_args(argv)
    try:
        build_cpu_image(args.image, offline=args.offline, force=args.force,
                        say=lambda m: print(f"eval-image: {m}", file=sys.stderr, flush=True))
    except UserError as e:
        print(f"eval-image: error: {e}", file=sys.stderr)
        return e.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
