"""The native layer: every C function declared, ABI check at import, ONNX Runtime lookup."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import voiceflow
from voiceflow import _native

from conftest import ROOT

HEADER = (ROOT / "include" / "voiceflow.h").read_text()


def header_functions() -> dict[str, int]:
    """name -> number of parameters of every function the header declares."""
    functions = {}
    for ret_and_name, params in re.findall(
        r"\n([\w \*]+?\bvf_\w+)\(([^)]*)\);", HEADER
    ):
        name = ret_and_name.split()[-1].lstrip("*")
        params = params.strip()
        functions[name] = 0 if params in ("", "void") else params.count(",") + 1
    return functions


def test_every_c_function_is_declared_with_its_arity():
    declared = header_functions()
    assert len(declared) >= 17
    assert set(_native.SIGNATURES) == set(declared)
    for name, (_, argtypes) in _native.SIGNATURES.items():
        assert len(argtypes) == declared[name], name


def test_segment_layout_matches_the_header():
    assert re.search(
        r"uint32_t speaker;.*uint32_t reserved;.*double start;.*double end;",
        HEADER,
        re.S,
    )
    assert _native.CSegment.start.offset == 8 and _native.CSegment.end.offset == 16


def test_abi_and_version():
    match = re.search(r"#define VF_ABI_VERSION (\d+)", HEADER)
    assert match and int(match.group(1)) == voiceflow.ABI_VERSION
    assert _native.lib.vf_abi_version() == voiceflow.ABI_VERSION
    cargo = (ROOT / "Cargo.toml").read_text()
    assert f'version = "{voiceflow.__version__}"' in cargo


def run_import(env_lib: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, VOICEFLOW_LIB=env_lib)
    src = str(ROOT / "bindings" / "python" / "src")
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; sys.path.insert(0, {src!r}); import voiceflow",
        ],
        env=env,
        capture_output=True,
        text=True,
    )


def test_import_refuses_another_abi(tmp_path: Path):
    source = tmp_path / "fake.c"
    source.write_text("unsigned vf_abi_version(void) { return 999; }\n")
    fake = tmp_path / "libfake.so"
    subprocess.run(
        [os.environ.get("CC", "cc"), "-shared", "-fPIC", source, "-o", fake], check=True
    )
    result = run_import(str(fake))
    assert result.returncode != 0
    assert "AbiMismatchError" in result.stderr and "ABI version 999" in result.stderr


def test_import_names_a_missing_library(tmp_path: Path):
    result = run_import(str(tmp_path / "nothing.so"))
    assert result.returncode != 0
    assert "nothing.so does not exist" in result.stderr


def test_onnxruntime_comes_from_the_onnxruntime_package():
    path = voiceflow.onnxruntime_package_library()
    assert path is not None and path.is_file()
    assert path.parent.name == "capi" and path.parent.parent.name == "onnxruntime"
    assert path.name.startswith("libonnxruntime.so")


def test_explicit_runtime_load_after_loading_is_a_no_op(model):
    assert voiceflow.load_runtime(voiceflow.onnxruntime_package_library()) is not None


@pytest.mark.parametrize("path", ["/nonexistent/libonnxruntime.so"])
def test_unloadable_runtime_is_an_error_in_a_fresh_process(path):
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import voiceflow\n"
        "try:\n    voiceflow.load_runtime(sys.argv[2])\n"
        "except voiceflow.RuntimeUnavailableError as e:\n    print('refused:', e)\n"
    )
    src = str(ROOT / "bindings" / "python" / "src")
    result = subprocess.run(
        [sys.executable, "-c", code, src, path],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.startswith("refused:") and path in result.stdout
