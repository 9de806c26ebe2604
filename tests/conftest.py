from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_SAMPLES = REPO.parent / "shared" / "samples"
DATA_SAMPLES = REPO / "data" / "samples"


@pytest.fixture
def shared_samples() -> Path:
    """../shared/samples (real public exports); the test is skipped when the folder is absent."""
    if not SHARED_SAMPLES.is_dir():
        pytest.skip(f"real public samples not found at {SHARED_SAMPLES} (only present beside the development checkout)")
    return SHARED_SAMPLES


@pytest.fixture
def data_samples() -> Path:
    """data/samples: the bundled synthetic case."""
    return DATA_SAMPLES
