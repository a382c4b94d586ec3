"""The native library: where it is, every C signature of voiceflow.h, the ABI check.

Search order for libvoiceflow.so: the ``VOICEFLOW_LIB`` environment variable (a path to
the library, for development against a source build), then the copy bundled in the wheel
(``voiceflow/_lib/``).
"""

from __future__ import annotations

import ctypes
import os
from ctypes import (
    POINTER,
    c_char_p,
    c_double,
    c_float,
    c_int32,
    c_size_t,
    c_uint8,
    c_uint32,
    c_void_p,
)
from pathlib import Path

from ._errors import AbiMismatchError, error_for

#: The VF_ABI_VERSION of the voiceflow.h these declarations follow.
ABI_VERSION = 1

#: ``VF_MODEL_ALLOW_CPU_FALLBACK``: the flag of vf_model_open_ex.
MODEL_ALLOW_CPU_FALLBACK = 1

#: ``VF_MODE_STREAMING`` and ``VF_MODE_OFFLINE``: the values of the "mode" config key.
MODE_STREAMING = 0
MODE_OFFLINE = 1

#: ``VF_MAX_ENROLLED_SPEAKERS``: the most speakers one config may enroll.
MAX_ENROLLED_SPEAKERS = 64

#: ``VF_VOICEPRINT_FORMAT_VERSION``: the voiceprint byte and JSON encodings written and read.
VOICEPRINT_FORMAT_VERSION = 1

_BUNDLED = Path(__file__).resolve().parent / "_lib" / "libvoiceflow.so"


class CSegment(ctypes.Structure):
    """``vf_segment``."""

    _fields_ = [
        ("speaker", c_uint32),
        ("reserved", c_uint32),
        ("start", c_double),
        ("end", c_double),
    ]


# Opaque handles travel as void pointers; out-parameters as pointers to them.
_handle = c_void_p
_out_handle = POINTER(c_void_p)
_status = c_int32

#: name -> (restype, argtypes), exactly as declared in include/voiceflow.h.
SIGNATURES: dict[str, tuple[object, list[object]]] = {
    "vf_status_str": (c_char_p, [_status]),
    "vf_last_error": (c_char_p, []),
    "vf_version": (c_char_p, []),
    "vf_abi_version": (c_uint32, []),
    "vf_runtime_load": (_status, [c_char_p]),
    "vf_model_open": (_status, [c_char_p, c_char_p, c_uint32, _out_handle]),
    "vf_model_free": (None, [_handle]),
    "vf_model_open_ex": (
        _status,
        [c_char_p, c_char_p, c_char_p, c_uint32, c_uint32, _out_handle],
    ),
    "vf_model_device": (c_char_p, [_handle]),
    "vf_model_device_fallback": (c_char_p, [_handle]),
    "vf_config_new": (_status, [_out_handle]),
    "vf_config_free": (None, [_handle]),
    "vf_config_set_float": (_status, [_handle, c_char_p, c_double]),
    "vf_config_enroll": (_status, [_handle, _handle, POINTER(c_uint32)]),
    "vf_session_create": (_status, [_handle, _handle, _out_handle]),
    "vf_session_push_samples": (
        _status,
        [_handle, POINTER(c_float), c_size_t, c_uint32, c_uint32],
    ),
    "vf_session_push_samples_i16": (
        _status,
        [_handle, POINTER(ctypes.c_int16), c_size_t, c_uint32, c_uint32],
    ),
    "vf_session_poll_segments": (
        _status,
        [_handle, POINTER(CSegment), c_size_t, POINTER(c_size_t)],
    ),
    "vf_session_pending_segments": (_status, [_handle, POINTER(c_size_t)]),
    "vf_session_poll_refined_segments": (
        _status,
        [_handle, POINTER(CSegment), c_size_t, POINTER(c_size_t)],
    ),
    "vf_session_pending_refined_segments": (_status, [_handle, POINTER(c_size_t)]),
    "vf_session_flush": (_status, [_handle]),
    "vf_session_destroy": (None, [_handle]),
    "vf_audio_read_file": (_status, [c_char_p, _out_handle]),
    "vf_audio_samples": (POINTER(c_float), [_handle]),
    "vf_audio_sample_count": (c_size_t, [_handle]),
    "vf_audio_sample_rate": (c_uint32, [_handle]),
    "vf_audio_channels": (c_uint32, [_handle]),
    "vf_audio_free": (None, [_handle]),
    "vf_session_voiceprint": (_status, [_handle, c_uint32, _out_handle]),
    "vf_session_refined_voiceprint": (_status, [_handle, c_uint32, _out_handle]),
    "vf_session_speaker_name": (c_char_p, [_handle, c_uint32]),
    "vf_voiceprint_from_audio": (
        _status,
        [
            _handle,
            POINTER(c_float),
            c_size_t,
            c_uint32,
            c_uint32,
            c_char_p,
            _out_handle,
        ],
    ),
    "vf_voiceprint_from_bytes": (_status, [POINTER(c_uint8), c_size_t, _out_handle]),
    "vf_voiceprint_byte_len": (c_size_t, [_handle]),
    "vf_voiceprint_to_bytes": (
        _status,
        [_handle, POINTER(c_uint8), c_size_t, POINTER(c_size_t)],
    ),
    "vf_voiceprint_read_file": (_status, [c_char_p, _out_handle]),
    "vf_voiceprint_write_file": (_status, [_handle, c_char_p]),
    "vf_voiceprint_dim": (c_size_t, [_handle]),
    "vf_voiceprint_vector": (POINTER(c_float), [_handle]),
    "vf_voiceprint_speech_seconds": (c_double, [_handle]),
    "vf_voiceprint_name": (c_char_p, [_handle]),
    "vf_voiceprint_model_name": (c_char_p, [_handle]),
    "vf_voiceprint_model_version": (c_char_p, [_handle]),
    "vf_voiceprint_set_name": (_status, [_handle, c_char_p]),
    "vf_voiceprint_free": (None, [_handle]),
}


def library_path() -> Path:
    """The libvoiceflow.so this package loads."""
    override = os.environ.get("VOICEFLOW_LIB")
    if override:
        return Path(override)
    return _BUNDLED


def _load() -> ctypes.CDLL:
    path = library_path()
    if not path.is_file():
        hint = (
            "VOICEFLOW_LIB names a missing file"
            if os.environ.get("VOICEFLOW_LIB")
            else "the package was installed without its native library; "
            "reinstall it with `pip install ./bindings/python`, or set VOICEFLOW_LIB"
        )
        raise ImportError(f"voiceflow: {path} does not exist ({hint})")
    lib = ctypes.CDLL(str(path))
    # The ABI check comes first: the other declarations are only right for this ABI.
    lib.vf_abi_version.restype = c_uint32
    lib.vf_abi_version.argtypes = []
    found = lib.vf_abi_version()
    if found != ABI_VERSION:
        raise AbiMismatchError(
            f"{path} has ABI version {found}, this voiceflow package needs {ABI_VERSION}; "
            "install matching versions of the package and the library"
        )
    for name, (restype, argtypes) in SIGNATURES.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    return lib


lib = _load()


def last_error() -> str:
    return (lib.vf_last_error() or b"").decode("utf-8", "replace")


def check(status: int) -> None:
    """Raises the exception class of ``status`` with this thread's vf_last_error()."""
    if status != 0:
        raise error_for(status, last_error())


def status_text(status: int) -> str:
    return lib.vf_status_str(status).decode("utf-8", "replace")
