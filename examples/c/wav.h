/*
 * A small RIFF/WAVE reader shared by the C and C++ examples (header-only, C11 and C++17).
 *
 * Reads 16-bit PCM and 32-bit float files, mono or interleaved multi-channel, including
 * WAVE_FORMAT_EXTENSIBLE headers. Walks the chunk list (so LIST/fact/... chunks before or
 * after the audio are skipped), checks every length against the file size, and drops a
 * trailing partial frame. On failure it returns non-zero and writes a message to `err`.
 *
 *   wav_audio audio;
 *   char err[256];
 *   if (wav_read(path, &audio, err, sizeof err) != 0) { fprintf(stderr, "%s\n", err); ... }
 *   ... audio.pcm16 (or audio.pcm_f32 when audio.is_float), audio.frames * audio.channels ...
 *   wav_free(&audio);
 */
#ifndef VOICEFLOW_EXAMPLES_WAV_H
#define VOICEFLOW_EXAMPLES_WAV_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct wav_audio {
    uint32_t sample_rate;
    uint16_t channels;
    int is_float;     /* 1: samples are in pcm_f32, 0: in pcm16 */
    size_t frames;    /* samples per channel; the arrays hold frames * channels values */
    int16_t *pcm16;   /* malloc'ed, or NULL */
    float *pcm_f32;   /* malloc'ed, or NULL */
} wav_audio;

/* Files larger than this are refused rather than read into memory (examples only). */
#define WAV_MAX_FILE_BYTES ((size_t)1 << 31)

static int wav_fail(char *err, size_t errlen, const char *fmt, ...) {
    va_list args;
    if (err != NULL && errlen > 0) {
        va_start(args, fmt);
        vsnprintf(err, errlen, fmt, args);
        va_end(args);
    }
    return -1;
}

static uint16_t wav_u16(const unsigned char *p) {
    return (uint16_t)((unsigned)p[0] | ((unsigned)p[1] << 8));
}

