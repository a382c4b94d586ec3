"""Model, Config and Session: owning wrappers over the C handles."""

from __future__ import annotations

import ctypes
import os
import threading
import weakref
from collections.abc import Iterator, Mapping
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
    """

    def __init__(self, **settings: float | str) -> None:
        super().__init__(_new_handle(_lib.vf_config_new), _lib.vf_config_free, "Config")
        for key, value in settings.items():
            self.set(key, value)

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

    def close(self) -> None:
        with self._lock:
            super().close()

    def __iter__(self) -> Iterator[Segment]:
        return iter(self.poll())


def _default_model(name: str) -> Path | None:
    path = default_model(name)
    if path is not None and not path.is_file():
        raise ModelError(
            f"{path} does not exist: this voiceflow package was installed without its "
            "default models; reinstall it (pip install --force-reinstall with the wheel or "
            "./bindings/python), or pass segmentation= and embedding= paths"
        )
    return path


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
