"""`pip install ./bindings/python` into a fresh venv, then diarize the example with it.

Offline: pip takes everything from the wheelhouse that `make test-python-bindings`
fills once ($VOICEFLOW_WHEELHOUSE, default .voiceflow/wheelhouse). The wheel's build
step runs `cargo build --release --lib` in this source tree.
"""

import os
import subprocess
import sys
import venv
from pathlib import Path

from conftest import EXAMPLE_WAV, ROOT


def wheelhouse() -> Path:
    path = Path(
        os.environ.get("VOICEFLOW_WHEELHOUSE", ROOT / ".voiceflow" / "wheelhouse")
    )
    assert any(path.glob("setuptools-*.whl")) and any(path.glob("onnxruntime-*.whl")), (
        f"{path} lacks the wheels this test installs from: run `make test-python-bindings`"
    )
    return path


def clean_env() -> dict:
    """No trace of the source tree: the installed package must stand on its own."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("VOICEFLOW_LIB", "PYTHONPATH")
    }
    env.pop("ORT_DYLIB_PATH", None)
    env["VOICEFLOW_HOME"] = os.environ.get("VOICEFLOW_HOME", str(ROOT / ".voiceflow"))
    return env


def test_pip_install_builds_a_wheel_with_the_native_library(tmp_path, reference):
    pip_offline = ["--no-index", "--find-links", str(wheelhouse())]
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            *pip_offline,
        ]
        + [str(ROOT / "bindings" / "python")],
        check=True,
        env=clean_env(),
    )
    # pip built a platform wheel holding the native library, and installed it.
    (dist_info,) = (env_dir / "lib").glob(
        "python3*/site-packages/voiceflow-*.dist-info"
    )
    wheel_info = (dist_info / "WHEEL").read_text()
    assert (
        "Root-Is-Purelib: false" in wheel_info and "Tag: py3-none-linux_" in wheel_info
    )
    assert "Requires-Dist: onnxruntime==1.32.0" in (dist_info / "METADATA").read_text()
    assert any(
        "voiceflow/_lib/libvoiceflow.so," in line
        for line in (dist_info / "RECORD").open()
    )

    # Run from an unrelated folder so that nothing is imported from the source tree.
    probe = subprocess.run(
        [
            python,
            "-c",
            "import voiceflow as v; print(v.__file__); print(v.library_path()); "
            "print(v.onnxruntime_package_library())",
        ],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    package_file, library, onnxruntime = probe.stdout.split("\n")[:3]
    assert package_file.startswith(str(env_dir)), package_file
    assert library.startswith(str(env_dir)) and library.endswith("_lib/libvoiceflow.so")
    assert onnxruntime.startswith(str(env_dir)) and "/onnxruntime/capi/" in onnxruntime

    example = subprocess.run(
        [python, ROOT / "examples" / "python" / "diarize_file.py", EXAMPLE_WAV],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    expected = "".join(f"{s.start:.3f} {s.end:.3f} {s.speaker}\n" for s in reference)
    assert example.stdout == expected


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
