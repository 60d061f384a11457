import pytest
from lb_helpers import write_results


@pytest.fixture
def results_dir(tmp_path):
    return write_results(tmp_path / "results")
