"""`pip install ./bindings/python` into a fresh venv, then diarize the example with it, out
of reach of the source tree: the wheel must bring the library and the default models.

Offline: pip takes everything from the wheelhouse that `make test-python-bindings`
fills once ($VOICEFLOW_WHEELHOUSE, default .voiceflow/wheelhouse). The wheel's build
step runs `cargo build --release --lib` in this source tree and copies the default models
from $VOICEFLOW_HOME/models (else .voiceflow/models).
"""

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from voiceflow import _defaults

from conftest import EXAMPLE_WAV, ROOT

EXAMPLE_MP3 = ROOT / "examples" / "data" / "conversation.mp3"

BUNDLED = {
    _defaults.SEGMENTATION_FILE,
    _defaults.EMBEDDING_FILE,
    _defaults.NOTICES_FILE,
}


def wheelhouse() -> Path:
    path = Path(
        os.environ.get("VOICEFLOW_WHEELHOUSE", ROOT / ".voiceflow" / "wheelhouse")
    )
    assert any(path.glob("setuptools-*.whl")) and any(path.glob("onnxruntime-*.whl")), (
        f"{path} lacks the wheels this test installs from: run `make test-python-bindings`"
    )
    return path


def clean_env(home: str | None) -> dict:
    """No trace of the source tree: no PYTHONPATH, no VOICEFLOW_LIB, no ORT_DYLIB_PATH,
    and VOICEFLOW_HOME as given (None: unset)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VOICEFLOW_LIB", "PYTHONPATH", "ORT_DYLIB_PATH", "VOICEFLOW_HOME")
    }
    if home is not None:
        env["VOICEFLOW_HOME"] = home
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with `pip install ./bindings/python` in it; returns its folder."""
    env_dir = tmp_path_factory.mktemp("wheel") / "venv"
    venv.create(env_dir, with_pip=True)
    # The build may read the set-up folder; what is installed must not need it.
    build_home = os.environ.get("VOICEFLOW_HOME", str(ROOT / ".voiceflow"))
    subprocess.run(
        [
            env_dir / "bin" / "python",
            *("-m", "pip", "install", "-q", "--disable-pip-version-check"),
            *("--no-index", "--find-links", str(wheelhouse())),
            str(ROOT / "bindings" / "python"),
        ],
        check=True,
        env=clean_env(build_home),
    )
    return env_dir


@pytest.fixture(scope="module")
def rust_rttm() -> bytes:
    """`voiceflow diarize examples/data/conversation.mp3 --format rttm` of the Rust CLI."""
    rust_cli = ROOT / "target" / "release" / "voiceflow"
    command = [rust_cli, "diarize", EXAMPLE_MP3, "--format", "rttm"]
    return subprocess.run(command, capture_output=True, check=True).stdout


def site_packages(env_dir: Path) -> Path:
    (folder,) = (env_dir / "lib").glob("python3*/site-packages")
    return folder


def test_the_wheel_holds_the_library_and_the_default_models(installed):
    packages = site_packages(installed)
    (dist_info,) = packages.glob("voiceflow-*.dist-info")
    wheel_info = (dist_info / "WHEEL").read_text()
    assert (
        "Root-Is-Purelib: false" in wheel_info and "Tag: py3-none-linux_" in wheel_info
    )
    assert "Requires-Dist: onnxruntime==1.32.0" in (dist_info / "METADATA").read_text()
    record = (dist_info / "RECORD").read_text()
    assert "voiceflow/_lib/libvoiceflow.so," in record
    # Exactly the default pair and its notices: no other model makes the wheel heavier.
    bundled = packages / "voiceflow" / "_models"
    assert {p.name for p in bundled.iterdir()} == BUNDLED
    for name in BUNDLED:
        assert f"voiceflow/_models/{name}," in record
    notices = (dist_info / "licenses" / _defaults.NOTICES_FILE).read_text()
    assert "MIT License" in notices and "Apache License" in notices
    assert "Copyright (c) 2020 CNRS" in notices and "3D-Speaker" in notices


PROBE = """
import voiceflow as v
with v.Model() as m:
    print(v.__file__, v.library_path(), v.onnxruntime_package_library(),
          m.segmentation_path, m.embedding_path, sep="\\n")
"""


@pytest.mark.parametrize(
    "home", [None, "/nonexistent-voiceflow-home"], ids=["home-unset", "home-elsewhere"]
)
def test_the_installed_package_diarizes_on_its_own(
    installed, home, tmp_path, reference, rust_rttm
):
    python = installed / "bin" / "python"
    packages = str(site_packages(installed))
    # An unrelated folder as cwd, so that nothing is imported from the source tree.
    probe = subprocess.run(
        [python, "-c", PROBE],
        cwd=tmp_path,
        env=clean_env(home),
        capture_output=True,
        text=True,
        check=True,
    )
    package, library, onnxruntime, segmentation, embedding = probe.stdout.splitlines()
    assert package.startswith(packages), package
    assert library.startswith(packages) and library.endswith("_lib/libvoiceflow.so")
    assert onnxruntime.startswith(packages) and "/onnxruntime/capi/" in onnxruntime
    assert segmentation == f"{packages}/voiceflow/_models/{_defaults.SEGMENTATION_FILE}"
    assert embedding == f"{packages}/voiceflow/_models/{_defaults.EMBEDDING_FILE}"

    example = subprocess.run(
        [python, ROOT / "examples" / "python" / "diarize_file.py", EXAMPLE_WAV],
        cwd=tmp_path,
        env=clean_env(home),
        capture_output=True,
        text=True,
        check=True,
    )
    expected = "".join(f"{s.start:.3f} {s.end:.3f} {s.speaker}\n" for s in reference)
    assert example.stdout == expected

    # The second of a pip user's two commands, on an MP3, against the Rust CLI (whose
    # RTTM uri is the stem).
    shutil.copyfile(EXAMPLE_MP3, tmp_path / "conversation.mp3")
    cli = subprocess.run(
        [python, "-m", "voiceflow", "diarize", "conversation.mp3", "--format", "rttm"],
        cwd=tmp_path,
        env=clean_env(home),
        capture_output=True,
        check=True,
    )
    assert cli.stdout == rust_rttm and rust_rttm.startswith(b"SPEAKER conversation ")


def test_example_reports_errors_on_stderr(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "bindings" / "python" / "src"))
    script = ROOT / "examples" / "python" / "diarize_file.py"
    missing = subprocess.run(
        [sys.executable, script, tmp_path / "missing.wav"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert (
        missing.returncode == 1
        and missing.stdout == ""
        and "missing.wav" in missing.stderr
    )
    no_models = subprocess.run(
        [sys.executable, script, EXAMPLE_WAV],
        env=dict(env, VOICEFLOW_HOME=str(tmp_path / "nowhere")),
        capture_output=True,
        text=True,
    )
    assert no_models.returncode == 1 and no_models.stdout == ""
    assert "voiceflow:" in no_models.stderr and "nowhere" in no_models.stderr
