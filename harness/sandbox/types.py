"""Value types of the sandbox seam: per-program limits, one job, one result."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Literal

from harness.errors import UserError

Status = Literal["ok", "error", "timeout", "memory", "output_limit", "killed", "sandbox_error"]
STATUSES: tuple[str, ...] = ("ok", "error", "timeout", "memory", "output_limit", "killed", "sandbox_error")


@dataclass(frozen=True)
class Limits:
    """Limits applied to one program (defaults mirror the recipe's ``sandbox`` section)."""

    timeout_s: float = 10.0  # wall clock
    cpu_s: float = 10.0  # RLIMIT_CPU
    memory_mb: int = 1024  # RLIMIT_AS (plus the container's cgroup cap on docker)
    pids: int = 64  # RLIMIT_NPROC inside the sandbox's own user (plus the cgroup pids cap on docker)
    output_bytes: int = 1 << 20  # stdout and stderr each are cut there (flagged ``truncated``)
    tmpfs_mb: int = 64  # size of /tmp, the only writable place, which also bounds what a program can write
    # (the worker's own /tmp size is fixed when it starts: the pool's limits)
    # LiveCodeBench-style checks: each test's own limit (lcb_runner/runner/parser.py:93); such a check's program
    # gets (test_timeout_s + 1) x tests + 5 s of wall and CPU time instead of timeout_s / cpu_s (harness/sandbox/checks.py)
    test_timeout_s: float = 6.0

    def __post_init__(self) -> None:
        for name in ("timeout_s", "cpu_s", "memory_mb", "pids", "output_bytes", "tmpfs_mb", "test_timeout_s"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or value <= 0:
                raise UserError(f"sandbox limit {name}={value!r}: must be a positive number")
        if self.memory_mb < 32:
            raise UserError(
                f"sandbox limit memory_mb={self.memory_mb}: python needs at least 32 MB; use >= 64"
            )

    def to_dict(self) -> dict:
        return asdict(self)

    def merged(self, **over) -> Limits:
        return replace(self, **{k: v for k, v in over.items() if v is not None})

    @classmethod
    def from_section(cls, section) -> Limits:
        """From ``harness.recipe.SandboxSection`` (or anything with the same attributes)."""
        return cls(**{k: getattr(section, k) for k in cls.__dataclass_fields__ if hasattr(section, k)})


@dataclass(frozen=True)
class Job:
    program: str
    stdin: str = ""
    limits: Limits | None = None


@dataclass
class ExecResult:
    status: Status
    exit_code: int | None
    stdout: str = ""
    stderr: str = ""
    wall_s: float = 0.0
    truncated: bool = False
    detail: str = field(default="", compare=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @classmethod
    def sandbox_error(cls, detail: str, wall_s: float = 0.0) -> ExecResult:
        return cls(status="sandbox_error", exit_code=None, wall_s=wall_s, detail=detail)
