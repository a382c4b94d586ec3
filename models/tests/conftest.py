import os
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True, scope="session")
def _hermetic():
    """Tests never depend on ../shared/data: point the toolkit at a folder that lacks it."""
    torch.set_num_threads(2)
    old = os.environ.get("VOICEFLOW_DATA")
    os.environ["VOICEFLOW_DATA"] = str(REPO / "models" / "tests" / "no-shared-data")
    yield
    if old is None:
        os.environ.pop("VOICEFLOW_DATA", None)
    else:
        os.environ["VOICEFLOW_DATA"] = old


@pytest.fixture(scope="session")
def sophisticated():
    from models import create_model

    torch.manual_seed(0)
    return create_model("sophisticated").eval()
