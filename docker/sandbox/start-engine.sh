#!/usr/bin/env bash
# Make a Docker engine and the sandbox image available; idempotent.
#   eval "$(docker/sandbox/start-engine.sh)"     # stdout: the `export DOCKER_HOST=...` line; progress on stderr
# 1. installs docker.io, bubblewrap, debootstrap with apt-get when absent (root only);
# 2. uses $DOCKER_HOST or the default socket when an engine answers there, else starts dockerd on its
#    own socket ($MIXMERGE_DOCKER_SOCK, default /run/mixmerge-docker.sock) and waits until it answers;
# 3. builds mixmerge-sandbox:latest (`mixmerge sandbox build`) when it is missing.
# Env: MIXMERGE_DOCKER_SOCK, MIXMERGE_DOCKER_DATA, MIXMERGE_SANDBOX_IMAGE, MIXMERGE_PYTHON,
#      MIXMERGE_DOCKER_CPU_SHARES (optional CPU weight of the engine's cgroup on a busy shared host).
set -euo pipefail
SOCK=${MIXMERGE_DOCKER_SOCK:-/run/mixmerge-docker.sock}
DATA=${MIXMERGE_DOCKER_DATA:-/var/lib/mixmerge-docker}
IMAGE=${MIXMERGE_SANDBOX_IMAGE:-mixmerge-sandbox:latest}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PYTHON=${MIXMERGE_PYTHON:-$REPO/.venv/bin/python}
[ -x "$PYTHON" ] || PYTHON=python3
log() { echo "start-engine: $*" >&2; }

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "missing ${missing[*]} and not root: install them (apt-get install ${missing[*]})"; exit 1
  fi
  log "installing ${missing[*]}"
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2
fi

answers() {  # does an engine answer at $1? (docker CLI from docker.io; else curl on the socket)
  if command -v docker >/dev/null 2>&1; then
    timeout 10 docker -H "$1" version --format '{{.Server.Version}}' >/dev/null 2>&1
  else
    case "$1" in unix://*) curl -fsS --max-time 5 --unix-socket "${1#unix://}" http://d/_ping >/dev/null 2>&1 ;; *) return 1 ;; esac
  fi
}

# the whole CLI must import (every command module and its dependencies), not only the sandbox's
python_ok() { "$PYTHON" -c "import docker, harness.sandbox.image; from harness.cli import build_parser; build_parser()" >/dev/null 2>&1; }

HOST=""
for cand in "${DOCKER_HOST:-}" "unix://$SOCK" "unix:///var/run/docker.sock"; do
  if [ -n "$cand" ] && answers "$cand"; then HOST=$cand; break; fi
done
if [ -z "$HOST" ]; then
  if [ "$(id -u)" -ne 0 ]; then log "no Docker engine answers and not root: cannot start dockerd"; exit 1; fi
  mkdir -p "$DATA"
  LOG=/var/log/$(basename "${SOCK%.sock}").log
  log "starting dockerd on unix://$SOCK (log: $LOG)"
  nohup dockerd --host "unix://$SOCK" --iptables=false --bridge=none --data-root "$DATA" \
    --exec-root "${SOCK%.sock}-exec" --pidfile "${SOCK%.sock}.pid" >"$LOG" 2>&1 &
  for _ in $(seq 1 60); do
    if answers "unix://$SOCK"; then HOST="unix://$SOCK"; break; fi
    sleep 1
  done
  if [ -z "$HOST" ]; then log "dockerd did not answer within 60 s; see $LOG"; exit 1; fi
fi
log "engine answers at $HOST"
# On a shared host every container shares the engine cgroup's one CPU weight against all other processes
# (cgroup v1 cpu.shares 1024 = one process); MIXMERGE_DOCKER_CPU_SHARES raises it (root, cgroup v1).
if [ -n "${MIXMERGE_DOCKER_CPU_SHARES:-}" ] && [ -w /sys/fs/cgroup/cpu/docker/cpu.shares ]; then
  echo "$MIXMERGE_DOCKER_CPU_SHARES" > /sys/fs/cgroup/cpu/docker/cpu.shares
  log "engine cgroup cpu.shares set to $MIXMERGE_DOCKER_CPU_SHARES"
fi

export DOCKER_HOST=$HOST
if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  log "image $IMAGE missing: building it"
  if ! (cd "$REPO" && python_ok); then  # a fresh clone: the project's venv does not exist yet
    log "setting up the project environment first (make setup)"
    make -C "$REPO" setup >&2
    PYTHON=$REPO/.venv/bin/python
  fi
  (cd "$REPO" && "$PYTHON" -m harness.cli sandbox build --image "$IMAGE") >&2
fi
log "image $IMAGE present"
echo "export DOCKER_HOST=$HOST"
