"""Model, Config, Session and Voiceprint: owning wrappers over the C handles."""

from __future__ import annotations

import ctypes
import os
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from . import _native
from ._defaults import EMBEDDING_FILE, SEGMENTATION_FILE, default_model
from ._errors import InvalidArgumentError, InvalidStateError, ModelError

_lib = _native.lib
_check = _native.check

PathLike = str | os.PathLike[str]


class Segment(NamedTuple):
    """One final speaker turn: seconds from the start of the stream, dense speaker id."""

    start: float
    end: float
    speaker: int


class _Handle:
    """Owns one C handle and frees it exactly once (close(), ``with``, or collection)."""

    def __init__(self, handle: int, free: Any, kind: str) -> None:
        self._handle = handle
        self._kind = kind
        self._finalizer = weakref.finalize(self, free, handle)

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def close(self) -> None:
        """Frees the native object now; later calls raise InvalidStateError. Idempotent."""
        self._finalizer()

    def _live(self) -> int:
        if self.closed:
            raise InvalidStateError(f"this voiceflow {self._kind} is closed")
        return self._handle

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _new_handle(opener: Any, *args: Any) -> int:
    out = ctypes.c_void_p()
    _check(opener(*args, ctypes.byref(out)))
    return out.value  # type: ignore[return-value]


class Model(_Handle):
    """A loaded pair of segmentation and embedding models; share it across sessions and
    threads. A ``None`` path means the default model: ``$VOICEFLOW_HOME/models/<file>``
    when ``VOICEFLOW_HOME`` is set and holds it, else the copy bundled in the package
    (``segmentation_path`` and ``embedding_path`` say which files were opened).

    ``device`` is "cpu", "cpu:N" (N inference threads, overriding ``threads``), "cuda",
    "cuda:K" or "best" (CUDA when usable, else the CPU). A GPU that cannot be used raises
    DeviceUnavailableError unless ``allow_cpu_fallback``: the model then runs on the CPU
    and ``device_fallback`` says why. A malformed device raises InvalidArgumentError.
    """

    def __init__(
        self,
        segmentation: PathLike | None = None,
        embedding: PathLike | None = None,
        threads: int = 1,
        device: str = "cpu",
        allow_cpu_fallback: bool = False,
    ) -> None:
        from ._runtime import load_runtime

        if not isinstance(device, str):
            raise TypeError(f"device must be a str, not {type(device).__name__}")
        if "\0" in device:
            # ctypes would cut the string at the NUL and open another device.
            raise InvalidArgumentError(f"device {device!r} contains a NUL character")
        flags = _native.MODEL_ALLOW_CPU_FALLBACK if allow_cpu_fallback else 0
        if segmentation is None:
            segmentation = _default_model(SEGMENTATION_FILE)
        if embedding is None:
            embedding = _default_model(EMBEDDING_FILE)
        self._paths = tuple(
            None if p is None else Path(p) for p in (segmentation, embedding)
        )
        load_runtime()
        handle = _new_handle(
            _lib.vf_model_open_ex,
            None if segmentation is None else os.fsencode(segmentation),
            None if embedding is None else os.fsencode(embedding),
            device.encode("utf-8"),
            _uint32(threads, "threads"),
            flags,
        )
        super().__init__(handle, _lib.vf_model_free, "Model")

    @property
    def segmentation_path(self) -> Path | None:
        """The segmentation model file opened; None when the library chose its own default
        (a source checkout whose ``$VOICEFLOW_HOME/models`` lacks it)."""
        return self._paths[0]

    @property
    def embedding_path(self) -> Path | None:
        """The embedding model file opened; None as for ``segmentation_path``."""
        return self._paths[1]

    @property
    def device(self) -> str:
        """Where the model runs: "cpu" or "cuda:K"."""
        return _lib.vf_model_device(self._live()).decode("utf-8", "replace")

    @property
    def device_fallback(self) -> str | None:
        """Why the model runs on the CPU although a GPU was requested; None when it runs
        where it was asked to."""
        reason = _lib.vf_model_device_fallback(self._live())
        return None if reason is None else reason.decode("utf-8", "replace")


#: The names Config accepts for the "mode" key (the numbers work too).
_MODES = {"streaming": _native.MODE_STREAMING, "offline": _native.MODE_OFFLINE}


