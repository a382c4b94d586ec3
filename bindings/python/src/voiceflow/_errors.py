"""Exceptions: one class per vf_status code, all derived from VoiceflowError."""

from __future__ import annotations


class VoiceflowError(Exception):
    """A failed voiceflow call. ``status`` is the C code, ``message`` vf_last_error()."""

    status: int = 0

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
        self.message = message


class NullPointerError(VoiceflowError):
    """A required handle was missing (VF_ERR_NULL_POINTER)."""

    status = -1


class InvalidArgumentError(VoiceflowError, ValueError):
    """An argument was out of range or malformed (VF_ERR_INVALID_ARGUMENT)."""

    status = -2


class InvalidConfigError(VoiceflowError, ValueError):
    """A configuration field is invalid; the message names it (VF_ERR_INVALID_CONFIG)."""

    status = -3


class RuntimeUnavailableError(VoiceflowError):
    """ONNX Runtime is missing, unloadable or too old (VF_ERR_RUNTIME_UNAVAILABLE)."""

    status = -4


class ModelError(VoiceflowError):
    """A model file is missing, unreadable or breaks the model contract (VF_ERR_MODEL)."""

    status = -5


class InferenceError(VoiceflowError):
    """ONNX Runtime failed while running a model; the session is stopped (VF_ERR_INFERENCE)."""

    status = -6


class InvalidAudioError(VoiceflowError, ValueError):
    """NaN or infinite samples (nothing was consumed), or too little speech for a voiceprint
    (VF_ERR_INVALID_AUDIO)."""

    status = -7


class UnsupportedSampleRateError(VoiceflowError, ValueError):
    """Rate outside 8000..192000 Hz or changed mid-stream (VF_ERR_UNSUPPORTED_SAMPLE_RATE)."""

    status = -8


class InvalidStateError(VoiceflowError):
    """Not allowed now: push after flush, a closed or stopped session (VF_ERR_INVALID_STATE)."""

    status = -9


class InternalError(VoiceflowError):
    """A panic was caught inside the library; the session is unusable (VF_ERR_INTERNAL)."""

    status = -10


class VoiceflowIOError(VoiceflowError):
    """A file could not be read or written (VF_ERR_IO)."""

    status = -11


class DeviceUnavailableError(VoiceflowError):
    """The requested device (a CUDA GPU) cannot be used and CPU fallback was not allowed;
    the message names the cause (VF_ERR_DEVICE_UNAVAILABLE)."""

    status = -12


class LimitReachedError(VoiceflowError):
    """An offline or refining session has taken its ``max_offline_audio`` seconds; the
    push was not consumed and the session stays usable: flush it for the answer up to
    there (VF_ERR_LIMIT_REACHED)."""

    status = -13


class AbiMismatchError(VoiceflowError, ImportError):
    """The native library's ABI is not the one this package was written for."""


_BY_STATUS: dict[int, type[VoiceflowError]] = {
    cls.status: cls
    for cls in (
        NullPointerError,
        InvalidArgumentError,
        InvalidConfigError,
        RuntimeUnavailableError,
        ModelError,
        InferenceError,
        InvalidAudioError,
        UnsupportedSampleRateError,
        InvalidStateError,
        InternalError,
        VoiceflowIOError,
        DeviceUnavailableError,
        LimitReachedError,
    )
}


def error_for(status: int, message: str) -> VoiceflowError:
    """The exception for a C status code (unknown codes give the base class)."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        return VoiceflowError(message, status)
    return cls(message)
