/*
 * Diarizes a WAV file as if it were a live stream: the audio arrives in small chunks of
 * irregular size (10-30 ms, like a sound card callback), the session is polled after
 * every chunk, and each speaker turn is printed as soon as it is final, with how long
 * after the end of the turn that was (the price of streaming: about `latency` plus
 * `min_duration_off`).
 *
 *   diarize_stream [--realtime] <file.wav>
 *
 * --realtime sleeps between chunks so the stream runs at the pace of the audio.
 * Output, one line per final segment, then a summary:
 *     0.512    5.472 speaker 0   final at 9.100 s of audio (+3.628 s)
 */
#define _POSIX_C_SOURCE 199309L

#include "voiceflow.h"
#include "wav.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct latency_stats {
    size_t segments;
    double total;
    double max;
} latency_stats;

/* A deterministic chunk length of 10-30 ms, so runs are reproducible. */
static size_t next_chunk_frames(uint32_t *lcg_state, uint32_t sample_rate) {
    uint32_t ms;
    *lcg_state = *lcg_state * 1664525u + 1013904223u;
    ms = 10u + (*lcg_state >> 16) % 21u;
    return (size_t)sample_rate * ms / 1000u + 1u;
}

static void sleep_seconds(double seconds) {
    struct timespec ts;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
}

/* Prints every segment that is final now; `now` is the audio time pushed so far. */
static vf_status report_final_segments(vf_session *session, double now, latency_stats *stats) {
    vf_segment segs[16];
    size_t got = 0, i;
    do {
        vf_status st = vf_session_poll_segments(session, segs, 16, &got);
        if (st != VF_OK) {
            return st;
        }
        for (i = 0; i < got; i++) {
            double delay = now - segs[i].end;
            printf("%8.3f %8.3f speaker %u   final at %.3f s of audio (+%.3f s)\n",
                   segs[i].start, segs[i].end, segs[i].speaker, now, delay);
            stats->segments++;
            stats->total += delay;
            if (delay > stats->max) {
                stats->max = delay;
            }
        }
    } while (got == 16);
    fflush(stdout);
    return VF_OK;
}

static vf_status stream(vf_session *session, const wav_audio *audio, int realtime,
                        latency_stats *stats) {
    uint32_t lcg_state = 12345u;
    size_t frame = 0;
    vf_status st = VF_OK;
    while (frame < audio->frames && st == VF_OK) {
        size_t frames = next_chunk_frames(&lcg_state, audio->sample_rate);
        size_t offset = frame * audio->channels, count;
        if (frames > audio->frames - frame) {
            frames = audio->frames - frame;
        }
        count = frames * audio->channels;
        if (audio->is_float) {
            st = vf_session_push_samples(session, audio->pcm_f32 + offset, count,
                                         audio->sample_rate, audio->channels);
        } else {
            st = vf_session_push_samples_i16(session, audio->pcm16 + offset, count,
                                             audio->sample_rate, audio->channels);
        }
        frame += frames;
        if (st == VF_OK) {
            st = report_final_segments(session, (double)frame / audio->sample_rate, stats);
        }
        if (realtime) {
            sleep_seconds((double)frames / audio->sample_rate);
        }
    }
    if (st == VF_OK) {
        st = vf_session_flush(session); /* end of stream: the open turn closes now */
    }
    if (st == VF_OK) {
        st = report_final_segments(session, (double)audio->frames / audio->sample_rate, stats);
    }
    return st;
}

int main(int argc, char **argv) {
    wav_audio audio;
    latency_stats stats = {0, 0.0, 0.0};
    char err[512];
    vf_model *model = NULL;
    vf_session *session = NULL;
    vf_status st;
    int realtime = argc == 3 && strcmp(argv[1], "--realtime") == 0;

    if (argc != 2 && !realtime) {
        fprintf(stderr, "usage: %s [--realtime] <file.wav>\n", argv[0]);
        return 2;
    }
    if (wav_read(argv[argc - 1], &audio, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    st = vf_model_open(NULL, NULL, 1, &model);
    if (st == VF_OK) {
        st = vf_session_create(model, NULL, &session);
    }
    if (st == VF_OK) {
        st = stream(session, &audio, realtime, &stats);
    }
    if (st == VF_OK) {
        printf("%zu segments; delay from the end of a turn to it being final: "
               "mean %.3f s, max %.3f s\n",
               stats.segments, stats.segments ? stats.total / (double)stats.segments : 0.0,
               stats.max);
    } else {
        fprintf(stderr, "voiceflow: %s: %s\n", vf_status_str(st), vf_last_error());
    }
    vf_session_destroy(session);
    vf_model_free(model);
    wav_free(&audio);
    return st == VF_OK ? 0 : 1;
}
