/*
 * The C tests (test_capi.c, test_threads.c) read their audio with the examples' WAV
 * reader (examples/c/wav.h, itself tested by test_wav_reader.c); this adapter keeps only
 * what they need: 16-bit PCM mono samples and the rate. Header-only: every function is static.
 */
#ifndef VOICEFLOW_TEST_WAV_H
#define VOICEFLOW_TEST_WAV_H

#include "../../examples/c/wav.h"

/* Reads a 16-bit PCM mono WAV file; returns a malloc'ed sample array (the caller frees
 * it) or NULL with the reason on stderr. */
static int16_t *read_wav(const char *path, size_t *out_count, uint32_t *out_rate) {
    wav_audio audio;
    char err[256];
    if (wav_read(path, &audio, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return NULL;
    }
    if (audio.is_float || audio.channels != 1) {
        fprintf(stderr, "%s: the C tests need 16-bit PCM mono\n", path);
        wav_free(&audio);
        return NULL;
    }
    *out_count = audio.frames;
    *out_rate = audio.sample_rate;
    return audio.pcm16; /* ownership moves to the caller; nothing else was allocated */
}

#endif
