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

Known speakers across sessions: a Voiceprint (from audio, from a session, or loaded from
bytes or a JSON file) enrolled in a Config makes sessions report that voice under a fixed
id and its name:

    alice = voiceflow.Voiceprint.from_audio(model, turn, sample_rate=16000, name="alice")
    alice.save("alice.json")                           # or bytes(alice)
    config = voiceflow.Config(speakers=[voiceflow.Voiceprint.load("alice.json")])
    with voiceflow.Session(model, config) as session:  # alice is id 0
        ...
        session.speaker_name(0), session.voiceprint(0)

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
from ._api import Config, Model, Segment, Session, Voiceprint
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
#: The most speakers one Config may enroll (VF_MAX_ENROLLED_SPEAKERS).
MAX_ENROLLED_SPEAKERS = _native.MAX_ENROLLED_SPEAKERS
#: The voiceprint encoding version written and read (VF_VOICEPRINT_FORMAT_VERSION).
VOICEPRINT_FORMAT_VERSION = _native.VOICEPRINT_FORMAT_VERSION
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
    "MAX_ENROLLED_SPEAKERS",
    "Model",
    "ModelError",
    "NullPointerError",
    "RuntimeUnavailableError",
    "Segment",
    "Session",
    "UnsupportedSampleRateError",
    "VOICEPRINT_FORMAT_VERSION",
    "Voiceprint",
    "VoiceflowError",
    "VoiceflowIOError",
    "__version__",
    "library_path",
    "load_runtime",
    "onnxruntime_package_library",
    "read_audio",
]
