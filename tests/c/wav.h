/*
 * A small reader of 16-bit PCM mono WAV files for the C tests (test_capi.c,
 * test_threads.c). Header-only: every function is static.
 */
#ifndef VOICEFLOW_TEST_WAV_H
#define VOICEFLOW_TEST_WAV_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rd_u32(const unsigned char *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static uint16_t rd_u16(const unsigned char *p) {
    return (uint16_t)((unsigned)p[0] | ((unsigned)p[1] << 8));
}

/* Reads a 16-bit PCM mono WAV file; returns a malloc'ed sample array or NULL. */
static int16_t *read_wav(const char *path, size_t *out_count, uint32_t *out_rate) {
    FILE *f = fopen(path, "rb");
    unsigned char *bytes = NULL;
    long size = 0;
    int16_t *samples = NULL;
    size_t pos = 12;
    int have_fmt = 0;
    uint32_t rate = 0;
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 12 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        fprintf(stderr, "%s: not a WAV file\n", path);
        return NULL;
    }
    bytes = (unsigned char *)malloc((size_t)size);
    if (bytes == NULL || fread(bytes, 1, (size_t)size, f) != (size_t)size) {
        fclose(f);
        free(bytes);
        fprintf(stderr, "%s: read failed\n", path);
        return NULL;
    }
    fclose(f);
    if (memcmp(bytes, "RIFF", 4) != 0 || memcmp(bytes + 8, "WAVE", 4) != 0) {
        free(bytes);
        fprintf(stderr, "%s: not RIFF/WAVE\n", path);
        return NULL;
    }
    while (pos + 8 <= (size_t)size) {
        const unsigned char *id = bytes + pos;
        size_t len = rd_u32(bytes + pos + 4);
        size_t body = pos + 8;
        if (len > (size_t)size - body) {
            len = (size_t)size - body; /* truncated last chunk: take what is there */
        }
        if (memcmp(id, "fmt ", 4) == 0) {
            uint16_t format, channels, bits;
            if (len < 16) {
                break;
            }
            format = rd_u16(bytes + body);
            channels = rd_u16(bytes + body + 2);
            rate = rd_u32(bytes + body + 4);
            bits = rd_u16(bytes + body + 14);
            if ((format != 1 && format != 0xFFFE) || channels != 1 || bits != 16) {
                fprintf(stderr, "%s: need 16-bit PCM mono (format %u, %u ch, %u bits)\n",
                        path, (unsigned)format, (unsigned)channels, (unsigned)bits);
                break;
            }
            have_fmt = 1;
        } else if (memcmp(id, "data", 4) == 0 && have_fmt) {
            size_t n = len / 2, i;
            samples = (int16_t *)malloc((n > 0 ? n : 1) * sizeof(int16_t));
            if (samples != NULL) {
                for (i = 0; i < n; i++) {
                    samples[i] = (int16_t)rd_u16(bytes + body + 2 * i);
                }
                *out_count = n;
                *out_rate = rate;
            }
            break;
        }
        pos = body + len + (len & 1u); /* chunks are padded to an even size */
    }
    free(bytes);
    if (samples == NULL) {
        fprintf(stderr, "%s: no usable fmt/data chunks\n", path);
    }
    return samples;
}

#endif /* VOICEFLOW_TEST_WAV_H */
