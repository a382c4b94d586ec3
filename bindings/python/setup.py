"""Build step of the voiceflow wheel: puts libvoiceflow.so into voiceflow/_lib/ and the
default models, with their licence notices, into voiceflow/_models/.

The library comes from ``VOICEFLOW_LIB`` (a prebuilt libvoiceflow.so) or else from
``cargo build --release --lib`` in the source tree this folder belongs to. The models come
from ``$VOICEFLOW_HOME/models`` or else the source tree's ``.voiceflow/models`` (what
``make setup`` fills). The wheel is tagged ``py3-none-<platform>``: it holds native code
but no CPython extension.
"""

import os
import runpy
import shutil
import subprocess
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SOURCE_TREE = HERE.parent.parent
# The file names the package looks for, from the package itself (plain standard library).
DEFAULTS = runpy.run_path(str(HERE / "src" / "voiceflow" / "_defaults.py"))


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


def default_models() -> list[Path]:
    """The default segmentation and embedding models of the set-up folder."""
    home = os.environ.get("VOICEFLOW_HOME")
    folders = [Path(home, "models")] if home else []
    folders.append(SOURCE_TREE / ".voiceflow" / "models")
    found = []
    for name in (DEFAULTS["SEGMENTATION_FILE"], DEFAULTS["EMBEDDING_FILE"]):
        candidates = [folder / name for folder in folders]
        path = next((c for c in candidates if c.is_file()), None)
        if path is None:
            raise SystemExit(
                f"voiceflow: the wheel bundles the default model {name}, found in none of "
                f"{', '.join(map(str, candidates))}; run `make setup` in the voiceflow "
                "source tree (or set VOICEFLOW_HOME to a set-up folder)"
            )
        found.append(path)
    return found


class BuildPyWithNative(build_py):
    def run(self):
        super().run()
        package = Path(self.build_lib) / "voiceflow"
        (package / "_lib").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(native_library(), package / "_lib" / "libvoiceflow.so")
        models = package / "_models"
        models.mkdir(exist_ok=True)
        for path in default_models():
            shutil.copyfile(path, models / path.name)
        notices = DEFAULTS["NOTICES_FILE"]
        shutil.copyfile(HERE / notices, models / notices)


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