static uint32_t wav_u32(const unsigned char *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

/* Reads the whole file; returns a malloc'ed buffer or NULL with `err` set. */
static unsigned char *wav_slurp(const char *path, size_t *out_size, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    unsigned char *bytes = NULL;
    long size = 0;
    if (f == NULL) {
        wav_fail(err, errlen, "%s: cannot open", path);
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        wav_fail(err, errlen, "%s: cannot determine the file size", path);
        return NULL;
    }
    if ((unsigned long)size > WAV_MAX_FILE_BYTES) {
        fclose(f);
        wav_fail(err, errlen, "%s: %ld bytes is too large for this example", path, size);
        return NULL;
    }
    bytes = (unsigned char *)malloc(size > 0 ? (size_t)size : 1);
    if (bytes == NULL) {
        fclose(f);
        wav_fail(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    if (fread(bytes, 1, (size_t)size, f) != (size_t)size) {
        fclose(f);
        free(bytes);
        wav_fail(err, errlen, "%s: read failed", path);
        return NULL;
    }
    fclose(f);
    *out_size = (size_t)size;
    return bytes;
}

/* The audio format named by a fmt chunk: 1 (PCM) or 3 (IEEE float), looking through
   WAVE_FORMAT_EXTENSIBLE (0xFFFE) to its sub-format. Returns 0 for anything else. */
static uint16_t wav_effective_format(const unsigned char *fmt, size_t len) {
    uint16_t tag = wav_u16(fmt);
    if (tag == 0xFFFE) {
        /* cbSize (2) + valid bits (2) + channel mask (4) + sub-format GUID (16) */
        if (len < 40) {
            return 0;
        }
        tag = wav_u16(fmt + 24);
    }
    return (tag == 1 || tag == 3) ? tag : 0;
}

static void wav_free(wav_audio *audio) {
    if (audio == NULL) {
        return;
    }
    free(audio->pcm16);
    free(audio->pcm_f32);
    memset(audio, 0, sizeof *audio);
}

/* Decodes `len` bytes of interleaved samples into audio->pcm16 or audio->pcm_f32. */
static int wav_decode(const unsigned char *data, size_t len, wav_audio *audio, char *err,
                      size_t errlen) {
    size_t bytes_per_sample = audio->is_float ? 4 : 2;
    size_t frame_bytes = bytes_per_sample * audio->channels;
    size_t count = (len / frame_bytes) * audio->channels; /* whole frames only */
    size_t i;
    audio->frames = len / frame_bytes;
    if (audio->is_float) {
        audio->pcm_f32 = (float *)malloc((count > 0 ? count : 1) * sizeof(float));
        if (audio->pcm_f32 == NULL) {
            return wav_fail(err, errlen, "out of memory");
        }
        for (i = 0; i < count; i++) {
            uint32_t bits = wav_u32(data + 4 * i);
            memcpy(&audio->pcm_f32[i], &bits, sizeof bits);
        }
    } else {
        audio->pcm16 = (int16_t *)malloc((count > 0 ? count : 1) * sizeof(int16_t));
        if (audio->pcm16 == NULL) {
            return wav_fail(err, errlen, "out of memory");
        }
        for (i = 0; i < count; i++) {
            audio->pcm16[i] = (int16_t)wav_u16(data + 2 * i);
        }
    }
    return 0;
}

/* Parses the RIFF bytes of `path` into `audio`; the caller owns and frees `bytes`. */
static int wav_parse(const unsigned char *bytes, size_t size, const char *path,
                     wav_audio *audio, char *err, size_t errlen) {
    size_t pos = 12;
    const unsigned char *fmt = NULL, *data = NULL;
    size_t fmt_len = 0, data_len = 0;
    uint16_t format, bits, block_align, channels;

    if (size < 12 || memcmp(bytes, "RIFF", 4) != 0 || memcmp(bytes + 8, "WAVE", 4) != 0) {
        return wav_fail(err, errlen, "%s: not a RIFF/WAVE file", path);
    }
    /* Walk the chunks: 4-byte id, 4-byte little-endian length, body padded to even size. */
    while (size - pos >= 8 && (fmt == NULL || data == NULL)) {
        const unsigned char *id = bytes + pos;
        size_t body = pos + 8;
        size_t len = wav_u32(bytes + pos + 4);
        if (len > size - body) {
            if (memcmp(id, "data", 4) != 0) {
                return wav_fail(err, errlen, "%s: chunk '%.4s' runs past the end of the file",
                                path, (const char *)id);
            }
            len = size - body; /* a truncated or streamed (0xFFFFFFFF) data chunk */
        }
        if (memcmp(id, "fmt ", 4) == 0 && fmt == NULL) {
            fmt = bytes + body;
            fmt_len = len;
        } else if (memcmp(id, "data", 4) == 0 && data == NULL) {
            data = bytes + body;
            data_len = len;
        }
        if (len + (len & 1u) >= size - body) {
            break; /* last chunk */
        }
        pos = body + len + (len & 1u);
    }
    if (fmt == NULL || data == NULL) {
        return wav_fail(err, errlen, "%s: no %s chunk", path, fmt == NULL ? "fmt" : "data");
    }
    if (fmt_len < 16) {
        return wav_fail(err, errlen, "%s: fmt chunk of %zu bytes is too short", path, fmt_len);
    }
    format = wav_effective_format(fmt, fmt_len);
    channels = wav_u16(fmt + 2);
    block_align = wav_u16(fmt + 12);
    bits = wav_u16(fmt + 14);
    if (!((format == 1 && bits == 16) || (format == 3 && bits == 32))) {
        return wav_fail(err, errlen,
                        "%s: only 16-bit PCM and 32-bit float WAV are supported "
                        "(format tag %u, %u bits)",
                        path, (unsigned)wav_u16(fmt), (unsigned)bits);
    }
    if (channels == 0 || block_align != channels * (bits / 8)) {
        return wav_fail(err, errlen, "%s: inconsistent fmt chunk (%u channels, block align %u)",
                        path, (unsigned)channels, (unsigned)block_align);
    }
    audio->channels = channels;
    audio->sample_rate = wav_u32(fmt + 4);
    audio->is_float = format == 3;
    return wav_decode(data, data_len, audio, err, errlen);
}

/* Reads `path` into `audio` (zeroed first). Returns 0 on success; on failure returns -1,
   leaves `audio` empty and writes the reason to `err`. */
static int wav_read(const char *path, wav_audio *audio, char *err, size_t errlen) {
    size_t size = 0;
    unsigned char *bytes;
    int rc;

    memset(audio, 0, sizeof *audio);
    bytes = wav_slurp(path, &size, err, errlen);
    if (bytes == NULL) {
        return -1;
    }
    rc = wav_parse(bytes, size, path, audio, err, errlen);
    free(bytes);
    if (rc != 0) {
        wav_free(audio);
    }
    return rc;
}

#endif /* VOICEFLOW_EXAMPLES_WAV_H */