class Config(_Handle):
    """Session settings; every key has a default. ``Config(latency=2.0, num_speakers=2)``.
    An unknown key raises InvalidArgumentError at once; an out-of-range value raises
    InvalidConfigError when a Session is created with it.

    ``mode`` is "streaming" (the default: segments while the stream runs) or "offline"
    (nothing until flush, then the whole stream clustered at once). ``refine=True`` makes a
    streaming session also produce that offline answer at flush, read with
    Session.poll_refined(); with mode="offline" it is an InvalidConfigError. An offline or
    refining session takes at most ``max_offline_audio`` seconds (LimitReachedError).

    ``speakers`` enrolls known speakers (named Voiceprints, see enroll()): ids 0, 1, ...
    in the order given. ``known_speaker_threshold`` is the cosine distance within which a
    voice is taken for an enrolled speaker (default: that of ``delta_new``).
    """

    def __init__(
        self,
        *,
        speakers: Iterable[Voiceprint] = (),
        **settings: float | str,
    ) -> None:
        super().__init__(_new_handle(_lib.vf_config_new), _lib.vf_config_free, "Config")
        for key, value in settings.items():
            self.set(key, value)
        for voiceprint in speakers:
            self.enroll(voiceprint)

    def set(self, key: str, value: float | str) -> Config:
        """Sets one field by name and returns self; "mode" also takes "streaming" or
        "offline"."""
        if key == "mode" and isinstance(value, str):
            if value not in _MODES:
                raise InvalidArgumentError(
                    f"mode {value!r} is not one of {', '.join(map(repr, _MODES))}"
                )
            value = _MODES[value]
        _check(
            _lib.vf_config_set_float(self._live(), key.encode("utf-8"), float(value))
        )
        return self

    def enroll(self, voiceprint: Voiceprint) -> int:
        """Enrolls a known speaker and returns its id: sessions created from this config
        afterwards report the speech of that voice under this id (the number of speakers
        enrolled before it: 0, 1, ...) and its name (Session.speaker_name()); the speakers
        they do not know are numbered from the number enrolled. The voiceprint is copied.

        Raises InvalidArgumentError, changing nothing, for a voiceprint without a name, a
        name enrolled already, another embedding model or dimension than the speakers
        enrolled before, or more than MAX_ENROLLED_SPEAKERS (64). A voiceprint of another
        embedding model than the session's is an InvalidConfigError when the Session is
        created.
        """
        if not isinstance(voiceprint, Voiceprint):
            raise TypeError(
                f"voiceprint must be a voiceflow.Voiceprint, not {type(voiceprint).__name__}"
            )
        speaker = ctypes.c_uint32(0)
        with voiceprint._lock:
            _check(
                _lib.vf_config_enroll(
                    self._live(), voiceprint._live(), ctypes.byref(speaker)
                )
            )
        return speaker.value


