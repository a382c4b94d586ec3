/*
 * Concurrency: N threads, each streaming its own session on ONE shared model, must give
 * exactly the segments of the same sessions run one after another. Built plainly and
 * with ThreadSanitizer by `make test-threads`.
 *
 * Usage: test_threads <16 kHz mono 16-bit PCM WAV> [threads]
 * Every job streams a different 20 s excerpt with its own chunk size, half of them as
 * f32 and half as i16, and polls with its own capacity while it pushes.
 */
#include "voiceflow.h"
#include "wav.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_JOBS 32
#define MAX_SEGMENTS 512
#define RATE 16000u

typedef struct {
    /* inputs */
    const vf_model *model;
    const int16_t *pcm;
    const float *pcmf;
    size_t count;
    size_t chunk;
    size_t capacity;
    int as_f32;
    /* outputs */
    vf_segment segments[MAX_SEGMENTS];
    size_t n;
    vf_status status;
    char error[256];
} job;

static void fail(job *j, vf_status status, const char *what) {
    j->status = status;
    snprintf(j->error, sizeof j->error, "%s: %s", what, vf_last_error());
}

/* Polls everything pending into the job's list; 0 on failure. */
static int drain(job *j, vf_session *s) {
    for (;;) {
        size_t got = 0;
        size_t room = MAX_SEGMENTS - j->n;
        vf_status st = vf_session_poll_segments(s, j->segments + j->n,
                                                room < j->capacity ? room : j->capacity, &got);
        if (st != VF_OK) {
            fail(j, st, "poll");
            return 0;
        }
        j->n += got;
        if (got == 0 || j->n == MAX_SEGMENTS) {
            return 1;
        }
    }
}

static void *run_job(void *arg) {
    job *j = (job *)arg;
    vf_session *s = NULL;
    size_t pos;
    vf_status st = vf_session_create(j->model, NULL, &s);
    j->n = 0;
    j->status = VF_OK;
    if (st != VF_OK) {
        fail(j, st, "create");
        return NULL;
    }
    for (pos = 0; pos < j->count; pos += j->chunk) {
        size_t len = j->count - pos < j->chunk ? j->count - pos : j->chunk;
        st = j->as_f32 ? vf_session_push_samples(s, j->pcmf + pos, len, RATE, 1)
                       : vf_session_push_samples_i16(s, j->pcm + pos, len, RATE, 1);
        if (st != VF_OK) {
            fail(j, st, "push");
            vf_session_destroy(s);
            return NULL;
        }
        if (!drain(j, s)) {
            vf_session_destroy(s);
            return NULL;
        }
    }
    st = vf_session_flush(s);
    if (st != VF_OK) {
        fail(j, st, "flush");
    } else {
        drain(j, s);
    }
    vf_session_destroy(s);
    return NULL;
}

static void describe(const job *j, int index) {
    fprintf(stderr, "job %d: status %d %s, %zu segments\n", index, (int)j->status, j->error, j->n);
}

int main(int argc, char **argv) {
    static job sequential[MAX_JOBS], parallel[MAX_JOBS];
    pthread_t threads[MAX_JOBS];
    vf_model *model = NULL;
    int16_t *pcm = NULL;
    float *pcmf = NULL;
    size_t n = 0, i, excerpt = 20 * RATE;
    uint32_t rate = 0;
    int jobs = argc > 2 ? atoi(argv[2]) : 8, failed = 0, k;

    if (argc < 2 || jobs < 2 || jobs > MAX_JOBS) {
        fprintf(stderr, "usage: %s conversation.wav [threads 2..%d]\n", argv[0], MAX_JOBS);
        return 2;
    }
    pcm = read_wav(argv[1], &n, &rate);
    if (pcm == NULL || rate != RATE || n < excerpt + 8 * RATE) {
        fprintf(stderr, "%s: need a 16 kHz mono WAV of at least 28 s\n", argv[1]);
        free(pcm);
        return 2;
    }
    pcmf = (float *)malloc(n * sizeof(float));
    if (pcmf == NULL) {
        free(pcm);
        return 2;
    }
    for (i = 0; i < n; i++) {
        pcmf[i] = (float)pcm[i] / 32768.0f;
    }
    if (vf_model_open(NULL, NULL, 1, &model) != VF_OK) {
        fprintf(stderr, "model: %s\n", vf_last_error());
        free(pcm);
        free(pcmf);
        return 1;
    }

    for (k = 0; k < jobs; k++) {
        /* excerpts start a second apart (wrapping), chunks from 50 ms to ~1 s */
        size_t start = ((size_t)k * RATE) % (n - excerpt);
        job *j = &sequential[k];
        memset(j, 0, sizeof *j);
        j->model = model;
        j->pcm = pcm + start;
        j->pcmf = pcmf + start;
        j->count = excerpt;
        j->chunk = 800 + (size_t)k * 2111 % 15200;
        j->capacity = 1 + (size_t)k % 7;
        j->as_f32 = k % 2;
        parallel[k] = *j;
    }

    for (k = 0; k < jobs; k++) {
        run_job(&sequential[k]);
    }
    for (k = 0; k < jobs; k++) {
        if (pthread_create(&threads[k], NULL, run_job, &parallel[k]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            return 1;
        }
    }
    for (k = 0; k < jobs; k++) {
        pthread_join(threads[k], NULL);
    }

    for (k = 0; k < jobs; k++) {
        const job *a = &sequential[k], *b = &parallel[k];
        if (a->status != VF_OK || b->status != VF_OK) {
            describe(a, k);
            describe(b, k);
            failed++;
        } else if (a->n == 0 || a->n != b->n ||
                   memcmp(a->segments, b->segments, a->n * sizeof(vf_segment)) != 0) {
            fprintf(stderr, "job %d: parallel run differs from the sequential one\n", k);
            describe(a, k);
            describe(b, k);
            failed++;
        }
    }
    printf("%d threads x 20 s on one model: %d of %d jobs identical to sequential runs\n", jobs,
           jobs - failed, jobs);
    vf_model_free(model);
    free(pcm);
    free(pcmf);
    return failed == 0 ? 0 : 1;
}
