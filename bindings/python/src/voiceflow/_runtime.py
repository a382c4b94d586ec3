"""Finds ONNX Runtime inside the installed ``onnxruntime`` Python package.

The wheel depends on ``onnxruntime``, whose ``capi/`` folder holds the very
``libonnxruntime.so`` that voiceflow loads dynamically. ``ORT_DYLIB_PATH`` still wins.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from . import _native


def onnxruntime_package_library() -> Path | None:
    """``onnxruntime/capi/libonnxruntime.so*`` of the installed package, without importing it."""
    spec = importlib.util.find_spec("onnxruntime")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidates = sorted(Path(folder, "capi").glob("libonnxruntime.so*"))
        # Prefer the versioned file (libonnxruntime.so.1.32.0) over a bare symlink.
        candidates.sort(key=lambda p: (p.name == "libonnxruntime.so", p.name))
        if candidates:
            return candidates[0]
    return None


def load_runtime(path: str | os.PathLike[str] | None = None) -> Path | None:
    """Loads ONNX Runtime once per process and returns the path passed to the library.

    ``path`` None: ``ORT_DYLIB_PATH`` if set (the library reads it), else the
    ``onnxruntime`` package's library, else the library's own default (the set-up folder
    of ``$VOICEFLOW_HOME``). Raises RuntimeUnavailableError when that fails.
    """
    if path is None and not os.environ.get("ORT_DYLIB_PATH"):
        path = onnxruntime_package_library()
    encoded = None if path is None else os.fsencode(path)
    _native.check(_native.lib.vf_runtime_load(encoded))
    return None if path is None else Path(path)