class Session(_Handle):
    """One audio stream being diarized.

    ``config`` is a Config, a mapping of settings, or None for the defaults. Iterating a
    session yields the segments that are final now. A session is used by one thread at a
    time; a lock here makes concurrent calls wait rather than race.
    """

    def __init__(
        self, model: Model, config: Config | Mapping[str, float | str] | None = None
    ) -> None:
        if not isinstance(model, Model):
            raise TypeError(
                f"model must be a voiceflow.Model, not {type(model).__name__}"
            )
        owned = Config(**config) if isinstance(config, Mapping) else None
        try:
            chosen = owned if owned is not None else config
            config_handle = None if chosen is None else chosen._live()
            handle = _new_handle(_lib.vf_session_create, model._live(), config_handle)
        finally:
            if owned is not None:
                owned.close()
        super().__init__(handle, _lib.vf_session_destroy, "Session")
        self._lock = threading.Lock()

    def push(self, samples: Any, sample_rate: int, channels: int | None = None) -> None:
        """Pushes interleaved samples at ``sample_rate`` Hz (8000..192000, resampled by the
        library). Required: a wrongly assumed rate would give wrong segments, no error.

        ``samples``: a float32 or int16 numpy array (passed without copying when
        C-contiguous and native-endian; other float dtypes are converted to float32), a
        ``(frames, channels)`` 2-D array, bytes-like int16 little-endian PCM, or a list of
        floats (-1..1) or ints (16-bit). ``channels`` defaults to the array's second
        dimension, else 1. A rejected push consumes nothing.
        """
        array, channels = _as_samples(samples, channels)
        rate = _uint32(sample_rate, "sample_rate")
        with self._lock:
            handle = self._live()
            if array.dtype == np.int16:
                pointer = array.ctypes.data_as(ctypes.POINTER(ctypes.c_int16))
                _check(
                    _lib.vf_session_push_samples_i16(
                        handle, pointer, array.size, rate, channels
                    )
                )
            else:
                pointer = array.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
                _check(
                    _lib.vf_session_push_samples(
                        handle, pointer, array.size, rate, channels
                    )
                )

    def poll(self) -> list[Segment]:
        """Every segment that is final now, in start order; each is returned once. An
        offline session has none before flush()."""
        return self._drain(
            _lib.vf_session_pending_segments, _lib.vf_session_poll_segments
        )

    @property
    def pending(self) -> int:
        """How many final segments wait for poll()."""
        return self._count(_lib.vf_session_pending_segments)

    def poll_refined(self) -> list[Segment]:
        """The refined result of a session made with ``refine=True``: the offline answer,
        made by flush() (nothing before), in start order; each is returned once. Its
        speaker ids are its own, unrelated to those of poll(). InvalidStateError without
        refine (an offline session's poll() already gives that answer)."""
        return self._drain(
            _lib.vf_session_pending_refined_segments,
            _lib.vf_session_poll_refined_segments,
        )

    @property
    def pending_refined(self) -> int:
        """How many refined-result segments wait for poll_refined() (InvalidStateError
        without refine)."""
        return self._count(_lib.vf_session_pending_refined_segments)

    def _drain(self, pending: Any, poll: Any) -> list[Segment]:
        with self._lock:
            handle = self._live()
            # One C call takes everything pending, so a failure cannot drop polled segments.
            count = ctypes.c_size_t(0)
            _check(pending(handle, ctypes.byref(count)))
            if count.value == 0:
                return []
            buffer = (_native.CSegment * count.value)()
            got = ctypes.c_size_t(0)
            _check(poll(handle, buffer, count.value, ctypes.byref(got)))
            return [Segment(s.start, s.end, s.speaker) for s in buffer[: got.value]]

    def _count(self, pending: Any) -> int:
        with self._lock:
            count = ctypes.c_size_t(0)
            _check(pending(self._live(), ctypes.byref(count)))
            return count.value

    def flush(self) -> list[Segment]:
        """Ends the stream and returns the remaining segments (same as flush + poll). An
        offline or refining session clusters the whole stream here; poll_refined() then
        gives a refining session's refined result."""
        with self._lock:
            _check(_lib.vf_session_flush(self._live()))
        return self.poll()

    def voiceprint(self, speaker: int) -> Voiceprint:
        """The voiceprint of ``speaker``, an id of this session's segments: its centroid
        now and the seconds of speech in its segments so far, named when it is an enrolled
        speaker. A streaming session answers while it streams and after flush(); an
        offline one after flush(). An id no segment has had yet is an
        InvalidArgumentError. The Voiceprint does not depend on the session."""
        return self._voiceprint(_lib.vf_session_voiceprint, speaker)

    def refined_voiceprint(self, speaker: int) -> Voiceprint:
        """voiceprint() for the ids of the refined result (poll_refined()) of a session
        made with ``refine=True``, after flush(); for an offline session the same as
        voiceprint(). InvalidArgumentError for an id that result does not have."""
        return self._voiceprint(_lib.vf_session_refined_voiceprint, speaker)

    def speaker_name(self, speaker: int) -> str | None:
        """The name of speaker id ``speaker``: that of the voiceprint enrolled under it
        (Config.enroll()), whether or not it has spoken yet; None for the speakers the
        session numbered itself. Refined-result ids have the same names."""
        speaker = _uint32(speaker, "speaker")
        with self._lock:
            name = _lib.vf_session_speaker_name(self._live(), speaker)
        return None if name is None else name.decode("utf-8", "replace")

    def _voiceprint(self, get: Any, speaker: int) -> Voiceprint:
        speaker = _uint32(speaker, "speaker")
        with self._lock:
            handle = _new_handle(get, self._live(), speaker)
        return Voiceprint._adopt(handle)

    def close(self) -> None:
        with self._lock:
            super().close()

    def __iter__(self) -> Iterator[Segment]:
        return iter(self.poll())


