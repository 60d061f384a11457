#!/usr/bin/env bash
# Build the CPU evaluation image (docker/eval/Dockerfile.cpu) unless it is up to date; idempotent.
#   bash docker/eval/build-cpu.sh [--image mixmerge-eval:cpu] [--offline|--online] [--force]
# Online when a registry answers (python:3.11-slim + pip); offline otherwise: a wheelhouse made on this machine
# (pip wheel, the versions of the project environment), the bubblewrap .deb (apt-get download), the NLTK data of
# $NLTK_DATA or ../shared/external/nltk_data, on the debootstrap'ed base of the sandbox image (root, Debian host).
# The image is labelled with a hash of the files it is built from; a matching image is reused (seconds).
# Needs DOCKER_HOST (eval "$(bash docker/sandbox/start-engine.sh)"). Progress and errors on stderr.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PYTHON=${MIXMERGE_PYTHON:-$REPO/.venv/bin/python}
cd "$REPO"
exec "$PYTHON" -m harness.eval.isolate build "$@"
