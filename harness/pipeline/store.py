"""Run store: ``runs/<recipe>/<stage>/`` with a ``manifest.json``; stages are built in a temporary directory
and renamed into place only when complete, so a killed run never leaves half a stage where a reader looks.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path

MANIFEST = "manifest.json"


class RunStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.tmp_root = self.root / ".tmp"
        self.failed_root = self.root / ".failed"

    def stage_dir(self, name: str) -> Path:
        return self.root / name

    def log_path(self, name: str) -> Path:
        """The stage's log: outside the stage directory, so a failed build's log (and traceback) stays."""
        return self.root / "logs" / f"{name}.log"

    def manifest(self, name: str) -> dict | None:
        path = self.stage_dir(name) / MANIFEST
        try:
            return json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            return None

    def is_done(self, name: str, inputs_hash: str) -> bool:
        m = self.manifest(name)
        return bool(m and m.get("status") == "done" and m.get("inputs_hash") == inputs_hash)

    def begin(self, name: str) -> Path:
        """A fresh temporary directory for building stage `name` (leftovers of killed runs are removed)."""
        self.tmp_root.mkdir(parents=True, exist_ok=True)
        for old in self.tmp_root.glob(f"{name}.*"):
            shutil.rmtree(old, ignore_errors=True)
        tmp = self.tmp_root / f"{name}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        return tmp

    def commit(self, name: str, tmp: Path, manifest: dict) -> Path:
        """Write the manifest last, then atomically move the finished directory into place."""
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
        final = self.stage_dir(name)
        if final.exists():
            trash = self.tmp_root / f"{name}.old.{uuid.uuid4().hex[:8]}"
            os.replace(final, trash)
            os.replace(tmp, final)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(tmp, final)
        (self.failed_root / f"{name}.json").unlink(missing_ok=True)
        return final

    def fail(self, name: str, tmp: Path | None, error: str) -> None:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        self.failed_root.mkdir(parents=True, exist_ok=True)
        (self.failed_root / f"{name}.json").write_text(json.dumps({"stage": name, "error": error, "at": time.time()}))

    def failure(self, name: str) -> dict | None:
        try:
            return json.loads((self.failed_root / f"{name}.json").read_text())
        except (OSError, json.JSONDecodeError):
            return None
