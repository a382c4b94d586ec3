/*
 * Drives the whole voiceflow C ABI (include/voiceflow.h) and exits non-zero on any
 * failure. Compiles as C11 and as C++17; run under ASan/UBSan/LSan by `make test-c`.
 *
 * Usage: test_capi <16 kHz mono 16-bit PCM WAV>   (examples/data/conversation.wav)
 * The default models are found through VOICEFLOW_HOME (set by the Makefile) or the
 * set-up folder compiled into the library.
 */
#include "voiceflow.h"
#include "wav.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------ */
/* Checks                                                                                */

static int g_passed = 0;
static int g_failed = 0;

static void check_impl(int ok, const char *what, const char *file, int line) {
    if (ok) {
        g_passed++;
    } else {
        g_failed++;
        fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what);
    }
}

static void check_status_impl(vf_status got, vf_status want, const char *what,
                              const char *file, int line) {
    if (got == want) {
        g_passed++;
    } else {
        g_failed++;
        fprintf(stderr, "FAIL %s:%d: %s\n    got %d (%s), want %d (%s); last error: %s\n",
                file, line, what, (int)got, vf_status_str(got), (int)want,
                vf_status_str(want), vf_last_error());
    }
}

/* CHECK(cond): one check. CHECK_ST(expr, status): one check that expr returns status. */
#define CHECK(cond) check_impl((cond) ? 1 : 0, #cond, __FILE__, __LINE__)
#define CHECK_ST(expr, want) check_status_impl((expr), (want), #expr, __FILE__, __LINE__)

static void section(const char *name) { printf("== %s\n", name); }

/* ------------------------------------------------------------------------------------ */
/* Segment lists                                                                         */

typedef struct {
    vf_segment *v;
    size_t n;
    size_t cap;
} seglist;

static void seg_append(seglist *l, const vf_segment *s) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        vf_segment *v = (vf_segment *)realloc(l->v, cap * sizeof(vf_segment));
        if (v == NULL) {
            fprintf(stderr, "out of memory\n");
            exit(2);
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = *s;
}

