"""Reader of zip-format ``torch.save`` checkpoints without torch (used by convert_seg3.py and
convert_campp.py; convert_ge2e.py reads the legacy format).

A restricted ``pickle.Unpickler`` resolves only the globals a state-dict checkpoint needs
(tensor rebuilds, storage types, OrderedDict, and the caller's inert data classes) and maps
each ``<prefix>/data/<key>`` storage to a numpy array; tensors become numpy copies of their
views, so storages shared by several tensors are handled.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from collections import OrderedDict

import numpy as np


_STORAGE_DTYPES = {
    "FloatStorage": "f4",
    "DoubleStorage": "f8",
    "HalfStorage": "f2",
    "LongStorage": "i8",
    "IntStorage": "i4",
    "ShortStorage": "i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
}


class _StorageType:
    def __init__(self, name: str):
        self.name = name
        self.code = _STORAGE_DTYPES[name]


class _LazyTensor:
    def __init__(self, storage: np.ndarray, offset: int, size: tuple, stride: tuple):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def materialise(self) -> np.ndarray:
        data = self.storage
        if self.size and (
            min(self.size) > 0
            and self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride, strict=True)) >= data.size
        ):
            raise ValueError("tensor view exceeds its storage")
        view = np.lib.stride_tricks.as_strided(
            data[self.offset :], shape=self.size, strides=[s * data.itemsize for s in self.stride]
        )
        return np.array(view, copy=True)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, *_):
    return _LazyTensor(storage, storage_offset, size, stride)


class _TorchVersion(str):
    """Stand-in for torch.torch_version.TorchVersion (a str subclass) in the lightning metadata."""


class Inert:
    """Stand-in for pyannote's task classes (Specifications, Problem, Resolution).

    They only describe the training task.  Their arguments and state are kept as plain data so
    the converter can check them, and no code of theirs is imported or run.
    """

    qualname = "?"
    args: tuple = ()  # pickle's NEWOBJ bypasses __init__

    def __init__(self, *args):
        self.args = args

    def __setstate__(self, state):
        self.__dict__.update(state if isinstance(state, dict) else {"state": state})

    def __repr__(self):
        return f"{self.qualname}{self.args or ''}"


def _inert(qualname: str) -> type:
    return type(qualname.rsplit(".", 1)[-1], (Inert,), {"qualname": qualname})


class _ZipUnpickler(pickle.Unpickler):
    """Only resolves the globals a (lightning) state-dict checkpoint needs; everything else fails."""

    def __init__(self, f, zf: zipfile.ZipFile, prefix: str, byteorder: str, inert_globals):
        super().__init__(f)
        self.zf, self.prefix, self.byteorder = zf, prefix, byteorder
        self.inert_globals = frozenset(inert_globals)
        self.storages: dict[str, np.ndarray] = {}
        self.inert: dict[tuple[str, str], type] = {}

    def find_class(self, module, name):
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        if module == "collections" and name == "OrderedDict":
            return OrderedDict
        if module == "torch.torch_version" and name == "TorchVersion":
            return _TorchVersion
        if (module, name) in self.inert_globals:
            return self.inert.setdefault((module, name), _inert(f"{module}.{name}"))
        raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        _, stype, key, _location, numel = pid
        if not isinstance(stype, _StorageType):
            raise pickle.UnpicklingError(f"unexpected storage type {stype!r}")
        if key not in self.storages:
            dtype = np.dtype(self.byteorder + stype.code)
            raw = self.zf.read(f"{self.prefix}/data/{key}")
            if len(raw) != numel * dtype.itemsize:
                raise pickle.UnpicklingError(f"storage {key}: {len(raw)} bytes for {numel} elements")
            self.storages[key] = np.frombuffer(raw, dtype=dtype)
        return self.storages[key]


def _materialise(obj):
    if isinstance(obj, _LazyTensor):
        return obj.materialise()
    if isinstance(obj, OrderedDict):
        return OrderedDict((k, _materialise(v)) for k, v in obj.items())
    if isinstance(obj, dict):
        return {k: _materialise(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_materialise(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_materialise(v) for v in obj)
    return obj


def load_zip_torch(data: bytes, inert_globals=()):
    """Parse a zip-format ``torch.save`` file into plain Python objects + numpy arrays.

    ``inert_globals``: (module, name) pairs of classes the checkpoint may hold as plain data
    (loaded as :class:`Inert` stand-ins, never imported); any other global is refused."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        pkls = [n for n in zf.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pkls) != 1:
            raise ValueError(f"expected exactly one <prefix>/data.pkl, found {pkls}")
        prefix = pkls[0].split("/", 1)[0]
        names = set(zf.namelist())
        byteorder = "<"
        if f"{prefix}/byteorder" in names:
            order = zf.read(f"{prefix}/byteorder").decode().strip()
            if order not in ("little", "big"):
                raise ValueError(f"unknown byteorder {order!r}")
            byteorder = "<" if order == "little" else ">"
        up = _ZipUnpickler(io.BytesIO(zf.read(pkls[0])), zf, prefix, byteorder, inert_globals)
        return _materialise(up.load())
