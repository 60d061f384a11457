import pytest
from gen_helpers import HAVE_VLLM, REQUIRE_VLLM

from harness.model.build import tiny_model_dir


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    # head_dim 32: vLLM's CPU attention kernels have no head_dim 16 (the builder's default)
    return tiny_model_dir(tmp_path_factory.mktemp("gen") / "tiny", seed=0, hidden_size=64, head_dim=32)


_generators: dict = {}


@pytest.fixture
def make_generator(tiny_model):
    """One generator per backend for the whole session (vLLM start-up is the slow part)."""
    from harness.generation import get_generator

    def make(backend: str):
        if backend == "vllm" and not HAVE_VLLM:
            if REQUIRE_VLLM:
                pytest.fail("vllm is not importable in the vllm session")
            pytest.skip("vllm not installed here; run `nox -s vllm`")
        if backend not in _generators:
            _generators[backend] = get_generator(backend, str(tiny_model))
        return _generators[backend]

    return make
