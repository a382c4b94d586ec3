"""Audio files in, decoded by libvoiceflow itself (``vf_audio_read_file``), so Python reads
exactly the formats the CLI and the other bindings read."""

from __future__ import annotations

import ctypes
import os

import numpy as np

from . import _native


def read_audio(path: str | os.PathLike[str]) -> tuple[np.ndarray, int]:
    """Decodes an audio file: WAV (8- to 32-bit PCM, 32/64-bit float, A-law, mu-law,
    ADPCM), AIFF, CAF, FLAC, MP3, Ogg Vorbis, MP4/M4A (AAC, ALAC), ADTS AAC, or MKV/WebM.

    Returns ``(samples, sample_rate)``: float32 samples in -1..1 shaped
    ``(frames, channels)``, at the file's own rate, ready for
    ``session.push(samples, sample_rate=sample_rate)``. A missing, empty or non-audio
    file raises :class:`VoiceflowIOError` naming the file and the supported formats.
    """
    handle = ctypes.c_void_p()
    _native.check(
        _native.lib.vf_audio_read_file(os.fsencode(path), ctypes.byref(handle))
    )
    try:
        lib = _native.lib
        count = lib.vf_audio_sample_count(handle)
        channels = lib.vf_audio_channels(handle)
        rate = lib.vf_audio_sample_rate(handle)
        if count:
            view = np.ctypeslib.as_array(lib.vf_audio_samples(handle), shape=(count,))
            samples = view.copy()  # the view dies with the handle, freed below
        else:
            samples = np.zeros(0, dtype=np.float32)
    finally:
        _native.lib.vf_audio_free(handle)
    return samples.reshape(-1, channels), rate
