"""Which model files Model() opens without paths: arguments, $VOICEFLOW_HOME, bundled."""

import os
import re
from pathlib import Path

import pytest
import voiceflow
from voiceflow import _defaults

from conftest import ROOT

NAMES = (_defaults.SEGMENTATION_FILE, _defaults.EMBEDDING_FILE)
SETUP_MODELS = Path(os.environ.get("VOICEFLOW_HOME", ROOT / ".voiceflow")) / "models"


def test_names_are_the_librarys_defaults():
    source = (ROOT / "src" / "models" / "mod.rs").read_text()
    for constant, name in zip(("SEGMENTATION", "EMBEDDING"), NAMES):
        match = re.search(rf'DEFAULT_{constant}_FILE: &str = "([^"]+)"', source)
        assert match and match.group(1) == name


@pytest.fixture
def bundled(tmp_path, monkeypatch) -> Path:
    """A package folder with the default models, as an installed wheel has them."""
    folder = tmp_path / "_models"
    folder.mkdir()
    for name in NAMES:
        (folder / name).symlink_to(SETUP_MODELS / name)
    monkeypatch.setattr(_defaults, "BUNDLED_DIR", folder)
    return folder


def test_voiceflow_home_wins_when_it_holds_the_file(bundled, tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    (home / "models" / NAMES[0]).write_bytes(b"")
    monkeypatch.setenv("VOICEFLOW_HOME", str(home))
    assert _defaults.default_model(NAMES[0]) == home / "models" / NAMES[0]
    assert _defaults.default_model(NAMES[1]) == bundled / NAMES[1]  # per file
    monkeypatch.setenv("VOICEFLOW_HOME", "/nonexistent-voiceflow-home")
    assert _defaults.default_model(NAMES[0]) == bundled / NAMES[0]
    monkeypatch.delenv("VOICEFLOW_HOME")
    assert _defaults.default_model(NAMES[0]) == bundled / NAMES[0]


def test_source_checkout_leaves_the_default_to_the_library(tmp_path, monkeypatch):
    monkeypatch.setattr(_defaults, "BUNDLED_DIR", tmp_path / "absent")
    monkeypatch.setenv("VOICEFLOW_HOME", str(tmp_path))
    assert _defaults.default_model(NAMES[0]) is None
    with pytest.raises(voiceflow.ModelError, match="make setup") as info:
        voiceflow.Model()
    assert str(tmp_path / "models" / NAMES[0]) in info.value.message


def test_model_opens_the_bundled_models(bundled, monkeypatch):
    monkeypatch.setenv("VOICEFLOW_HOME", "/nonexistent-voiceflow-home")
    with voiceflow.Model() as model:
        assert model.segmentation_path == bundled / NAMES[0]
        assert model.embedding_path == bundled / NAMES[1]


def test_arguments_come_first(bundled, monkeypatch):
    monkeypatch.setenv("VOICEFLOW_HOME", str(SETUP_MODELS.parent))
    former = SETUP_MODELS / "ge2e.onnx"
    with voiceflow.Model(embedding=former) as model:
        assert model.embedding_path == former
        assert model.segmentation_path == SETUP_MODELS / NAMES[0]


def test_a_package_without_its_models_says_so(bundled, monkeypatch):
    monkeypatch.delenv("VOICEFLOW_HOME", raising=False)
    (bundled / NAMES[1]).unlink()
    with pytest.raises(voiceflow.ModelError, match="reinstall") as info:
        voiceflow.Model()
    assert str(bundled / NAMES[1]) in info.value.message
