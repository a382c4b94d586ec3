/*
 * Robustness of examples/c/wav.h, run under ASan/UBSan by `make test-bindings-c`:
 * every prefix of a small valid WAV and every single-byte corruption of its header must
 * either decode (never more frames than the file holds) or fail with a message, without
 * touching memory outside the file's bytes.
 *
 *   test_wav_reader <scratch file path>
 */
#include "../../examples/c/wav.h"

#include <stdio.h>
#include <string.h>

static int g_failed = 0;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            g_failed++;                                                                \
            fprintf(stderr, "FAIL line %d: %s (case %s)\n", __LINE__, #cond, what);    \
        }                                                                              \
    } while (0)

static void put16(unsigned char *p, unsigned v) {
    p[0] = (unsigned char)(v & 0xFF);
    p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, unsigned long v) {
    put16(p, (unsigned)(v & 0xFFFF));
    put16(p + 2, (unsigned)(v >> 16));
}

/* RIFF header, fmt (PCM16 stereo 8 kHz), an odd-sized LIST chunk, 5 frames of data. */
static size_t make_wav(unsigned char *b) {
    size_t n = 0, i;
    memcpy(b, "RIFF", 4);
    memcpy(b + 8, "WAVEfmt ", 8);
    put32(b + 16, 16);
    put16(b + 20, 1);
    put16(b + 22, 2);
    put32(b + 24, 8000);
    put32(b + 28, 8000 * 4);
    put16(b + 32, 4);
    put16(b + 34, 16);
    memcpy(b + 36, "LIST", 4);
    put32(b + 40, 3);
    memcpy(b + 44, "abc\0", 4); /* 3 bytes + pad */
    memcpy(b + 48, "data", 4);
    put32(b + 52, 20);
    for (i = 0; i < 10; i++) {
        put16(b + 56 + 2 * i, (unsigned)(i * 1000));
    }
    n = 76;
    put32(b + 4, (unsigned long)(n - 8));
    return n;
}

static int write_file(const char *path, const unsigned char *bytes, size_t n) {
    FILE *f = fopen(path, "wb");
    size_t written;
    if (f == NULL) {
        return -1;
    }
    written = fwrite(bytes, 1, n, f);
    return (fclose(f) == 0 && written == n) ? 0 : -1;
}

/* Reads `bytes` through a file; checks the result is consistent whatever it is. */
static void read_case(const char *path, const unsigned char *bytes, size_t n, const char *what,
                      int must_succeed) {
    wav_audio audio;
    char err[256] = "";
    int rc;
    if (write_file(path, bytes, n) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        g_failed++;
        return;
    }
    rc = wav_read(path, &audio, err, sizeof err);
    if (rc == 0) {
        size_t bytes_per_frame = (size_t)audio.channels * (audio.is_float ? 4 : 2);
        CHECK(audio.channels > 0 && audio.frames * bytes_per_frame <= n);
        CHECK((audio.is_float ? (void *)audio.pcm_f32 : (void *)audio.pcm16) != NULL);
        wav_free(&audio);
    } else {
        CHECK(err[0] != '\0');
        CHECK(audio.pcm16 == NULL && audio.pcm_f32 == NULL && audio.frames == 0);
        CHECK(!must_succeed);
    }
}

int main(int argc, char **argv) {
    unsigned char wav[128], bad[128];
    char what[64];
    size_t n, i;
    int v;
    wav_audio audio;
    char err[256];

    if (argc != 2) {
        fprintf(stderr, "usage: %s <scratch file path>\n", argv[0]);
        return 2;
    }
    n = make_wav(wav);

    snprintf(what, sizeof what, "valid");
    CHECK(write_file(argv[1], wav, n) == 0);
    CHECK(wav_read(argv[1], &audio, err, sizeof err) == 0);
    CHECK(audio.channels == 2 && audio.sample_rate == 8000 && audio.frames == 5);
    CHECK(!audio.is_float && audio.pcm16 != NULL && audio.pcm16[9] == 9000);
    wav_free(&audio);

    for (i = 0; i <= n; i++) { /* every truncation */
        snprintf(what, sizeof what, "prefix %zu", i);
        read_case(argv[1], wav, i, what, i == n);
    }
    for (i = 0; i < 56; i++) { /* every header byte set to 0x00, 0x7F, 0xFF */
        for (v = 0; v < 3; v++) {
            memcpy(bad, wav, n);
            bad[i] = (unsigned char)(v == 0 ? 0x00 : v == 1 ? 0x7F : 0xFF);
            snprintf(what, sizeof what, "byte %zu = %u", i, (unsigned)bad[i]);
            read_case(argv[1], bad, n, what, 0);
        }
    }
    snprintf(what, sizeof what, "missing file");
    CHECK(wav_read("/nonexistent/voiceflow.wav", &audio, err, sizeof err) != 0);
    remove(argv[1]);
    if (g_failed == 0) {
        printf("wav reader: %zu truncations and %zu corruptions handled\n", n + 1, (size_t)56 * 3);
    }
    return g_failed == 0 ? 0 : 1;
}