static void seg_free(seglist *l) {
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static void seg_print(const char *label, const seglist *l) {
    size_t i;
    printf("   %s: %zu segments\n", label, l->n);
    for (i = 0; i < l->n; i++) {
        printf("     %8.3f %8.3f  speaker %u\n", l->v[i].start, l->v[i].end, l->v[i].speaker);
    }
}

/* Exact equality, printing the first difference. */
static int seg_equal(const seglist *a, const seglist *b, const char *what) {
    size_t i;
    if (a->n != b->n) {
        fprintf(stderr, "   %s: %zu vs %zu segments\n", what, a->n, b->n);
        return 0;
    }
    for (i = 0; i < a->n; i++) {
        const vf_segment *x = &a->v[i], *y = &b->v[i];
        if (x->speaker != y->speaker || x->reserved != y->reserved || x->start != y->start ||
            x->end != y->end) {
            fprintf(stderr, "   %s: segment %zu differs: [%.6f %.6f spk %u] vs [%.6f %.6f spk %u]\n",
                    what, i, x->start, x->end, x->speaker, y->start, y->end, y->speaker);
            return 0;
        }
    }
    return 1;
}

/* The pending/poll pair of one result: the segments, or the refined result. */
typedef vf_status (*pending_fn)(vf_session *, size_t *);
typedef vf_status (*poll_fn)(vf_session *, vf_segment *, size_t, size_t *);

/* Polls once with `capacity` (or until empty when until_empty), appending to `out`.
   Checks that the pending count drops by what was returned. Returns 0 on any problem. */
static int poll_result_into(vf_session *s, seglist *out, size_t capacity, int until_empty,
                            pending_fn pending, poll_fn poll) {
    vf_segment buf[64];
    if (capacity > 64) {
        capacity = 64;
    }
    for (;;) {
        size_t before = 0, after = 0, got = 12345, i;
        if (pending(s, &before) != VF_OK) {
            return 0;
        }
        if (poll(s, buf, capacity, &got) != VF_OK) {
            return 0;
        }
        if (got > capacity || got != (before < capacity ? before : capacity)) {
            fprintf(stderr, "   poll returned %zu with %zu pending, capacity %zu\n", got, before,
                    capacity);
            return 0;
        }
        if (pending(s, &after) != VF_OK || after != before - got) {
            return 0;
        }
        for (i = 0; i < got; i++) {
            seg_append(out, &buf[i]);
        }
        if (!until_empty || got == 0) {
            return 1;
        }
    }
}

static int poll_into(vf_session *s, seglist *out, size_t capacity, int until_empty) {
    return poll_result_into(s, out, capacity, until_empty, vf_session_pending_segments,
                            vf_session_poll_segments);
}

static int poll_refined_into(vf_session *s, seglist *out, size_t capacity) {
    return poll_result_into(s, out, capacity, 1, vf_session_pending_refined_segments,
                            vf_session_poll_refined_segments);
}

/* Flushes, then polls until nothing is left. */
static int finish(vf_session *s, seglist *out) {
    if (vf_session_flush(s) != VF_OK) {
        fprintf(stderr, "   flush: %s\n", vf_last_error());
        return 0;
    }
    return poll_into(s, out, 7, 1);
}

/* ------------------------------------------------------------------------------------ */
/* Fixtures shared by the tests                                                          */

static int16_t *g_pcm = NULL;   /* the file, 16 kHz mono */
static float *g_pcmf = NULL;    /* the same as f32, converted exactly like the library */
static size_t g_n = 0;
static const uint32_t RATE = 16000;

static float i16_to_f32(int16_t v) { return (float)v / 32768.0f; }

/* Diarizes pcm[0..n) on a new session: chunk sizes cycle through `chunks`; push k uses
   the i16 entry point when (k % 2 == 0 || !mix_f32), else f32. Polls `capacity` after
   every push, then flushes and drains. Returns 1 if every call succeeded. */
static int run_chunked(const vf_model *model, const vf_config *config, size_t n,
                       const size_t *chunks, size_t nchunks, int mix_f32, size_t capacity,
                       seglist *out) {
    vf_session *s = NULL;
    size_t pos = 0, k = 0;
    int ok = 1;
    if (vf_session_create(model, config, &s) != VF_OK || s == NULL) {
        fprintf(stderr, "   session_create: %s\n", vf_last_error());
        return 0;
    }
    while (pos < n && ok) {
        size_t len = chunks[k % nchunks];
        vf_status st;
        if (len > n - pos) {
            len = n - pos;
        }
        if (mix_f32 && k % 2 == 1) {
            st = vf_session_push_samples(s, g_pcmf + pos, len, RATE, 1);
        } else {
            st = vf_session_push_samples_i16(s, g_pcm + pos, len, RATE, 1);
        }
        if (st != VF_OK) {
            fprintf(stderr, "   push %zu at %zu: %d %s\n", k, pos, (int)st, vf_last_error());
            ok = 0;
        }
        ok = ok && poll_into(s, out, capacity, 0);
        pos += len;
        k++;
    }
    ok = ok && finish(s, out);
    vf_session_destroy(s);
    return ok;
}

/* Structural checks on a whole-file result. */
static void check_result_shape(const seglist *r, double duration) {
    size_t i;
    int ordered = 1, bounded = 1, reserved0 = 1, dense = 1, first_order = 1;
    unsigned max_spk = 0;
    unsigned char seen[256];
    double speech = 0.0;
    memset(seen, 0, sizeof seen);
    for (i = 0; i < r->n; i++) {
        const vf_segment *s = &r->v[i];
        if (!(s->start >= 0.0 && s->start <= s->end)) {
            bounded = 0;
        }
        if (i > 0 && s->start < r->v[i - 1].start) {
            ordered = 0;
        }
        if (s->end > duration + 0.01) {
            bounded = 0;
        }
        if (s->reserved != 0) {
            reserved0 = 0;
        }
        if (s->speaker < 256) {
            /* order of appearance: a new id must be exactly one more than the largest */
            if (!seen[s->speaker] && i > 0 && s->speaker != max_spk + 1) {
                first_order = 0;
            }
            if (i == 0 && s->speaker != 0) {
                first_order = 0;
            }
            seen[s->speaker] = 1;
        } else {
            dense = 0;
        }
        if (s->speaker > max_spk) {
            max_spk = s->speaker;
        }
        speech += s->end - s->start;
    }
    for (i = 0; r->n > 0 && i <= max_spk && i < 256; i++) {
        if (!seen[i]) {
            dense = 0;
        }
    }
    printf("   %zu segments, %u speakers, %.2f s of speech\n", r->n,
           r->n ? max_spk + 1 : 0u, speech);
    CHECK(r->n >= 10);
    CHECK(bounded);   /* 0 <= start <= end <= duration + 0.01 */
    CHECK(ordered);   /* starts non-decreasing */
    CHECK(reserved0);
    CHECK(dense);     /* ids 0..k-1 all present */
    CHECK(first_order); /* ids appear in increasing order */
    CHECK(r->n > 0 && max_spk + 1 >= 2); /* at least 2 distinct speakers */
    CHECK(speech >= 40.0 && speech <= 60.0);
}

/* ------------------------------------------------------------------------------------ */
/* 1. Versions and status texts                                                          */

static void test_versions(void) {
    int code;
    int all_texts = 1;
    const char *v = vf_version();
    section("versions");
    CHECK(vf_abi_version() == VF_ABI_VERSION);
    CHECK(v != NULL && v[0] != '\0');
    if (v != NULL) {
        char expect[32];
        snprintf(expect, sizeof expect, "%d.%d.%d", VF_VERSION_MAJOR, VF_VERSION_MINOR,
                 VF_VERSION_PATCH);
        CHECK(strcmp(v, expect) == 0);
    }
    for (code = VF_ERR_LIMIT_REACHED; code <= 0; code++) {
        const char *t = vf_status_str(code);
        if (t == NULL || t[0] == '\0') {
            all_texts = 0;
        }
    }
    CHECK(all_texts);
    CHECK(vf_status_str(42) != NULL && vf_status_str(42)[0] != '\0');
    CHECK(vf_status_str(VF_ERR_LIMIT_REACHED - 1) != NULL);
    CHECK(strcmp(vf_status_str(VF_ERR_LIMIT_REACHED), vf_status_str(42)) != 0);
    CHECK(vf_status_str(INT32_MIN) != NULL);
    CHECK(strcmp(vf_status_str(VF_ERR_MODEL), vf_status_str(VF_ERR_IO)) != 0);
    CHECK(vf_last_error() != NULL);
}

/* ------------------------------------------------------------------------------------ */
/* 2. Opening models                                                                     */

static char g_home[4096];

static void model_path(char *buf, size_t size, const char *file) {
    snprintf(buf, size, "%s/models/%s", g_home, file);
}

static vf_model *test_model_open(const char *wav_path) {
    vf_model *model = NULL;
    vf_model *const SENTINEL = (vf_model *)(uintptr_t)0x5151;
    vf_model *out = SENTINEL;
    char ge2e[4200], vad[4200];
    const char *missing = "/nonexistent-voiceflow-dir/no_such_segmentation.onnx";
    section("model open");

    CHECK_ST(vf_model_open(NULL, NULL, 1, &model), VF_OK);
    CHECK(model != NULL);

    CHECK_ST(vf_model_open(missing, NULL, 1, &out), VF_ERR_MODEL);
    CHECK(out == SENTINEL);
    CHECK(strstr(vf_last_error(), missing) != NULL);

    out = SENTINEL;
    CHECK_ST(vf_model_open(wav_path, NULL, 1, &out), VF_ERR_MODEL);
    CHECK(out == SENTINEL);

    model_path(ge2e, sizeof ge2e, "ge2e.onnx");
    model_path(vad, sizeof vad, "silero_vad.onnx");
    out = SENTINEL;
    CHECK_ST(vf_model_open(ge2e, NULL, 1, &out), VF_ERR_MODEL); /* embedding as segmentation */
    CHECK(out == SENTINEL);
    CHECK(vf_last_error()[0] != '\0');
    out = SENTINEL;
    CHECK_ST(vf_model_open(NULL, vad, 1, &out), VF_ERR_MODEL); /* VAD as embedding */
    CHECK(out == SENTINEL);
    out = SENTINEL;
    CHECK_ST(vf_model_open(NULL, missing, 1, &out), VF_ERR_MODEL);
    CHECK(out == SENTINEL);

    CHECK_ST(vf_model_open(NULL, NULL, 1, NULL), VF_ERR_NULL_POINTER);
    CHECK(strstr(vf_last_error(), "out_model") != NULL);
    return model;
}

/* ------------------------------------------------------------------------------------ */
/* 2b. Devices (this test runs a library built without the `cuda` feature, or a CPU-only
       ONNX Runtime: CUDA is unavailable, with and without the CPU fallback)            */

static void test_model_devices(void) {
    vf_model *const SENTINEL = (vf_model *)(uintptr_t)0x5151;
    vf_model *out = SENTINEL;
    vf_model *m = NULL;
    section("model devices");

    CHECK_ST(vf_model_open_ex(NULL, NULL, "cuda", 1, 0, &out), VF_ERR_DEVICE_UNAVAILABLE);
    CHECK(out == SENTINEL);
    CHECK(strstr(vf_last_error(), "cuda:0 is unavailable") != NULL);
    CHECK(strstr(vf_last_error(), "fallback") != NULL);

    CHECK_ST(vf_model_open_ex(NULL, NULL, "cuda:1", 1, VF_MODEL_ALLOW_CPU_FALLBACK, &m), VF_OK);
    CHECK(m != NULL && strcmp(vf_model_device(m), "cpu") == 0);
    CHECK(m != NULL && vf_model_device_fallback(m) != NULL &&
          vf_model_device_fallback(m)[0] != '\0');
    vf_model_free(m);

    m = NULL;
    CHECK_ST(vf_model_open_ex(NULL, NULL, "best", 1, 0, &m), VF_OK); /* best may fall back */
    CHECK(m != NULL && strcmp(vf_model_device(m), "cpu") == 0);
    CHECK(m != NULL && vf_model_device_fallback(m) != NULL);
    vf_model_free(m);

    m = NULL;
    CHECK_ST(vf_model_open_ex(NULL, NULL, "cpu:2", 0, 0, &m), VF_OK);
    CHECK(m != NULL && strcmp(vf_model_device(m), "cpu") == 0);
    CHECK(m != NULL && vf_model_device_fallback(m) == NULL);
    vf_model_free(m);

    m = NULL;
    CHECK_ST(vf_model_open_ex(NULL, NULL, NULL, 1, 0, &m), VF_OK); /* NULL device: cpu */
    CHECK(m != NULL && strcmp(vf_model_device(m), "cpu") == 0);
    vf_model_free(m);

    out = SENTINEL;
    CHECK_ST(vf_model_open_ex(NULL, NULL, "gpu", 1, 0, &out), VF_ERR_INVALID_ARGUMENT);
    CHECK(out == SENTINEL && strstr(vf_last_error(), "\"gpu\"") != NULL);
    CHECK_ST(vf_model_open_ex(NULL, NULL, "cpu:0", 1, 0, &out), VF_ERR_INVALID_ARGUMENT);
    CHECK_ST(vf_model_open_ex(NULL, NULL, "cuda:-1", 1, 0, &out), VF_ERR_INVALID_ARGUMENT);
    CHECK_ST(vf_model_open_ex(NULL, NULL, "cpu", 1, 2, &out), VF_ERR_INVALID_ARGUMENT);
    CHECK(strstr(vf_last_error(), "flags") != NULL);
    CHECK(out == SENTINEL);
    CHECK_ST(vf_model_open_ex(NULL, NULL, "cpu", 1, 0, NULL), VF_ERR_NULL_POINTER);
    CHECK(vf_model_device(NULL) == NULL);
    CHECK(vf_model_device_fallback(NULL) == NULL);
    CHECK(strcmp(vf_status_str(VF_ERR_DEVICE_UNAVAILABLE), vf_status_str(VF_ERR_MODEL)) != 0);
}

/* ------------------------------------------------------------------------------------ */
/* 3. Configuration                                                                      */

static void test_config(const vf_model *model) {
    vf_config *cfg = NULL, *bad = NULL, *ns = NULL;
    vf_session *const SENTINEL = (vf_session *)(uintptr_t)0x7171;
    vf_session *s = SENTINEL;
    section("config");

    CHECK_ST(vf_config_new(&cfg), VF_OK);
    CHECK(cfg != NULL);
    CHECK_ST(vf_config_new(NULL), VF_ERR_NULL_POINTER);
    CHECK_ST(vf_config_set_float(cfg, "latency", 3.0), VF_OK);
    CHECK_ST(vf_config_set_float(cfg, "no_such_key", 1.0), VF_ERR_INVALID_ARGUMENT);
    CHECK(strstr(vf_last_error(), "no_such_key") != NULL);
    CHECK_ST(vf_config_set_float(cfg, NULL, 1.0), VF_ERR_NULL_POINTER);
    CHECK_ST(vf_config_set_float(NULL, "latency", 1.0), VF_ERR_NULL_POINTER);
    CHECK_ST(vf_session_create(model, cfg, &s), VF_OK);
    CHECK(s != NULL && s != SENTINEL);
    vf_session_destroy(s);

    /* session_create argument checks */
    s = SENTINEL;
    CHECK_ST(vf_session_create(NULL, cfg, &s), VF_ERR_NULL_POINTER);
    CHECK(s == SENTINEL);
    CHECK_ST(vf_session_create(model, cfg, NULL), VF_ERR_NULL_POINTER);

    /* an out-of-range value is reported at session creation and names the field */
    CHECK_ST(vf_config_new(&bad), VF_OK);
    CHECK_ST(vf_config_set_float(bad, "step", -1.0), VF_OK);
    s = SENTINEL;
    CHECK_ST(vf_session_create(model, bad, &s), VF_ERR_INVALID_CONFIG);
    CHECK(s == SENTINEL);
    CHECK(strstr(vf_last_error(), "step") != NULL);
    CHECK_ST(vf_config_set_float(bad, "step", 0.5), VF_OK);
    /* a count that can never be valid is refused when set, showing the value given */
    CHECK_ST(vf_config_set_float(bad, "num_speakers", 2.5), VF_ERR_INVALID_ARGUMENT);
    CHECK(strstr(vf_last_error(), "num_speakers: 2.5") != NULL);
    CHECK_ST(vf_config_set_float(bad, "max_speakers", 100.0), VF_ERR_INVALID_ARGUMENT);
    CHECK(strstr(vf_last_error(), "max_speakers: 100") != NULL);
    /* contradicting hints are refused at creation */
    CHECK_ST(vf_config_set_float(bad, "num_speakers", 3.0), VF_OK);
    CHECK_ST(vf_config_set_float(bad, "max_speakers", 2.0), VF_OK);
    s = SENTINEL;
    CHECK_ST(vf_session_create(model, bad, &s), VF_ERR_INVALID_CONFIG);
    CHECK(s == SENTINEL);
    CHECK(strstr(vf_last_error(), "num_speakers: 3 contradicts max_speakers 2") != NULL);
    CHECK_ST(vf_config_set_float(bad, "num_speakers", 0.0), VF_OK); /* back to unknown */
    CHECK_ST(vf_config_set_float(bad, "max_speakers", 0.0), VF_OK);
    CHECK_ST(vf_config_set_float(bad, "onset", 1.5), VF_OK);
    CHECK_ST(vf_session_create(model, bad, &s), VF_ERR_INVALID_CONFIG);
    CHECK(strstr(vf_last_error(), "onset") != NULL);
    CHECK_ST(vf_config_set_float(bad, "onset", 0.5), VF_OK);
    CHECK_ST(vf_session_create(model, bad, &s), VF_OK); /* valid again */
    CHECK(s != NULL && s != SENTINEL);
    vf_session_destroy(s);
    vf_config_free(bad);

    /* num_speakers: the config may be freed right after the session is created */
    CHECK_ST(vf_config_new(&ns), VF_OK);
    CHECK_ST(vf_config_set_float(ns, "num_speakers", 3.0), VF_OK);
    {
        seglist r = {NULL, 0, 0};
        vf_session *q = NULL;
        size_t i;
        unsigned max_spk = 0;
        int ok;
        CHECK_ST(vf_session_create(model, ns, &q), VF_OK);
        vf_config_free(ns);
        ok = q != NULL &&
             vf_session_push_samples_i16(q, g_pcm, g_n, RATE, 1) == VF_OK && finish(q, &r);
        CHECK(ok);
        for (i = 0; i < r.n; i++) {
            if (r.v[i].speaker > max_spk) {
                max_spk = r.v[i].speaker;
            }
        }
        printf("   num_speakers=3: %zu segments, %u speakers\n", r.n, r.n ? max_spk + 1 : 0u);
        CHECK(r.n > 0 && max_spk + 1 <= 3);  /* never more than the exact count */
        CHECK(r.n > 0 && max_spk + 1 == 3);  /* the file has 3 speakers */
        vf_session_destroy(q);
        seg_free(&r);
    }

    vf_config_free(cfg);
    vf_config_free(NULL);
}

/* ------------------------------------------------------------------------------------ */
/* 4. Whole file, odd chunks vs one push                                                 */

static void test_whole_file(const vf_model *model, seglist *reference) {
    static const size_t chunks[] = {1, 7, 333, 1601, 4096};
    seglist one = {NULL, 0, 0};
    vf_session *s = NULL;
    double duration = (double)g_n / RATE;
    section("whole file, odd chunks");

    CHECK(run_chunked(model, NULL, g_n, chunks, 5, 1, 3, reference));
    seg_print("odd chunks", reference);
    check_result_shape(reference, duration);

    CHECK_ST(vf_session_create(model, NULL, &s), VF_OK);
    CHECK_ST(vf_session_push_samples_i16(s, g_pcm, g_n, RATE, 1), VF_OK);
    CHECK(finish(s, &one));
    vf_session_destroy(s);
    CHECK(seg_equal(reference, &one, "odd chunks vs one push"));
    seg_free(&one);

    /* the same with every push as f32 in 1-second chunks */
    {
        static const size_t sec[] = {16000};
        seglist f = {NULL, 0, 0};
        vf_session *q = NULL;
        size_t pos;
        int ok = 1;
        CHECK_ST(vf_session_create(model, NULL, &q), VF_OK);
        for (pos = 0; pos < g_n && ok; pos += sec[0]) {
            size_t len = g_n - pos < sec[0] ? g_n - pos : sec[0];
            ok = vf_session_push_samples(q, g_pcmf + pos, len, RATE, 1) == VF_OK;
        }
        CHECK(ok && finish(q, &f));
        vf_session_destroy(q);
        CHECK(seg_equal(reference, &f, "odd chunks vs f32 1 s chunks"));
        seg_free(&f);
    }
}

/* ------------------------------------------------------------------------------------ */
/* 5. Interleaved sessions on one model                                                  */

static void test_interleaved(const vf_model *model, const seglist *reference) {
    enum { N = 3 };
    static const size_t chunk[N] = {2000, 3333, 16007};
    vf_session *s[N] = {NULL, NULL, NULL};
    seglist r[N] = {{NULL, 0, 0}, {NULL, 0, 0}, {NULL, 0, 0}};
    size_t pos[N] = {0, 0, 0};
    int ok = 1, live = 1, i;
    section("interleaved sessions");

    for (i = 0; i < N; i++) {
        CHECK_ST(vf_session_create(model, NULL, &s[i]), VF_OK);
    }
    while (live && ok) {
        live = 0;
        for (i = 0; i < N && ok; i++) {
            size_t len;
            vf_status st;
            if (pos[i] >= g_n) {
                continue;
            }
            live = 1;
            len = g_n - pos[i] < chunk[i] ? g_n - pos[i] : chunk[i];
            st = i == 1 ? vf_session_push_samples(s[i], g_pcmf + pos[i], len, RATE, 1)
                        : vf_session_push_samples_i16(s[i], g_pcm + pos[i], len, RATE, 1);
            ok = st == VF_OK && poll_into(s[i], &r[i], 3, 0);
            pos[i] += len;
        }
    }
    CHECK(ok);
    for (i = 0; i < N; i++) {
        char what[64];
        snprintf(what, sizeof what, "interleaved session %d vs reference", i);
        CHECK(finish(s[i], &r[i]));
        CHECK(seg_equal(reference, &r[i], what));
        vf_session_destroy(s[i]);
        seg_free(&r[i]);
    }
}

/* ------------------------------------------------------------------------------------ */
/* 6. Error paths                                                                        */

/* One rejected call on a session in mid-stream, chosen by `kind`; returns 0 past the
   last kind. Each checks its own status. */
static int bad_call(vf_session *s, int kind) {
    float buf[1000];
    int16_t ibuf[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i;
    for (i = 0; i < 1000; i++) {
        buf[i] = g_pcmf[i + 32000];
    }
    switch (kind) {
    case 0:
        buf[500] = NAN;
        CHECK_ST(vf_session_push_samples(s, buf, 1000, RATE, 1), VF_ERR_INVALID_AUDIO);
        CHECK(vf_last_error()[0] != '\0');
        return 1;
    case 1:
        buf[999] = INFINITY;
        CHECK_ST(vf_session_push_samples(s, buf, 1000, RATE, 1), VF_ERR_INVALID_AUDIO);
        return 1;
    case 2:
        buf[0] = -INFINITY;
        CHECK_ST(vf_session_push_samples(s, buf, 1000, RATE, 1), VF_ERR_INVALID_AUDIO);
        return 1;
    case 3:
        CHECK_ST(vf_session_push_samples(s, buf, 1000, 44100, 1), VF_ERR_UNSUPPORTED_SAMPLE_RATE);
        CHECK_ST(vf_session_push_samples_i16(s, ibuf, 8, 44100, 1),
                 VF_ERR_UNSUPPORTED_SAMPLE_RATE);
        return 1;
    case 4:
        CHECK_ST(vf_session_push_samples(s, buf, 1000, 7999, 1), VF_ERR_UNSUPPORTED_SAMPLE_RATE);
        CHECK_ST(vf_session_push_samples(s, buf, 1000, 192001, 1),
                 VF_ERR_UNSUPPORTED_SAMPLE_RATE);
        CHECK_ST(vf_session_push_samples(s, buf, 1000, 0, 1), VF_ERR_UNSUPPORTED_SAMPLE_RATE);
        return 1;
    case 5:
        CHECK_ST(vf_session_push_samples(s, buf, 1000, RATE, 0), VF_ERR_INVALID_ARGUMENT);
        CHECK_ST(vf_session_push_samples_i16(s, ibuf, 8, RATE, 0), VF_ERR_INVALID_ARGUMENT);
        return 1;
    case 6:
        CHECK_ST(vf_session_push_samples(s, buf, 33 * 10, RATE, 33), VF_ERR_INVALID_ARGUMENT);
        return 1;
    case 7:
        CHECK_ST(vf_session_push_samples(s, NULL, 1000, RATE, 1), VF_ERR_NULL_POINTER);
        CHECK_ST(vf_session_push_samples_i16(s, NULL, 8, RATE, 1), VF_ERR_NULL_POINTER);
        return 1;
    case 8:
        /* an empty push consumes nothing and is checked like any other (NULL allowed) */
        CHECK_ST(vf_session_push_samples(s, NULL, 0, RATE, 1), VF_OK);
        CHECK_ST(vf_session_push_samples_i16(s, NULL, 0, RATE, 1), VF_OK);
        CHECK_ST(vf_session_push_samples(s, NULL, 0, 7, 1), VF_ERR_UNSUPPORTED_SAMPLE_RATE);
        CHECK_ST(vf_session_push_samples(s, NULL, 0, RATE, 0), VF_ERR_INVALID_ARGUMENT);
        return 1;
    case 9:
        /* 10^9 samples: over VF_MAX_PUSH_SAMPLES, refused before the buffer is read (the
           buffers here are far smaller; ASan would catch a read past them) */
        CHECK(VF_MAX_PUSH_SAMPLES < 1000000000u);
        CHECK_ST(vf_session_push_samples(s, buf, 1000000000u, RATE, 1), VF_ERR_INVALID_ARGUMENT);
        CHECK(strstr(vf_last_error(), "VF_MAX_PUSH_SAMPLES") != NULL);
        CHECK_ST(vf_session_push_samples_i16(s, ibuf, 1000000000u, RATE, 1),
                 VF_ERR_INVALID_ARGUMENT);
        CHECK_ST(vf_session_push_samples(s, buf, (size_t)VF_MAX_PUSH_SAMPLES + 1, RATE, 1),
                 VF_ERR_INVALID_ARGUMENT);
        return 1;
    default:
        return 0;
    }
}

static void test_error_paths(const vf_model *model) {
    const size_t n20 = 20 * RATE < g_n ? 20 * RATE : g_n;
    const size_t chunk = RATE; /* 1 s */
    vf_session *a = NULL, *b = NULL;
    seglist ra = {NULL, 0, 0}, rb = {NULL, 0, 0};
    size_t pos, pending_seen = 0;
    int kind = 0, k = 0, ok_a = 1, ok_b = 1, poll_checked = 0;
    float buf[16];
    int16_t ibuf[16];
    section("error paths");

    memset(buf, 0, sizeof buf);
    memset(ibuf, 0, sizeof ibuf);

    /* NULL session everywhere */
    {
        size_t cnt = 77;
        vf_segment seg;
        CHECK_ST(vf_session_push_samples(NULL, buf, 16, RATE, 1), VF_ERR_NULL_POINTER);
        CHECK(strstr(vf_last_error(), "session") != NULL);
        CHECK_ST(vf_session_push_samples_i16(NULL, ibuf, 16, RATE, 1), VF_ERR_NULL_POINTER);
        CHECK_ST(vf_session_poll_segments(NULL, &seg, 1, &cnt), VF_ERR_NULL_POINTER);
        CHECK(cnt == 77);
        CHECK_ST(vf_session_pending_segments(NULL, &cnt), VF_ERR_NULL_POINTER);
        CHECK(cnt == 77);
        CHECK_ST(vf_session_flush(NULL), VF_ERR_NULL_POINTER);
    }

    CHECK_ST(vf_session_create(model, NULL, &a), VF_OK);
    CHECK_ST(vf_session_create(model, NULL, &b), VF_OK);

    /* rejected before the first valid push (these fail before the format is known) */
    CHECK_ST(vf_session_push_samples(a, NULL, 10, RATE, 1), VF_ERR_NULL_POINTER);
    CHECK_ST(vf_session_push_samples(a, NULL, 0, RATE, 1), VF_OK);
    CHECK_ST(vf_session_push_samples(a, buf, 16, 7999, 1), VF_ERR_UNSUPPORTED_SAMPLE_RATE);
    CHECK_ST(vf_session_push_samples(a, buf, 16, 192001, 1), VF_ERR_UNSUPPORTED_SAMPLE_RATE);
    CHECK_ST(vf_session_push_samples(a, buf, 16, 0, 1), VF_ERR_UNSUPPORTED_SAMPLE_RATE);
    CHECK_ST(vf_session_push_samples_i16(a, ibuf, 16, 0, 1), VF_ERR_UNSUPPORTED_SAMPLE_RATE);
    CHECK_ST(vf_session_push_samples(a, buf, 16, RATE, 0), VF_ERR_INVALID_ARGUMENT);
    CHECK_ST(vf_session_push_samples(a, buf, 16, RATE, 33), VF_ERR_INVALID_ARGUMENT);

    /* A and B get the same valid 1 s chunks of the first 20 s; A also gets a rejected
       call between every two chunks. Nothing rejected may be consumed. */
    for (pos = 0; pos < n20; pos += chunk, k++) {
        size_t len = n20 - pos < chunk ? n20 - pos : chunk;
        int use_f32 = k % 3 == 1;
        vf_status sa, sb;
        if (pos > 0 && bad_call(a, kind)) {
            kind++;
        }
        if (use_f32) {
            sa = vf_session_push_samples(a, g_pcmf + pos, len, RATE, 1);
            sb = vf_session_push_samples(b, g_pcmf + pos, len, RATE, 1);
        } else {
            sa = vf_session_push_samples_i16(a, g_pcm + pos, len, RATE, 1);
            sb = vf_session_push_samples_i16(b, g_pcm + pos, len, RATE, 1);
        }
        if (sa != VF_OK) {
            fprintf(stderr, "   valid push at %zu after rejected call: %d %s\n", pos, (int)sa,
                    vf_last_error());
            ok_a = 0;
        }
        ok_b = ok_b && sb == VF_OK;

        /* poll argument errors, once segments are waiting: nothing may be dequeued */
        if (!poll_checked) {
            size_t pending = 0, cnt = 99, again = 0;
            vf_segment seg[4];
            CHECK_ST(vf_session_pending_segments(a, &pending), VF_OK);
            if (pending > 0) {
                poll_checked = 1;
                pending_seen = pending;
                CHECK_ST(vf_session_poll_segments(a, seg, 4, NULL), VF_ERR_NULL_POINTER);
                CHECK_ST(vf_session_poll_segments(a, NULL, 4, &cnt), VF_ERR_NULL_POINTER);
                CHECK(cnt == 99);
                CHECK_ST(vf_session_poll_segments(a, NULL, 0, &cnt), VF_OK);
                CHECK(cnt == 0);
                cnt = 99;
                CHECK_ST(vf_session_poll_segments(a, seg, 0, &cnt), VF_OK);
                CHECK(cnt == 0);
                CHECK_ST(vf_session_pending_segments(a, NULL), VF_ERR_NULL_POINTER);
                CHECK_ST(vf_session_pending_segments(a, &again), VF_OK);
                CHECK(again == pending);
            }
        }
    }
    printf("   %d kinds of rejected calls interleaved; %zu segments pending at the poll checks\n",
           kind, pending_seen);
    CHECK(ok_a);
    CHECK(ok_b);
    CHECK(kind >= 10);         /* every kind was exercised */
    CHECK(poll_checked == 1);  /* segments were pending at some point in the first 20 s */

    /* the pending count is what polling then returns */
    {
        size_t pending = 0;
        CHECK_ST(vf_session_flush(a), VF_OK);
        CHECK_ST(vf_session_pending_segments(a, &pending), VF_OK);
        CHECK(poll_into(a, &ra, 64, 1));
        CHECK(ra.n == pending);
    }
    CHECK(finish(b, &rb));
    CHECK(rb.n > 0);
    CHECK(seg_equal(&ra, &rb, "session with rejected calls vs clean session"));
    vf_session_destroy(a);
    vf_session_destroy(b);
    seg_free(&ra);
    seg_free(&rb);

    /* count not a multiple of channels, in a stereo stream */
    {
        vf_session *c = NULL;
        float st[3200];
        size_t i;
        for (i = 0; i < 1600; i++) {
            st[2 * i] = st[2 * i + 1] = g_pcmf[i];
        }
        CHECK_ST(vf_session_create(model, NULL, &c), VF_OK);
        CHECK_ST(vf_session_push_samples(c, st, 3200, RATE, 2), VF_OK);
        CHECK_ST(vf_session_push_samples(c, st, 3, RATE, 2), VF_ERR_INVALID_ARGUMENT);
        CHECK_ST(vf_session_push_samples(c, st, 3200, RATE, 2), VF_OK);
        /* a rate change in mid-stream */
        CHECK_ST(vf_session_push_samples(c, st, 3200, 44100, 2), VF_ERR_UNSUPPORTED_SAMPLE_RATE);
        CHECK_ST(vf_session_push_samples(c, st, 3200, RATE, 2), VF_OK);
        CHECK_ST(vf_session_flush(c), VF_OK);
        vf_session_destroy(c);
    }

    /* A rejected (or empty) FIRST push must not fix the stream's format: afterwards a
       16 kHz mono stream must still be accepted. */
    {
        vf_session *c = NULL;
        float nan_buf[1600];
        size_t i;
        for (i = 0; i < 1600; i++) {
            nan_buf[i] = g_pcmf[i];
        }
        nan_buf[800] = NAN;

        CHECK_ST(vf_session_create(model, NULL, &c), VF_OK);
        CHECK_ST(vf_session_push_samples(c, g_pcmf, 3, RATE, 2), VF_ERR_INVALID_ARGUMENT);
        CHECK_ST(vf_session_push_samples(c, g_pcmf, 1600, RATE, 1), VF_OK);
        vf_session_destroy(c);

        c = NULL;
        CHECK_ST(vf_session_create(model, NULL, &c), VF_OK);
        CHECK_ST(vf_session_push_samples(c, nan_buf, 1600, 44100, 1), VF_ERR_INVALID_AUDIO);
        CHECK_ST(vf_session_push_samples(c, g_pcmf, 1600, RATE, 1), VF_OK);
        vf_session_destroy(c);

        c = NULL;
        CHECK_ST(vf_session_create(model, NULL, &c), VF_OK);
        CHECK_ST(vf_session_push_samples(c, NULL, 0, 44100, 2), VF_OK); /* a no-op */
        CHECK_ST(vf_session_push_samples(c, g_pcmf, 1600, RATE, 1), VF_OK);
        vf_session_destroy(c);
    }
}

/* ------------------------------------------------------------------------------------ */
/* 7. Lifetimes and states                                                               */

static void test_lifetimes(const seglist *ref10) {
    const size_t n10 = 10 * RATE < g_n ? 10 * RATE : g_n;
    vf_model *m2 = NULL;
    vf_session *s = NULL;
    seglist r = {NULL, 0, 0};
    size_t cnt = 5;
    vf_segment one;
    section("lifetimes and states");

    vf_session_destroy(NULL);
    vf_model_free(NULL);
    CHECK(1); /* survived the NULL frees */

    /* a second model (0 threads means 1), freed before its session */
    CHECK_ST(vf_model_open(NULL, NULL, 0, &m2), VF_OK);
    CHECK_ST(vf_session_create(m2, NULL, &s), VF_OK);
    vf_model_free(m2);
    m2 = NULL;
    CHECK_ST(vf_session_push_samples_i16(s, g_pcm, n10 / 2, RATE, 1), VF_OK);
    CHECK_ST(vf_session_push_samples(s, g_pcmf + n10 / 2, n10 - n10 / 2, RATE, 1), VF_OK);
    CHECK_ST(vf_session_flush(s), VF_OK);
    CHECK_ST(vf_session_flush(s), VF_OK); /* twice is a no-op */
    CHECK_ST(vf_session_push_samples(s, g_pcmf, 160, RATE, 1), VF_ERR_INVALID_STATE);
    CHECK_ST(vf_session_push_samples_i16(s, g_pcm, 160, RATE, 1), VF_ERR_INVALID_STATE);
    /* one rule for empty pushes: checked like any push, so refused after flush too */
    CHECK_ST(vf_session_push_samples(s, NULL, 0, RATE, 1), VF_ERR_INVALID_STATE);
    CHECK_ST(vf_session_push_samples_i16(s, NULL, 0, RATE, 1), VF_ERR_INVALID_STATE);
    CHECK(poll_into(s, &r, 5, 1));
    CHECK_ST(vf_session_poll_segments(s, &one, 1, &cnt), VF_OK); /* drained */
    CHECK(cnt == 0);
    CHECK_ST(vf_session_flush(s), VF_OK);
    CHECK(r.n > 0);
    CHECK(seg_equal(&r, ref10, "session outliving its model vs reference"));
    vf_session_destroy(s);
    seg_free(&r);
}

/* ------------------------------------------------------------------------------------ */
/* 8. Other rates and channel counts                                                     */

static void test_48k_stereo(const vf_model *model, seglist *ref10) {
    const size_t n10 = 10 * RATE < g_n ? 10 * RATE : g_n;
    const size_t frames = n10 * 3;
    float *st = (float *)malloc(frames * 2 * sizeof(float));
    vf_session *s = NULL, *m = NULL;
    seglist r = {NULL, 0, 0};
    size_t i, pos, matched = 0;
    int ok = 1, in_range = 1;
    double speech48 = 0.0, speech16 = 0.0;
    section("48 kHz stereo vs 16 kHz mono (first 10 s)");
    if (st == NULL) {
        CHECK(st != NULL);
        return;
    }

    /* reference: 16 kHz mono, 0.1 s chunks */
    CHECK_ST(vf_session_create(model, NULL, &m), VF_OK);
    for (pos = 0; pos < n10 && ok; pos += 1600) {
        size_t len = n10 - pos < 1600 ? n10 - pos : 1600;
        ok = vf_session_push_samples(m, g_pcmf + pos, len, RATE, 1) == VF_OK &&
             poll_into(m, ref10, 3, 0);
    }
    CHECK(ok && finish(m, ref10));
    vf_session_destroy(m);

    for (i = 0; i < frames; i++) {
        float v = g_pcmf[i / 3];
        st[2 * i] = v;
        st[2 * i + 1] = v;
    }
    CHECK_ST(vf_session_create(model, NULL, &s), VF_OK);
    ok = 1;
    for (pos = 0; pos < frames && ok; pos += 4800) {
        size_t len = frames - pos < 4800 ? frames - pos : 4800;
        vf_status stt = vf_session_push_samples(s, st + 2 * pos, 2 * len, 48000, 2);
        if (stt != VF_OK) {
            fprintf(stderr, "   48k push: %d %s\n", (int)stt, vf_last_error());
            ok = 0;
        }
        ok = ok && poll_into(s, &r, 3, 0);
    }
    CHECK(ok && finish(s, &r));
    vf_session_destroy(s);
    free(st);

    seg_print("16 kHz mono", ref10);
    seg_print("48 kHz stereo", &r);
    CHECK(ref10->n >= 2);
    CHECK(r.n + 1 >= ref10->n && r.n <= ref10->n + 1);
    /* every 48 kHz segment starts within 0.3 s of a 16 kHz segment of the same speaker,
       and ends no later than the 10 s of audio */
    for (i = 0; i < r.n; i++) {
        size_t j;
        for (j = 0; j < ref10->n; j++) {
            if (ref10->v[j].speaker == r.v[i].speaker &&
                fabs(ref10->v[j].start - r.v[i].start) <= 0.3) {
                matched++;
                break;
            }
        }
        speech48 += r.v[i].end - r.v[i].start;
        if (r.v[i].end > (double)n10 / RATE + 0.01) {
            in_range = 0;
        }
    }
    for (i = 0; i < ref10->n; i++) {
        speech16 += ref10->v[i].end - ref10->v[i].start;
    }
    printf("   %zu of %zu starts matched; speech %.2f s vs %.2f s\n", matched, r.n, speech48,
           speech16);
    CHECK(in_range);
    CHECK(r.n > 0 && matched == r.n);
    CHECK(fabs(speech48 - speech16) <= 1.0);
    seg_free(&r);
}

/* ------------------------------------------------------------------------------------ */
/* 9. Offline mode, the refined result and max_offline_audio                             */

/* A session whose config sets "mode", "refine" and "max_offline_audio". */
static vf_status session_with(const vf_model *model, double mode, double refine,
                              double max_offline_audio, vf_session **out) {
    vf_config *cfg = NULL;
    vf_status st = vf_config_new(&cfg);
    if (st == VF_OK) {
        st = vf_config_set_float(cfg, "mode", mode);
    }
    if (st == VF_OK) {
        st = vf_config_set_float(cfg, "refine", refine);
    }
    if (st == VF_OK) {
        st = vf_config_set_float(cfg, "max_offline_audio", max_offline_audio);
    }
    if (st == VF_OK) {
        st = vf_session_create(model, cfg, out);
    }
    vf_config_free(cfg);
    return st;
}

/* Pushes the whole file in 1 s chunks, polling after each (the refined result too when
   `refined` is set, which must stay empty before flush). */
static int push_file_polling(vf_session *s, seglist *out, int refined) {
    size_t pos;
    for (pos = 0; pos < g_n; pos += RATE) {
        size_t len = g_n - pos < RATE ? g_n - pos : RATE, waiting = 1;
        if (vf_session_push_samples_i16(s, g_pcm + pos, len, RATE, 1) != VF_OK ||
            !poll_into(s, out, 8, 0)) {
            return 0;
        }
        if (refined && (vf_session_pending_refined_segments(s, &waiting) != VF_OK ||
                        waiting != 0)) {
            return 0;
        }
    }
    return 1;
}

static void test_offline(const vf_model *model, const seglist *reference) {
    const size_t n5 = 5 * RATE, n10 = 10 * RATE;
    vf_session *const SENTINEL = (vf_session *)(uintptr_t)0x7171;
    vf_session *s = SENTINEL;
    vf_config *cfg = NULL;
    seglist off = {NULL, 0, 0}, live = {NULL, 0, 0}, refined = {NULL, 0, 0};
    seglist part = {NULL, 0, 0}, part_ref = {NULL, 0, 0};
    size_t cnt = 77;
    vf_segment seg;
    section("offline mode and the refined result");

    /* the switches take only their values; refine with offline mode fails at creation */
    CHECK_ST(vf_config_new(&cfg), VF_OK);
    CHECK_ST(vf_config_set_float(cfg, "mode", 2.0), VF_ERR_INVALID_ARGUMENT);
    CHECK(strstr(vf_last_error(), "mode") != NULL);
    CHECK_ST(vf_config_set_float(cfg, "refine", 0.5), VF_ERR_INVALID_ARGUMENT);
    CHECK_ST(vf_config_set_float(cfg, "mode", VF_MODE_OFFLINE), VF_OK);
    CHECK_ST(vf_config_set_float(cfg, "refine", 1.0), VF_OK);
    CHECK_ST(vf_session_create(model, cfg, &s), VF_ERR_INVALID_CONFIG);
    CHECK(s == SENTINEL && strstr(vf_last_error(), "refine") != NULL);
    CHECK_ST(vf_config_set_float(cfg, "refine", 0.0), VF_OK);
    CHECK_ST(vf_config_set_float(cfg, "max_offline_audio", 86401.0), VF_OK);
    CHECK_ST(vf_session_create(model, cfg, &s), VF_ERR_INVALID_CONFIG);
    CHECK(s == SENTINEL && strstr(vf_last_error(), "max_offline_audio") != NULL);
    vf_config_free(cfg);

    /* offline: nothing until flush, then the whole file clustered */
    CHECK_ST(session_with(model, VF_MODE_OFFLINE, 0.0, 86400.0, &s), VF_OK);
    CHECK(push_file_polling(s, &off, 0));
    CHECK(off.n == 0);
    /* its own segments are the refined result: there is no second one */
    CHECK_ST(vf_session_poll_refined_segments(s, &seg, 1, &cnt), VF_ERR_INVALID_STATE);
    CHECK(cnt == 77);
    CHECK(finish(s, &off));
    vf_session_destroy(s);
    seg_print("offline", &off);
    check_result_shape(&off, (double)g_n / RATE);

    /* refine: the live segments as without it, and the offline answer after flush */
    CHECK_ST(session_with(model, VF_MODE_STREAMING, 1.0, 86400.0, &s), VF_OK);
    CHECK(push_file_polling(s, &live, 1));
    CHECK(live.n > 0); /* segments while the stream runs */
    CHECK_ST(vf_session_poll_refined_segments(s, &seg, 1, &cnt), VF_OK);
    CHECK(cnt == 0);
    CHECK_ST(vf_session_pending_refined_segments(s, NULL), VF_ERR_NULL_POINTER);
    CHECK(finish(s, &live));
    CHECK(seg_equal(reference, &live, "live segments with refine vs reference"));
    CHECK(poll_refined_into(s, &refined, 5));
    CHECK(seg_equal(&off, &refined, "refined result vs offline session"));
    CHECK_ST(vf_session_pending_refined_segments(s, &cnt), VF_OK);
    CHECK(cnt == 0);
    vf_session_destroy(s);

    /* without refine there is no refined result, before or after flush */
    cnt = 77;
    CHECK_ST(vf_session_create(model, NULL, &s), VF_OK);
    CHECK_ST(vf_session_poll_refined_segments(s, &seg, 1, &cnt), VF_ERR_INVALID_STATE);
    CHECK(strstr(vf_last_error(), "refine") != NULL);
    CHECK_ST(vf_session_pending_refined_segments(s, &cnt), VF_ERR_INVALID_STATE);
    CHECK_ST(vf_session_flush(s), VF_OK);
    CHECK_ST(vf_session_pending_refined_segments(s, &cnt), VF_ERR_INVALID_STATE);
    CHECK(cnt == 77);
    vf_session_destroy(s);
    CHECK_ST(vf_session_poll_refined_segments(NULL, &seg, 1, &cnt), VF_ERR_NULL_POINTER);
    CHECK_ST(vf_session_pending_refined_segments(NULL, &cnt), VF_ERR_NULL_POINTER);

    /* max_offline_audio 5 s: a push that would pass it is refused whole (whatever its
       sample type) and the session stays usable */
    CHECK_ST(session_with(model, VF_MODE_OFFLINE, 0.0, 5.0, &s), VF_OK);
    CHECK_ST(vf_session_push_samples_i16(s, g_pcm, n10, RATE, 1), VF_ERR_LIMIT_REACHED);
    CHECK(strstr(vf_last_error(), "max_offline_audio") != NULL);
    CHECK_ST(vf_session_push_samples_i16(s, g_pcm, 3 * RATE, RATE, 1), VF_OK);
    CHECK_ST(vf_session_push_samples(s, g_pcmf + 3 * RATE, 3 * RATE, RATE, 1),
             VF_ERR_LIMIT_REACHED);
    CHECK_ST(vf_session_push_samples(s, g_pcmf + 3 * RATE, 2 * RATE, RATE, 1), VF_OK);
    CHECK_ST(vf_session_push_samples_i16(s, g_pcm + n5, RATE / 10, RATE, 1),
             VF_ERR_LIMIT_REACHED);
    CHECK(finish(s, &part));
    vf_session_destroy(s);
    /* nothing refused was consumed: the answer of an offline session given those 5 s */
    CHECK_ST(session_with(model, VF_MODE_OFFLINE, 0.0, 86400.0, &s), VF_OK);
    CHECK_ST(vf_session_push_samples_i16(s, g_pcm, n5, RATE, 1), VF_OK);
    CHECK(finish(s, &part_ref));
    vf_session_destroy(s);
    CHECK(part.n > 0);
    CHECK(seg_equal(&part_ref, &part, "offline up to the limit vs the first 5 s"));

    /* the limit holds for a refining session; a plain streaming one keeps nothing and
       has none */
    CHECK_ST(session_with(model, VF_MODE_STREAMING, 1.0, 5.0, &s), VF_OK);
    CHECK_ST(vf_session_push_samples_i16(s, g_pcm, n10, RATE, 1), VF_ERR_LIMIT_REACHED);
    vf_session_destroy(s);
    CHECK_ST(session_with(model, VF_MODE_STREAMING, 0.0, 1.0, &s), VF_OK);
    CHECK_ST(vf_session_push_samples_i16(s, g_pcm, n10, RATE, 1), VF_OK);
    vf_session_destroy(s);

    seg_free(&off);
    seg_free(&live);
    seg_free(&refined);
    seg_free(&part);
    seg_free(&part_ref);
}

/* ------------------------------------------------------------------------------------ */
/* Audio files: decoded by the library, pushed as they are                                */

static void test_audio_files(const vf_model *model, const char *wav_path,
                             const seglist *reference) {
    vf_audio *const SENTINEL = (vf_audio *)(uintptr_t)0x5151;
    vf_audio *audio = NULL, *untouched = SENTINEL;
    vf_session *s = NULL;
    seglist got = {NULL, 0, 0};
    size_t i;
    int same = 1;
    section("audio files");

    /* the WAV decodes to the 16-bit samples read by hand, and diarizes to the reference */
    CHECK_ST(vf_audio_read_file(wav_path, &audio), VF_OK);
    CHECK(vf_audio_sample_rate(audio) == RATE && vf_audio_channels(audio) == 1);
    CHECK(vf_audio_sample_count(audio) == g_n);
    for (i = 0; i < g_n && i < vf_audio_sample_count(audio); i++) {
        same = same && vf_audio_samples(audio)[i] == g_pcmf[i];
    }
    CHECK(same);
    CHECK_ST(vf_session_create(model, NULL, &s), VF_OK);
    CHECK_ST(vf_session_push_samples(s, vf_audio_samples(audio), vf_audio_sample_count(audio),
                                     vf_audio_sample_rate(audio), vf_audio_channels(audio)),
             VF_OK);
    CHECK(finish(s, &got));
    vf_session_destroy(s);
    CHECK(seg_equal(reference, &got, "vf_audio_read_file vs read by hand"));
    vf_audio_free(audio);
    seg_free(&got);

    /* other containers and codecs keep their rate and channels */
    CHECK_ST(vf_audio_read_file("tests/data/audio/stereo_44k.wav", &audio), VF_OK);
    CHECK(vf_audio_sample_rate(audio) == 44100 && vf_audio_channels(audio) == 2);
    CHECK(vf_audio_sample_count(audio) == 2 * 22050);
    vf_audio_free(audio);
    CHECK_ST(vf_audio_read_file("tests/data/audio/flac.flac", &audio), VF_OK);
    CHECK(vf_audio_sample_rate(audio) == RATE && vf_audio_sample_count(audio) == 8000);
    vf_audio_free(audio);

    /* what is not audio is VF_ERR_IO naming the file; the output stays untouched */
    CHECK_ST(vf_audio_read_file("README.md", &untouched), VF_ERR_IO);
    CHECK(untouched == SENTINEL);
    CHECK(strstr(vf_last_error(), "README.md") != NULL);
    CHECK(strstr(vf_last_error(), "voiceflow reads WAV") != NULL);
    CHECK_ST(vf_audio_read_file("tests/data/audio/opus.ogg", &untouched), VF_ERR_IO);
    CHECK(strstr(vf_last_error(), "Opus") != NULL);
    CHECK_ST(vf_audio_read_file(NULL, &audio), VF_ERR_NULL_POINTER);
    CHECK_ST(vf_audio_read_file(wav_path, NULL), VF_ERR_NULL_POINTER);
    CHECK(vf_audio_samples(NULL) == NULL && vf_audio_sample_count(NULL) == 0);
    CHECK(vf_audio_sample_rate(NULL) == 0 && vf_audio_channels(NULL) == 0);
    vf_audio_free(NULL);
}

/* ------------------------------------------------------------------------------------ */
/* Voiceprints: made from audio, stored, enrolled, read back from sessions              */

/* The id whose segments cover most of [start, end), or -1. */
static long id_over(const seglist *r, double start, double end) {
    double best = 0.0;
    long id = -1;
    size_t i;
    for (i = 0; i < r->n; i++) {
        double a = r->v[i].start > start ? r->v[i].start : start;
        double b = r->v[i].end < end ? r->v[i].end : end;
        if (b - a > best) {
            best = b - a;
            id = (long)r->v[i].speaker;
        }
    }
    return id;
}

/* A voiceprint of the example's speech between start and end seconds, named `name`. */
static vf_voiceprint *voiceprint_of(const vf_model *model, double start, double end,
                                    const char *name) {
    vf_voiceprint *v = NULL;
    size_t a = (size_t)(start * RATE), b = (size_t)(end * RATE);
    vf_status st = vf_voiceprint_from_audio(model, g_pcmf + a, b - a, RATE, 1, name, &v);
    if (st != VF_OK) {
        fprintf(stderr, "   vf_voiceprint_from_audio: %s\n", vf_last_error());
    }
    return v;
}

static void test_voiceprints(const vf_model *model) {
    vf_voiceprint *const SENTINEL = (vf_voiceprint *)(uintptr_t)0x9191;
    vf_voiceprint *out = SENTINEL, *carol, *alice, *back = NULL, *bob = NULL;
    vf_config *cfg = NULL;
    vf_session *s = NULL;
    seglist r = {NULL, 0, 0};
    unsigned char *bytes, *again;
    size_t len, got = 0, i;
    uint32_t id = 99;
    double speech0 = 0.0;
    const char *path = "target/c-tests/voiceprint_test.json";
    float nan_value = NAN;
    section("voiceprints");

    /* from audio: carol's and alice's first turns of the example (reference RTTM) */
    carol = voiceprint_of(model, 9.832, 12.825, "carol");
    alice = voiceprint_of(model, 0.5, 4.81, "alice");
    CHECK(carol != NULL && alice != NULL);
    if (carol == NULL || alice == NULL) {
        vf_voiceprint_free(carol);
        vf_voiceprint_free(alice);
        return;
    }
    CHECK(vf_voiceprint_dim(carol) == 192 && vf_voiceprint_vector(carol) != NULL);
    CHECK(strcmp(vf_voiceprint_name(carol), "carol") == 0);
    CHECK(vf_voiceprint_model_name(carol)[0] != '\0' && vf_voiceprint_model_version(carol) != NULL);
    CHECK(vf_voiceprint_speech_seconds(carol) >= 2.0 && vf_voiceprint_speech_seconds(carol) <= 3.1);
    {
        double norm = 0.0;
        for (i = 0; i < vf_voiceprint_dim(carol); i++) {
            norm += (double)vf_voiceprint_vector(carol)[i] * vf_voiceprint_vector(carol)[i];
        }
        CHECK(fabs(norm - 1.0) < 1e-3);
    }
    /* too little speech, bad arguments: refused, the output untouched */
    CHECK_ST(vf_voiceprint_from_audio(model, g_pcmf, RATE, RATE, 1, "x", &out),
             VF_ERR_INVALID_AUDIO);
    CHECK(out == SENTINEL && strstr(vf_last_error(), "too little speech") != NULL);
    CHECK_ST(vf_voiceprint_from_audio(NULL, g_pcmf, RATE, RATE, 1, "x", &out), VF_ERR_NULL_POINTER);
    CHECK_ST(vf_voiceprint_from_audio(model, g_pcmf, 4 * RATE, 1000, 1, "x", &out),
             VF_ERR_UNSUPPORTED_SAMPLE_RATE);
    CHECK_ST(vf_voiceprint_from_audio(model, g_pcmf, VF_MAX_PUSH_SAMPLES + 1, RATE, 1, "x", &out),
             VF_ERR_INVALID_ARGUMENT);
    CHECK_ST(vf_voiceprint_from_audio(model, g_pcmf, 4 * RATE, RATE, 1, "", &out),
             VF_ERR_INVALID_ARGUMENT);
    CHECK(out == SENTINEL);

    /* bytes: exact length, round trip, truncation and NaN refused */
    len = vf_voiceprint_byte_len(carol);
    bytes = (unsigned char *)malloc(len + 1);
    again = (unsigned char *)malloc(len + 1);
    CHECK(bytes != NULL && again != NULL && len > 4 * 192);
    if (bytes == NULL || again == NULL) {
        free(bytes);
        free(again);
        return;
    }
    memset(bytes, 0xAB, len + 1);
    got = 7;
    CHECK_ST(vf_voiceprint_to_bytes(carol, bytes, len - 1, &got), VF_ERR_INVALID_ARGUMENT);
    CHECK(got == 7 && bytes[0] == 0xAB);
    CHECK_ST(vf_voiceprint_to_bytes(carol, bytes, len + 1, &got), VF_OK);
    CHECK(got == len && memcmp(bytes, "VFVP", 4) == 0 && bytes[len] == 0xAB);
    CHECK_ST(vf_voiceprint_from_bytes(bytes, len, &back), VF_OK);
    CHECK_ST(vf_voiceprint_to_bytes(back, again, len, &got), VF_OK);
    CHECK(got == len && memcmp(bytes, again, len) == 0);
    vf_voiceprint_free(back);
    back = NULL;
    CHECK_ST(vf_voiceprint_from_bytes(bytes, len - 1, &out), VF_ERR_INVALID_ARGUMENT);
    CHECK(out == SENTINEL && strstr(vf_last_error(), "truncated") != NULL);
    CHECK_ST(vf_voiceprint_from_bytes(bytes, len + 1, &out), VF_ERR_INVALID_ARGUMENT);
    memcpy(again, bytes, len);
    memcpy(again + len - 4, &nan_value, 4);
    CHECK_ST(vf_voiceprint_from_bytes(again, len, &out), VF_ERR_INVALID_ARGUMENT);
    CHECK(out == SENTINEL && strstr(vf_last_error(), "finite") != NULL);
    CHECK_ST(vf_voiceprint_from_bytes(NULL, 4, &out), VF_ERR_NULL_POINTER);

    /* JSON files: round trip; a missing file is IO, a file of another kind invalid */
    CHECK_ST(vf_voiceprint_write_file(carol, path), VF_OK);
    CHECK_ST(vf_voiceprint_read_file(path, &back), VF_OK);
    CHECK(back != NULL && vf_voiceprint_byte_len(back) == len);
    CHECK_ST(vf_voiceprint_to_bytes(back, again, len, &got), VF_OK);
    CHECK(memcmp(bytes, again, len) == 0);
    vf_voiceprint_free(back);
    CHECK_ST(vf_voiceprint_read_file("target/c-tests/no_such_voiceprint.json", &out), VF_ERR_IO);
    CHECK(strstr(vf_last_error(), "no_such_voiceprint.json") != NULL);
    CHECK_ST(vf_voiceprint_read_file("README.md", &out), VF_ERR_INVALID_ARGUMENT);
    CHECK(out == SENTINEL && strstr(vf_last_error(), "README.md") != NULL);
    CHECK_ST(vf_voiceprint_write_file(carol, "/nonexistent/dir/v.json"), VF_ERR_IO);

    /* names: removed and set again; enroll needs one, once per name */
    CHECK_ST(vf_config_new(&cfg), VF_OK);
    CHECK_ST(vf_voiceprint_set_name(carol, NULL), VF_OK);
    CHECK(vf_voiceprint_name(carol) == NULL);
    CHECK_ST(vf_config_enroll(cfg, carol, &id), VF_ERR_INVALID_ARGUMENT);
    CHECK(id == 99 && strstr(vf_last_error(), "name") != NULL);
    CHECK_ST(vf_voiceprint_set_name(carol, "bad\nname"), VF_ERR_INVALID_ARGUMENT);
    CHECK(vf_voiceprint_name(carol) == NULL);
    CHECK_ST(vf_voiceprint_set_name(carol, "carol"), VF_OK);
    CHECK_ST(vf_config_enroll(cfg, carol, &id), VF_OK);
    CHECK(id == 0);
    CHECK_ST(vf_config_enroll(cfg, carol, &id), VF_ERR_INVALID_ARGUMENT);
    CHECK(strstr(vf_last_error(), "enrolled already") != NULL);
    CHECK_ST(vf_config_enroll(cfg, alice, NULL), VF_OK);
    CHECK_ST(vf_config_enroll(NULL, alice, &id), VF_ERR_NULL_POINTER);
    CHECK_ST(vf_config_enroll(cfg, NULL, &id), VF_ERR_NULL_POINTER);
    CHECK_ST(vf_config_set_float(cfg, "known_speaker_threshold", 0.7), VF_OK);
    /* the enrolled copy is the config's: freeing the object changes nothing */
    vf_voiceprint_free(alice);

    /* a streaming session: carol id 0, alice id 1, bob (unknown) id 2 */
    CHECK_ST(vf_session_create(model, cfg, &s), VF_OK);
    CHECK(strcmp(vf_session_speaker_name(s, 0), "carol") == 0);
    CHECK(strcmp(vf_session_speaker_name(s, 1), "alice") == 0);
    CHECK(vf_session_speaker_name(s, 2) == NULL && vf_session_speaker_name(NULL, 0) == NULL);
    CHECK_ST(vf_session_voiceprint(s, 0, &out), VF_ERR_INVALID_ARGUMENT); /* not heard yet */
    CHECK(out == SENTINEL);
    CHECK_ST(vf_session_push_samples(s, g_pcmf, g_n, RATE, 1), VF_OK);
    CHECK(finish(s, &r));
    CHECK(id_over(&r, 9.832, 12.825) == 0 && id_over(&r, 22.232, 24.846) == 0);
    CHECK(id_over(&r, 0.5, 4.81) == 1 && id_over(&r, 13.174, 15.381) == 1);
    CHECK(id_over(&r, 5.41, 9.382) == 2 && id_over(&r, 16.181, 21.732) == 2);
    for (i = 0; i < r.n; i++) {
        if (r.v[i].speaker == 0) {
            speech0 += r.v[i].end - r.v[i].start;
        }
    }
    CHECK_ST(vf_session_voiceprint(s, 0, &back), VF_OK);
    CHECK(back != NULL && strcmp(vf_voiceprint_name(back), "carol") == 0);
    CHECK(fabs(vf_voiceprint_speech_seconds(back) - speech0) < 1e-3 && speech0 > 10.0);
    vf_voiceprint_free(back);
    CHECK_ST(vf_session_voiceprint(s, 2, &bob), VF_OK);
    CHECK(bob != NULL && vf_voiceprint_name(bob) == NULL);
    CHECK_ST(vf_session_voiceprint(s, 9, &out), VF_ERR_INVALID_ARGUMENT);
    CHECK(out == SENTINEL && strstr(vf_last_error(), "speaker 9") != NULL);
    CHECK_ST(vf_session_voiceprint(s, 0, NULL), VF_ERR_NULL_POINTER);
    CHECK_ST(vf_session_refined_voiceprint(s, 0, &out), VF_ERR_INVALID_ARGUMENT); /* no refine */
    vf_session_destroy(s);
    seg_free(&r);

    /* a voiceprint of another embedding model: enrolled, refused at session creation */
    memcpy(again, bytes, len);
    again[13] ^= 0x01; /* first character of the model name */
    CHECK_ST(vf_voiceprint_from_bytes(again, len, &back), VF_OK);
    vf_config_free(cfg);
    CHECK_ST(vf_config_new(&cfg), VF_OK);
    CHECK_ST(vf_config_enroll(cfg, back, NULL), VF_OK);
    s = NULL;
    CHECK_ST(vf_session_create(model, cfg, &s), VF_ERR_INVALID_CONFIG);
    CHECK(s == NULL && strstr(vf_last_error(), "speakers[0]") != NULL);
    vf_voiceprint_free(back);
    vf_voiceprint_free(bob);
    vf_voiceprint_free(carol);
    vf_config_free(cfg);
    free(bytes);
    free(again);

    /* NULL objects: getters answer nothing, free is a no-op */
    CHECK(vf_voiceprint_dim(NULL) == 0 && vf_voiceprint_vector(NULL) == NULL);
    CHECK(vf_voiceprint_name(NULL) == NULL && vf_voiceprint_model_name(NULL) == NULL);
    CHECK(vf_voiceprint_byte_len(NULL) == 0 && vf_voiceprint_speech_seconds(NULL) == 0.0);
    CHECK_ST(vf_voiceprint_set_name(NULL, "x"), VF_ERR_NULL_POINTER);
    vf_voiceprint_free(NULL);
}

/* ------------------------------------------------------------------------------------ */

int main(int argc, char **argv) {
    vf_model *model = NULL;
    seglist reference = {NULL, 0, 0}, ref10 = {NULL, 0, 0};
    uint32_t rate = 0;
    size_t i;
    const char *home = getenv("VOICEFLOW_HOME");

    if (argc != 2) {
        fprintf(stderr, "usage: %s conversation.wav\n", argv[0]);
        return 2;
    }
    snprintf(g_home, sizeof g_home, "%s", home != NULL && home[0] != '\0' ? home : ".voiceflow");
    g_pcm = read_wav(argv[1], &g_n, &rate);
    if (g_pcm == NULL || rate != RATE || g_n < 30 * RATE) {
        fprintf(stderr, "%s: need a 16 kHz mono WAV of at least 30 s\n", argv[1]);
        free(g_pcm);
        return 2;
    }
    g_pcmf = (float *)malloc(g_n * sizeof(float));
    if (g_pcmf == NULL) {
        free(g_pcm);
        return 2;
    }
    for (i = 0; i < g_n; i++) {
        g_pcmf[i] = i16_to_f32(g_pcm[i]);
    }
    printf("%s: %zu samples, %.2f s\n", argv[1], g_n, (double)g_n / RATE);

    test_versions();
    model = test_model_open(argv[1]);
    if (model == NULL) {
        fprintf(stderr, "cannot open the default model: %s\n", vf_last_error());
        printf("%d passed, %d failed\n", g_passed, g_failed + 1);
        free(g_pcm);
        free(g_pcmf);
        return 1;
    }
    section("runtime");
    CHECK_ST(vf_runtime_load(NULL), VF_OK); /* already loaded */
    CHECK_ST(vf_runtime_load("/nonexistent/libonnxruntime.so"), VF_OK); /* no reload */

    test_model_devices();
    test_config(model);
    test_whole_file(model, &reference);
    test_interleaved(model, &reference);
    test_error_paths(model);
    test_48k_stereo(model, &ref10);
    test_lifetimes(&ref10);
    test_offline(model, &reference);
    test_audio_files(model, argv[1], &reference);
    test_voiceprints(model);

    vf_model_free(model);
    seg_free(&reference);
    seg_free(&ref10);
    free(g_pcm);
    free(g_pcmf);

    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
