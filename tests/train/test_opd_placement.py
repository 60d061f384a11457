"""MT-OPD's GPU placement check: the student's training state plus its bf16 teachers against the GPU's memory."""

from __future__ import annotations

import pytest

from harness.errors import UserError
from harness.train.opd_placement import GIB, check, need_bytes


def model(path, gib: float):
    path.mkdir()
    with (path / "model.safetensors").open("wb") as f:  # a sparse file of that size: only its length matters
        f.truncate(int(gib * GIB))
    return path


def test_qwen3_4b_with_four_teachers_is_refused_on_80_gib_and_fits_141(tmp_path):
    student = model(tmp_path / "sft", 8.0)  # Qwen3-4B in bf16: ~8 GB
    teachers = [model(tmp_path / f"rl-{d}", 8.0) for d in ("math", "code", "science", "if")]
    assert need_bytes(student, teachers) == int(8 * GIB) * (2 + 4 + 4)
    with pytest.raises(UserError) as e:
        check(student, teachers, 79 * GIB, "H100")  # CUDA reports ~79 GiB for an 80 GB H100
    msg = str(e.value)
    assert "\n" not in msg and "80.0 GiB before activations: it does not fit" in msg and "opd.mix" in msg
    assert "4 teachers in bf16 ~ 80.0 GiB" in check(student, teachers, 141 * GIB, "H200")
    assert "3 teachers in bf16 ~ 72.0 GiB" in check(student, teachers[:3], 79 * GIB, "H100")
