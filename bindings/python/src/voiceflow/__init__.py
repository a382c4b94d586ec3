"""voiceflow: streaming speaker diarization ("who spoke when").

    import voiceflow

    samples, rate = voiceflow.read_audio("talk.mp3")   # WAV, FLAC, MP3, Ogg, AIFF...
    with voiceflow.Model() as model, voiceflow.Session(model) as session:
        for chunk in np.array_split(samples, 100):     # or audio as it arrives: numpy
            session.push(chunk, sample_rate=rate)      # float32/int16, bytes or lists
            for seg in session.poll():
                print(seg.start, seg.end, seg.speaker)
        for seg in session.flush():
            ...

On import, the bundled libvoiceflow.so is loaded and its ABI version checked
(AbiMismatchError otherwise). ONNX Runtime comes from the ``onnxruntime`` package
(``ORT_DYLIB_PATH`` wins); it is loaded when the first Model is opened, or by
``load_runtime()``. ``Model()`` without paths opens ``$VOICEFLOW_HOME/models/...`` when
that holds them, else the default models bundled in the package.

``python -m voiceflow diarize FILE`` diarizes a file from the command line.
"""

from __future__ import annotations

from . import _native
from ._audio import read_audio
from ._api import Config, Model, Segment, Session
from ._errors import (
    AbiMismatchError,
    DeviceUnavailableError,
    InferenceError,
    InternalError,
    InvalidArgumentError,
    InvalidAudioError,
    InvalidConfigError,
    InvalidStateError,
    LimitReachedError,
    ModelError,
    NullPointerError,
    RuntimeUnavailableError,
    UnsupportedSampleRateError,
    VoiceflowError,
    VoiceflowIOError,
)
from ._runtime import load_runtime, onnxruntime_package_library

ABI_VERSION = _native.ABI_VERSION
__version__ = _native.lib.vf_version().decode("ascii")


def library_path() -> str:
    """Path of the libvoiceflow.so in use."""
    return str(_native.library_path())


__all__ = [
    "ABI_VERSION",
    "AbiMismatchError",
    "Config",
    "DeviceUnavailableError",
    "InferenceError",
    "InternalError",
    "InvalidArgumentError",
    "InvalidAudioError",
    "InvalidConfigError",
    "InvalidStateError",
    "LimitReachedError",
    "Model",
    "ModelError",
    "NullPointerError",
    "RuntimeUnavailableError",
    "Segment",
    "Session",
    "UnsupportedSampleRateError",
    "VoiceflowError",
    "VoiceflowIOError",
    "__version__",
    "library_path",
    "load_runtime",
    "onnxruntime_package_library",
    "read_audio",
]
