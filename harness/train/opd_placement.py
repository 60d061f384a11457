"""Where MT-OPD runs with GPUs, and what it refuses.

MT-OPD has one path: the local TRL trainer (``harness/train/opd.py``; OpenRLHF has no distillation CLI). On a GPU
it keeps everything on that one device: the student's training state (weights, gradients and AdamW's two fp32
moments) and every teacher, loaded in bf16 when large (``stages.load_model``), queried in-process for its token
log-probs. Teachers served from another machine are not built. So before loading anything the stage checks that
this fits the GPU, and refuses in one line with the figures when it does not.
"""

from __future__ import annotations

from pathlib import Path

from harness.errors import UserError

GIB = 2**30


def weight_bytes(model_dir: Path) -> int:
    return sum(f.stat().st_size for f in Path(model_dir).glob("*.safetensors"))


def need_bytes(student: Path, teachers: list[Path]) -> int:
    """Student: weights + gradients (its dtype) + AdamW's two fp32 moments (4x a bf16 copy); teachers: weights.
    Activations and the rollout's KV cache come on top (not estimated)."""
    s = weight_bytes(student)
    return 2 * s + 4 * s + sum(weight_bytes(t) for t in teachers)


def check(student: Path, teachers: list[Path], gpu_bytes: int, gpu_name: str = "this GPU") -> str:
    """One line saying where MT-OPD runs; raises when the student's state and the teachers exceed the GPU."""
    need = need_bytes(student, teachers)
    line = (f"MT-OPD on the local TRL path on one GPU ({gpu_name}, {gpu_bytes / GIB:.0f} GiB): student training "
            f"state + {len(teachers)} teachers in bf16 ~ {need / GIB:.1f} GiB before activations")
    if need > gpu_bytes:
        raise UserError(f"{line}: it does not fit. Teachers served from an endpoint are not built; use a GPU with "
                        "more memory, or fewer teachers (opd.mix)")
    return line


def check_cuda(student: Path, teachers: list[Path]) -> str | None:
    """``check`` against the visible CUDA device; None on CPU (no limit enforced there)."""
    import torch

    if not torch.cuda.is_available():
        return None
    props = torch.cuda.get_device_properties(0)
    return check(student, teachers, props.total_memory, props.name)