class Voiceprint(_Handle):
    """A speaker's voiceprint: the unit centroid of its voice as the embedding model sees
    it, the model's name and version (vectors of two models cannot be compared), the
    seconds of speech behind it and an optional name.

    Made with Voiceprint.from_audio(), read from a session (Session.voiceprint()), or
    loaded: Voiceprint.from_bytes() reads the byte encoding (``bytes(voiceprint)``),
    Voiceprint.load() a JSON file as ``voiceflow enroll`` writes them (save() writes one).
    Enrolled in a Config (``Config(speakers=[...])`` or Config.enroll()), it makes later
    sessions report that voice under a fixed id and its name. Equal voiceprints have equal
    bytes; voiceprints pickle as their bytes. A lock serialises calls from several threads.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise TypeError(
            "make a Voiceprint with Voiceprint.from_audio(), Voiceprint.from_bytes(), "
            "Voiceprint.load() or Session.voiceprint()"
        )

    @classmethod
    def _adopt(cls, handle: int) -> Voiceprint:
        """Takes ownership of a vf_voiceprint handle."""
        voiceprint = cls.__new__(cls)
        _Handle.__init__(voiceprint, handle, _lib.vf_voiceprint_free, "Voiceprint")
        voiceprint._lock = threading.Lock()
        return voiceprint

    @classmethod
    def from_audio(
        cls,
        model: Model,
        samples: Any,
        sample_rate: int,
        channels: int | None = None,
        name: str | None = None,
    ) -> Voiceprint:
        """The voiceprint of the voice heard most in ``samples``, named ``name``.

        The audio should hold one voice (a speaker's turn, an enrollment recording): it is
        diarized like an offline session and its main speaker taken. ``samples``,
        ``sample_rate`` and ``channels`` as in Session.push() (int16 samples are scaled to
        -1..1), at most VF_MAX_PUSH_SAMPLES of them. Less than 2 s of that voice raises
        InvalidAudioError ("too little speech"), as do NaN or infinite samples; a bad rate
        raises UnsupportedSampleRateError, a bad name InvalidArgumentError.
        """
        if not isinstance(model, Model):
            raise TypeError(
                f"model must be a voiceflow.Model, not {type(model).__name__}"
            )
        array, channels = _as_samples(samples, channels)
        if array.dtype == np.int16:  # scaled as the library scales pushed int16
            array = array.astype(np.float32) / np.float32(32768.0)
        rate = _uint32(sample_rate, "sample_rate")
        pointer = array.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        handle = _new_handle(
            _lib.vf_voiceprint_from_audio,
            model._live(),
            pointer,
            array.size,
            rate,
            channels,
            _name_arg(name),
        )
        return cls._adopt(handle)

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> Voiceprint:
        """Reads the byte encoding (``bytes(voiceprint)``): all of ``data`` must be one
        voiceprint. Anything else (another format or format version, truncated or trailing
        bytes, NaN, a vector that is not unit length) raises InvalidArgumentError naming
        the cause."""
        raw = memoryview(data).tobytes()  # TypeError for what is not bytes-like
        buffer = (ctypes.c_uint8 * len(raw)).from_buffer_copy(raw)
        handle = _new_handle(_lib.vf_voiceprint_from_bytes, buffer, len(raw))
        return cls._adopt(handle)

    @classmethod
    def load(cls, path: PathLike) -> Voiceprint:
        """Reads a voiceprint JSON file, as ``voiceflow enroll --out`` and
        ``voiceflow diarize --export-speakers`` (and save()) write them. A file that cannot
        be read raises VoiceflowIOError, one that is not a valid voiceprint
        InvalidArgumentError; both name the file."""
        handle = _new_handle(_lib.vf_voiceprint_read_file, _path_arg(path))
        return cls._adopt(handle)

    def save(self, path: PathLike) -> None:
        """Writes the voiceprint as a JSON file (replacing it); VoiceflowIOError names the
        file when it cannot be written."""
        encoded = _path_arg(path)
        with self._lock:
            _check(_lib.vf_voiceprint_write_file(self._live(), encoded))

    def to_bytes(self) -> bytes:
        """The byte encoding, read back by Voiceprint.from_bytes()."""
        with self._lock:
            handle = self._live()
            size = _lib.vf_voiceprint_byte_len(handle)
            buffer = (ctypes.c_uint8 * size)()
            written = ctypes.c_size_t(0)
            _check(
                _lib.vf_voiceprint_to_bytes(handle, buffer, size, ctypes.byref(written))
            )
        return bytes(buffer[: written.value])

    def __bytes__(self) -> bytes:
        return self.to_bytes()

    @property
    def vector(self) -> np.ndarray:
        """The unit vector, a float32 array of ``dim`` values (a copy)."""
        with self._lock:
            handle = self._live()
            size = _lib.vf_voiceprint_dim(handle)
            pointer = _lib.vf_voiceprint_vector(handle)
            return np.ctypeslib.as_array(pointer, shape=(size,)).copy()

    @property
    def dim(self) -> int:
        """Dimension of the vector (192 for CAM++)."""
        with self._lock:
            return _lib.vf_voiceprint_dim(self._live())

    @property
    def speech_seconds(self) -> float:
        """Seconds of speech the voiceprint was made from."""
        with self._lock:
            return _lib.vf_voiceprint_speech_seconds(self._live())

    @property
    def name(self) -> str | None:
        """The speaker's name, or None. Settable: 1 to 255 UTF-8 bytes, not only
        whitespace, no control characters (else InvalidArgumentError, and the name stays
        as it was); None removes it."""
        return self._text(_lib.vf_voiceprint_name)

    @name.setter
    def name(self, name: str | None) -> None:
        encoded = _name_arg(name)
        with self._lock:
            _check(_lib.vf_voiceprint_set_name(self._live(), encoded))

    @property
    def model_name(self) -> str:
        """Name of the embedding model that made the voiceprint (e.g. "campplus")."""
        return self._text(_lib.vf_voiceprint_model_name) or ""

    @property
    def model_version(self) -> str:
        """Version of that embedding model."""
        return self._text(_lib.vf_voiceprint_model_version) or ""

    def _text(self, getter: Any) -> str | None:
        with self._lock:
            text = getter(self._live())
        return None if text is None else text.decode("utf-8", "replace")

    def close(self) -> None:
        with self._lock:
            super().close()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Voiceprint):
            return NotImplemented
        return self is other or self.to_bytes() == other.to_bytes()

    __hash__ = None  # type: ignore[assignment]  (the name can change)

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        return (Voiceprint.from_bytes, (self.to_bytes(),))

    def __repr__(self) -> str:
        if self.closed:
            return "<voiceflow.Voiceprint (closed)>"
        return (
            f"<voiceflow.Voiceprint name={self.name!r} model={self.model_name!r} "
            f"{self.model_version!r} dim={self.dim} "
            f"speech_seconds={self.speech_seconds:.2f}>"
        )


def _default_model(name: str) -> Path | None:
    path = default_model(name)
    if path is not None and not path.is_file():
        raise ModelError(
            f"{path} does not exist: this voiceflow package was installed without its "
            "default models; reinstall it (pip install --force-reinstall with the wheel or "
            "./bindings/python), or pass segmentation= and embedding= paths"
        )
    return path


def _name_arg(name: str | None) -> bytes | None:
    """A voiceprint name for the C API (None: no name)."""
    if name is None:
        return None
    if not isinstance(name, str):
        raise TypeError(f"name must be a str or None, not {type(name).__name__}")
    if "\0" in name:
        # ctypes would cut the name at the NUL and give the speaker another one.
        raise InvalidArgumentError(f"name {name!r} contains a NUL character")
    return name.encode("utf-8")


def _path_arg(path: PathLike) -> bytes:
    encoded = os.fsencode(path)
    if b"\0" in encoded:
        # ctypes would cut the path at the NUL and use another file.
        raise InvalidArgumentError(f"path {path!r} contains a NUL character")
    return encoded


def _uint32(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not 0 <= int(value) <= 0xFFFFFFFF:
        raise InvalidArgumentError(f"{name} {value} is out of range")
    return int(value)


def _as_samples(samples: Any, channels: int | None) -> tuple[np.ndarray, int]:
    """A C-contiguous native float32 or int16 array (no copy when already one)."""
    if isinstance(samples, (bytes, bytearray, memoryview)):
        raw = memoryview(samples).cast("B")
        if raw.nbytes % 2:
            raise InvalidArgumentError(
                f"{raw.nbytes} bytes is not a whole number of 16-bit samples"
            )
        array = np.frombuffer(raw, dtype="<i2")
    elif isinstance(samples, np.ndarray):
        array = samples
    else:
        array = np.asarray(samples)
        if array.dtype.kind in "iu":
            if array.size and (array.min() < -32768 or array.max() > 32767):
                raise InvalidArgumentError("integer samples must fit in 16 bits")
            array = array.astype(np.int16)
    if array.dtype.kind == "f" and array.dtype != np.float32:
        array = array.astype(np.float32)
    elif array.dtype.kind == "f" or (
        array.dtype.kind == "i" and array.dtype.itemsize == 2
    ):
        pass
    elif array.size == 0:
        array = array.astype(np.float32)
    else:
        raise TypeError(
            f"samples must be float32 or int16 (or another float dtype), not {array.dtype}"
        )
    if array.ndim == 2:
        if channels is None:
            channels = array.shape[1]
        elif channels != array.shape[1]:
            raise InvalidArgumentError(
                f"channels={channels} but the array has {array.shape[1]} columns"
            )
    elif array.ndim != 1:
        raise InvalidArgumentError(
            f"samples must be 1-D or (frames, channels), not {array.shape}"
        )
    native = array.dtype.newbyteorder("=")
    array = np.ascontiguousarray(array, dtype=native)  # no copy when it already is
    return array, _uint32(1 if channels is None else channels, "channels")
