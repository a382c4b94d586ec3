/*
 * Diarizes an audio file and prints one line per speaker turn: "start end speaker".
 *
 *   diarize_file <audio file>
 *
 * The file is decoded by the library (vf_audio_read_file: WAV, FLAC, MP3, Ogg Vorbis,
 * M4A, ADTS AAC, AIFF, CAF), so this reads what the CLI and every binding read.
 *
 * This is the reference of the "same answer in every language" convention: default
 * models with one inference thread, default config, the decoded samples pushed in chunks
 * of 100 ms, polling after every push; then flush and poll until nothing is left. Only
 * segments go to stdout; errors go to stderr with vf_last_error() and a non-zero exit
 * status.
 */
#include "voiceflow.h"

#include <stdio.h>

/* Polls until the session has nothing more, printing each segment. */
static vf_status print_final_segments(vf_session *session) {
    vf_segment segs[32];
    size_t got = 0, i;
    do {
        vf_status st = vf_session_poll_segments(session, segs, 32, &got);
        if (st != VF_OK) {
            return st;
        }
        for (i = 0; i < got; i++) {
            printf("%.3f %.3f %u\n", segs[i].start, segs[i].end, segs[i].speaker);
        }
    } while (got == 32);
    return VF_OK;
}

/* Pushes the whole file in 100 ms chunks, then flushes; prints segments as they come. */
static vf_status diarize(vf_session *session, const vf_audio *audio) {
    const float *samples = vf_audio_samples(audio);
    uint32_t rate = vf_audio_sample_rate(audio), channels = vf_audio_channels(audio);
    size_t total = vf_audio_sample_count(audio) / channels; /* frames */
    size_t chunk_frames = rate / 10, frame;
    vf_status st = VF_OK;
    if (chunk_frames == 0) {
        chunk_frames = 1; /* the library rejects such a rate; let it say so */
    }
    for (frame = 0; frame < total && st == VF_OK; frame += chunk_frames) {
        size_t frames = total - frame < chunk_frames ? total - frame : chunk_frames;
        st = vf_session_push_samples(session, samples + frame * channels, frames * channels,
                                     rate, channels);
        if (st == VF_OK) {
            st = print_final_segments(session);
        }
    }
    if (st == VF_OK) {
        st = vf_session_flush(session);
    }
    if (st == VF_OK) {
        st = print_final_segments(session);
    }
    return st;
}

int main(int argc, char **argv) {
    vf_audio *audio = NULL;
    vf_model *model = NULL;
    vf_session *session = NULL;
    vf_status st;

    if (argc != 2) {
        fprintf(stderr, "usage: %s <audio file>\n", argv[0]);
        return 2;
    }
    if (vf_abi_version() != VF_ABI_VERSION) {
        fprintf(stderr, "voiceflow: library ABI %u, header ABI %u\n", vf_abi_version(),
                (unsigned)VF_ABI_VERSION);
        return 1;
    }
    st = vf_audio_read_file(argv[1], &audio); /* the message names the file */
    if (st == VF_OK) {
        st = vf_model_open(NULL, NULL, 1, &model);
    }
    if (st == VF_OK) {
        st = vf_session_create(model, NULL, &session);
    }
    if (st == VF_OK) {
        st = diarize(session, audio);
    }
    if (st != VF_OK) {
        fprintf(stderr, "voiceflow: %s: %s\n", vf_status_str(st), vf_last_error());
    }
    vf_session_destroy(session);
    vf_model_free(model);
    vf_audio_free(audio);
    return st == VF_OK ? 0 : 1;
}
