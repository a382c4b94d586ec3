"""Build step of the voiceflow wheel: puts libvoiceflow.so into voiceflow/_lib/.

The library comes from ``VOICEFLOW_LIB`` (a prebuilt libvoiceflow.so) or else from
``cargo build --release --lib`` in the source tree this folder belongs to. The wheel is
tagged ``py3-none-<platform>``: it holds native code but no CPython extension.
"""

import os
import shutil
import subprocess
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SOURCE_TREE = HERE.parent.parent


def native_library() -> Path:
    prebuilt = os.environ.get("VOICEFLOW_LIB")
    if prebuilt:
        path = Path(prebuilt)
        if not path.is_file():
            raise SystemExit(f"voiceflow: VOICEFLOW_LIB={prebuilt} does not exist")
        return path
    manifest = SOURCE_TREE / "Cargo.toml"
    if not manifest.is_file():
        raise SystemExit(
            f"voiceflow: {manifest} not found; build from the voiceflow source tree "
            "or set VOICEFLOW_LIB to a prebuilt libvoiceflow.so"
        )
    cargo = shutil.which("cargo")
    if cargo is None:
        raise SystemExit(
            "voiceflow: cargo not found; install Rust or set VOICEFLOW_LIB"
        )
    subprocess.run(
        [cargo, "build", "--release", "--lib", "--manifest-path", str(manifest)],
        check=True,
    )
    target = Path(os.environ.get("CARGO_TARGET_DIR", SOURCE_TREE / "target"))
    return target / "release" / "libvoiceflow.so"


class BuildPyWithNative(build_py):
    def run(self):
        super().run()
        destination = Path(self.build_lib) / "voiceflow" / "_lib"
        destination.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(native_library(), destination / "libvoiceflow.so")


class NativeDistribution(Distribution):
    """Holds a native library: the wheel is platform-specific and installs to platlib."""

    def has_ext_modules(self):
        return True


class PlatformWheel(bdist_wheel):
    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(
    distclass=NativeDistribution,
    cmdclass={"build_py": BuildPyWithNative, "bdist_wheel": PlatformWheel},
)
