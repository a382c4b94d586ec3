/*
 * JNI layer of the Java binding (package ai.voiceflow, class NativeLib), built into
 * libvoiceflow_jni.so and linked against libvoiceflow. Written in C so the Rust crate
 * stays free of JNI.
 *
 * Rules kept throughout:
 * - Every JNI call that can fail (allocation, class lookup) is checked; once a Java
 *   exception is pending nothing else is called but cleanup that JNI allows then
 *   (Release*ArrayElements, DeleteLocalRef), and the function returns at once.
 * - Arrays are only read: they are released with JNI_ABORT (no copy back).
 * - vf_last_error() is read on the calling thread right after the failing call and
 *   passed to Java as raw UTF-8 bytes (NewStringUTF wants modified UTF-8, which a
 *   message quoting a file path need not be).
 * - Handles come from the Java classes, which never pass a freed one; the Java side
 *   also checks array ranges and signs, which are checked again here.
 */
#include <jni.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai_voiceflow_NativeLib.h"
#include "voiceflow.h"

static jclass g_exception_class;     /* ai.voiceflow.VoiceflowException (global ref) */
static jmethodID g_exception_ctor;   /* VoiceflowException(int, byte[]) */

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved) {
    JNIEnv *env = NULL;
    jclass local;
    (void)reserved;
    if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_6) != JNI_OK) {
        return JNI_ERR;
    }
    /* Looked up here because JNI_OnLoad runs with the class loader of the class that
       loaded the library; later lookups from other threads might not see it (Android). */
    local = (*env)->FindClass(env, "ai/voiceflow/VoiceflowException");
    if (local == NULL) {
        return JNI_ERR;
    }
    g_exception_class = (jclass)(*env)->NewGlobalRef(env, local);
    (*env)->DeleteLocalRef(env, local);
    if (g_exception_class == NULL) {
        return JNI_ERR;
    }
    g_exception_ctor = (*env)->GetMethodID(env, g_exception_class, "<init>", "(I[B)V");
    if (g_exception_ctor == NULL) {
        return JNI_ERR;
    }
    return JNI_VERSION_1_6;
}

JNIEXPORT void JNICALL JNI_OnUnload(JavaVM *vm, void *reserved) {
    JNIEnv *env = NULL;
    (void)reserved;
    if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_6) == JNI_OK && g_exception_class) {
        (*env)->DeleteGlobalRef(env, g_exception_class);
        g_exception_class = NULL;
    }
}

/* ------------------------------------------------------------------------------------ */
/* Exceptions                                                                            */

/* Throws a java.lang exception by class name unless one is already pending. */
static void throw_java(JNIEnv *env, const char *class_name, const char *message) {
    jclass cls;
    if ((*env)->ExceptionCheck(env)) {
        return;
    }
    cls = (*env)->FindClass(env, class_name);
    if (cls != NULL) { /* else NoClassDefFoundError is pending */
        (*env)->ThrowNew(env, cls, message);
        (*env)->DeleteLocalRef(env, cls);
    }
}

/* `text` as a new Java byte[] of its UTF-8 bytes (no NUL); NULL with an exception
   pending on failure. Raw bytes because NewStringUTF wants modified UTF-8, which library
   messages quoting file paths need not be; Java decodes them as UTF-8. */
static jbyteArray utf8_bytes(JNIEnv *env, const char *text) {
    size_t len = strlen(text);
    jbyteArray bytes;
    if (len > (size_t)INT32_MAX) {
        len = (size_t)INT32_MAX;
    }
    bytes = (*env)->NewByteArray(env, (jsize)len);
    if (bytes == NULL) {
        return NULL; /* OutOfMemoryError is pending */
    }
    (*env)->SetByteArrayRegion(env, bytes, 0, (jsize)len, (const jbyte *)text);
    if ((*env)->ExceptionCheck(env)) {
        (*env)->DeleteLocalRef(env, bytes);
        return NULL;
    }
    return bytes;
}

/* Throws VoiceflowException(status, message) unless an exception is pending. */
static void throw_voiceflow(JNIEnv *env, vf_status status, const char *message) {
    jbyteArray bytes;
    jobject exception;
    if ((*env)->ExceptionCheck(env)) {
        return;
    }
    bytes = utf8_bytes(env, message);
    if (bytes == NULL) {
        return; /* an exception is pending */
    }
    exception = (*env)->NewObject(env, g_exception_class, g_exception_ctor, (jint)status, bytes);
    (*env)->DeleteLocalRef(env, bytes);
    if (exception != NULL) {
        (*env)->Throw(env, (jthrowable)exception);
        (*env)->DeleteLocalRef(env, exception);
    }
}

/* Throws VoiceflowException(status, vf_last_error()) unless an exception is pending.
   Must run on the thread of the failing call, before any other voiceflow call. */
static void throw_status(JNIEnv *env, vf_status status) {
    throw_voiceflow(env, status, vf_last_error());
}

/* Throws for a failed status; returns 1 when the call succeeded. */
static int ok_or_throw(JNIEnv *env, vf_status status) {
    if (status == VF_OK) {
        return 1;
    }
    throw_status(env, status);
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* Arguments                                                                             */

static void *from_handle(jlong handle) { return (void *)(intptr_t)handle; }

static jlong to_handle(const void *ptr) { return (jlong)(intptr_t)ptr; }

/* A Java NUL-terminated UTF-8 byte[] (Strings.toC) as a malloc'ed C string; NULL for a
   null array. Returns 0 with an exception pending on failure. */
static int c_string(JNIEnv *env, jbyteArray bytes, char **out) {
    jsize len;
    char *copy;
    *out = NULL;
    if (bytes == NULL) {
        return 1;
    }
    len = (*env)->GetArrayLength(env, bytes);
    copy = (char *)malloc((size_t)len + 1);
    if (copy == NULL) {
        throw_java(env, "java/lang/OutOfMemoryError", "voiceflow: string copy");
        return 0;
    }
    (*env)->GetByteArrayRegion(env, bytes, 0, len, (jbyte *)copy);
    if ((*env)->ExceptionCheck(env)) {
        free(copy);
        return 0;
    }
    copy[len] = '\0'; /* Strings.toC already ends it with NUL; this makes sure */
    *out = copy;
    return 1;
}

/* Checks array != null and [offset, offset+length) inside it. */
static int check_array_range(JNIEnv *env, jarray array, jint offset, jint length) {
    jsize size;
    if (array == NULL) {
        throw_java(env, "java/lang/NullPointerException", "samples");
        return 0;
    }
    size = (*env)->GetArrayLength(env, array);
    if (offset < 0 || length < 0 || offset > size - length) {
        throw_java(env, "java/lang/ArrayIndexOutOfBoundsException", "samples range");
        return 0;
    }
    return 1;
}

/* Negative Java ints would turn into huge unsigned values; the Java side rejects them
   first, this keeps the C side safe on its own. */
static int check_format(JNIEnv *env, jint rate, jint channels) {
    if (rate < 0 || channels < 0) {
        throw_java(env, "java/lang/IllegalArgumentException", "negative sample rate or channel count");
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------------------------ */
/* Library                                                                               */

JNIEXPORT jstring JNICALL Java_ai_voiceflow_NativeLib_version(JNIEnv *env, jclass cls) {
    (void)cls;
    return (*env)->NewStringUTF(env, vf_version()); /* ASCII: "0.1.0" */
}

JNIEXPORT jint JNICALL Java_ai_voiceflow_NativeLib_abiVersion(JNIEnv *env, jclass cls) {
    (void)env;
    (void)cls;
    return (jint)vf_abi_version();
}

JNIEXPORT jstring JNICALL Java_ai_voiceflow_NativeLib_statusText(JNIEnv *env, jclass cls,
                                                                 jint status) {
    (void)cls;
    return (*env)->NewStringUTF(env, vf_status_str((vf_status)status)); /* static ASCII */
}

JNIEXPORT void JNICALL Java_ai_voiceflow_NativeLib_runtimeLoad(JNIEnv *env, jclass cls,
                                                               jbyteArray path) {
    char *cpath = NULL;
    vf_status st;
    (void)cls;
    if (!c_string(env, path, &cpath)) {
        return;
    }
    st = vf_runtime_load(cpath);
    free(cpath);
    ok_or_throw(env, st);
}

/* ------------------------------------------------------------------------------------ */
/* Model and config                                                                      */

JNIEXPORT jlong JNICALL Java_ai_voiceflow_NativeLib_modelOpen(JNIEnv *env, jclass cls,
                                                              jbyteArray segmentation,
                                                              jbyteArray embedding,
                                                              jbyteArray device, jint threads,
                                                              jint flags) {
    char *seg = NULL, *emb = NULL, *dev = NULL;
    vf_model *model = NULL;
    vf_status st;
    (void)cls;
    if (threads < 0 || flags < 0) {
        throw_java(env, "java/lang/IllegalArgumentException", "negative thread count or flags");
        return 0;
    }
    if (!c_string(env, segmentation, &seg)) {
        return 0;
    }
    if (!c_string(env, embedding, &emb)) {
        free(seg);
        return 0;
    }
    if (!c_string(env, device, &dev)) {
        free(seg);
        free(emb);
        return 0;
    }
    st = vf_model_open_ex(seg, emb, dev, (uint32_t)threads, (uint32_t)flags, &model);
    free(seg);
    free(emb);
    free(dev);
    return ok_or_throw(env, st) ? to_handle(model) : 0;
}

/* The device string of a model as UTF-8 bytes ("cpu", "cuda:K"). */
JNIEXPORT jbyteArray JNICALL Java_ai_voiceflow_NativeLib_modelDevice(JNIEnv *env, jclass cls,
                                                                     jlong model) {
    const char *device = vf_model_device((const vf_model *)from_handle(model));
    (void)cls;
    if (device == NULL) { /* only for a NULL handle, which Model never passes */
        throw_java(env, "java/lang/IllegalStateException", "voiceflow: no model");
        return NULL;
    }
    return utf8_bytes(env, device);
}

/* Why a model fell back to the CPU as UTF-8 bytes; null when it did not. */
JNIEXPORT jbyteArray JNICALL Java_ai_voiceflow_NativeLib_modelDeviceFallback(JNIEnv *env,
                                                                             jclass cls,
                                                                             jlong model) {
    const char *reason = vf_model_device_fallback((const vf_model *)from_handle(model));
    (void)cls;
    return reason == NULL ? NULL : utf8_bytes(env, reason);
}

JNIEXPORT void JNICALL Java_ai_voiceflow_NativeLib_modelFree(JNIEnv *env, jclass cls,
                                                             jlong model) {
    (void)env;
    (void)cls;
    vf_model_free((vf_model *)from_handle(model));
}

JNIEXPORT jlong JNICALL Java_ai_voiceflow_NativeLib_configNew(JNIEnv *env, jclass cls) {
    vf_config *config = NULL;
    (void)cls;
    return ok_or_throw(env, vf_config_new(&config)) ? to_handle(config) : 0;
}

JNIEXPORT void JNICALL Java_ai_voiceflow_NativeLib_configFree(JNIEnv *env, jclass cls,
                                                              jlong config) {
    (void)env;
    (void)cls;
    vf_config_free((vf_config *)from_handle(config));
}

JNIEXPORT void JNICALL Java_ai_voiceflow_NativeLib_configSet(JNIEnv *env, jclass cls,
                                                             jlong config, jbyteArray key,
                                                             jdouble value) {
    char *ckey = NULL;
    vf_status st;
    (void)cls;
    if (key == NULL) {
        throw_java(env, "java/lang/NullPointerException", "key");
        return;
    }
    if (!c_string(env, key, &ckey)) {
        return;
    }
    st = vf_config_set_float((vf_config *)from_handle(config), ckey, value);
    free(ckey);
    ok_or_throw(env, st);
}

/* ------------------------------------------------------------------------------------ */
/* Session                                                                               */

JNIEXPORT jlong JNICALL Java_ai_voiceflow_NativeLib_sessionCreate(JNIEnv *env, jclass cls,
                                                                  jlong model, jlong config) {
    vf_session *session = NULL;
    vf_status st;
    (void)cls;
    st = vf_session_create((const vf_model *)from_handle(model),
                           (const vf_config *)from_handle(config), &session);
    return ok_or_throw(env, st) ? to_handle(session) : 0;
}

JNIEXPORT void JNICALL Java_ai_voiceflow_NativeLib_sessionPushFloats(
    JNIEnv *env, jclass cls, jlong session, jfloatArray samples, jint offset, jint length,
    jint rate, jint channels) {
    jfloat *data;
    vf_status st;
    (void)cls;
    if (!check_array_range(env, samples, offset, length) || !check_format(env, rate, channels)) {
        return;
    }
    if (length == 0) { /* pushes nothing, but is checked like any push */
        ok_or_throw(env, vf_session_push_samples((vf_session *)from_handle(session), NULL, 0,
                                                 (uint32_t)rate, (uint32_t)channels));
        return;
    }
    data = (*env)->GetFloatArrayElements(env, samples, NULL);
    if (data == NULL) {
        return; /* OutOfMemoryError is pending */
    }
    st = vf_session_push_samples((vf_session *)from_handle(session), data + offset,
                                 (size_t)length, (uint32_t)rate, (uint32_t)channels);
    (*env)->ReleaseFloatArrayElements(env, samples, data, JNI_ABORT);
    ok_or_throw(env, st);
}

JNIEXPORT void JNICALL Java_ai_voiceflow_NativeLib_sessionPushShorts(
    JNIEnv *env, jclass cls, jlong session, jshortArray samples, jint offset, jint length,
    jint rate, jint channels) {
    jshort *data;
    vf_status st;
    (void)cls;
    if (!check_array_range(env, samples, offset, length) || !check_format(env, rate, channels)) {
        return;
    }
    if (length == 0) {
        ok_or_throw(env, vf_session_push_samples_i16((vf_session *)from_handle(session), NULL, 0,
                                                     (uint32_t)rate, (uint32_t)channels));
        return;
    }
    data = (*env)->GetShortArrayElements(env, samples, NULL);
    if (data == NULL) {
        return;
    }
    st = vf_session_push_samples_i16((vf_session *)from_handle(session),
                                     (const int16_t *)data + offset, (size_t)length,
                                     (uint32_t)rate, (uint32_t)channels);
    (*env)->ReleaseShortArrayElements(env, samples, data, JNI_ABORT);
    ok_or_throw(env, st);
}

JNIEXPORT void JNICALL Java_ai_voiceflow_NativeLib_sessionPushDirect(
    JNIEnv *env, jclass cls, jlong session, jobject buffer, jint byte_offset, jint count,
    jint rate, jint channels) {
    char *base;
    jlong capacity;
    const int16_t *data;
    (void)cls;
    if (buffer == NULL) {
        throw_java(env, "java/lang/NullPointerException", "buffer");
        return;
    }
    if (!check_format(env, rate, channels)) {
        return;
    }
    if (count == 0) { /* a zero-capacity buffer may have no address */
        ok_or_throw(env, vf_session_push_samples_i16((vf_session *)from_handle(session), NULL, 0,
                                                     (uint32_t)rate, (uint32_t)channels));
        return;
    }
    base = (char *)(*env)->GetDirectBufferAddress(env, buffer);
    capacity = (*env)->GetDirectBufferCapacity(env, buffer);
    if (base == NULL || capacity < 0) {
        throw_java(env, "java/lang/IllegalArgumentException", "not a direct buffer");
        return;
    }
    if (byte_offset < 0 || count < 0 || (jlong)byte_offset + 2 * (jlong)count > capacity) {
        throw_java(env, "java/lang/IndexOutOfBoundsException", "buffer range");
        return;
    }
    /* int16_t reads need 2-byte alignment; a sliced buffer can start at an odd address. */
    if (((uintptr_t)(base + byte_offset)) % sizeof(int16_t) != 0) {
        throw_java(env, "java/lang/IllegalArgumentException",
                   "16-bit samples in a direct buffer must start at an even address");
        return;
    }
    data = (const int16_t *)(const void *)(base + byte_offset);
    ok_or_throw(env, vf_session_push_samples_i16((vf_session *)from_handle(session), data,
                                                 (size_t)count, (uint32_t)rate,
                                                 (uint32_t)channels));
}

/* The two segment queues of a session: the final segments and the refined result. */
typedef vf_status (*poll_fn)(vf_session *, vf_segment *, size_t, size_t *);
typedef vf_status (*pending_fn)(vf_session *, size_t *);

/* Every pending segment of one queue as {speaker, start, end} triplets. */
static jdoubleArray poll_triplets(JNIEnv *env, vf_session *s, pending_fn pending_of,
                                  poll_fn poll) {
    size_t pending = 0, got = 0, i;
    vf_segment *segments;
    jdouble *triplets;
    jdoubleArray result;
    if (!ok_or_throw(env, pending_of(s, &pending))) {
        return NULL;
    }
    if (pending > (size_t)(INT32_MAX / 3)) {
        pending = (size_t)(INT32_MAX / 3); /* the rest stays queued for the next poll */
    }
    if (pending == 0) {
        return (*env)->NewDoubleArray(env, 0);
    }
    segments = (vf_segment *)malloc(pending * sizeof(vf_segment));
    triplets = (jdouble *)malloc(pending * 3 * sizeof(jdouble));
    if (segments == NULL || triplets == NULL) {
        free(segments);
        free(triplets);
        throw_java(env, "java/lang/OutOfMemoryError", "voiceflow: segment buffer");
        return NULL;
    }
    if (!ok_or_throw(env, poll(s, segments, pending, &got))) {
        free(segments);
        free(triplets);
        return NULL;
    }
    for (i = 0; i < got; i++) {
        triplets[3 * i] = (jdouble)segments[i].speaker;
        triplets[3 * i + 1] = segments[i].start;
        triplets[3 * i + 2] = segments[i].end;
    }
    free(segments);
    result = (*env)->NewDoubleArray(env, (jsize)(3 * got));
    if (result != NULL) {
        (*env)->SetDoubleArrayRegion(env, result, 0, (jsize)(3 * got), triplets);
    }
    free(triplets);
    return result; /* NULL with OutOfMemoryError pending if allocation failed */
}

/* The number of pending segments of one queue, capped at INT32_MAX. */
static jint pending_count(JNIEnv *env, vf_session *s, pending_fn pending_of) {
    size_t pending = 0;
    if (!ok_or_throw(env, pending_of(s, &pending))) {
        return 0;
    }
    return pending > (size_t)INT32_MAX ? INT32_MAX : (jint)pending;
}

JNIEXPORT jdoubleArray JNICALL Java_ai_voiceflow_NativeLib_sessionPoll(JNIEnv *env, jclass cls,
                                                                       jlong session) {
    (void)cls;
    return poll_triplets(env, (vf_session *)from_handle(session), vf_session_pending_segments,
                         vf_session_poll_segments);
}

JNIEXPORT jint JNICALL Java_ai_voiceflow_NativeLib_sessionPending(JNIEnv *env, jclass cls,
                                                                  jlong session) {
    (void)cls;
    return pending_count(env, (vf_session *)from_handle(session), vf_session_pending_segments);
}

JNIEXPORT jdoubleArray JNICALL Java_ai_voiceflow_NativeLib_sessionPollRefined(JNIEnv *env,
                                                                              jclass cls,
                                                                              jlong session) {
    (void)cls;
    return poll_triplets(env, (vf_session *)from_handle(session),
                         vf_session_pending_refined_segments, vf_session_poll_refined_segments);
}

JNIEXPORT jint JNICALL Java_ai_voiceflow_NativeLib_sessionPendingRefined(JNIEnv *env,
                                                                         jclass cls,
                                                                         jlong session) {
    (void)cls;
    return pending_count(env, (vf_session *)from_handle(session),
                         vf_session_pending_refined_segments);
}

JNIEXPORT void JNICALL Java_ai_voiceflow_NativeLib_sessionFlush(JNIEnv *env, jclass cls,
                                                                jlong session) {
    (void)cls;
    ok_or_throw(env, vf_session_flush((vf_session *)from_handle(session)));
}

JNIEXPORT void JNICALL Java_ai_voiceflow_NativeLib_sessionDestroy(JNIEnv *env, jclass cls,
                                                                  jlong session) {
    (void)env;
    (void)cls;
    vf_session_destroy((vf_session *)from_handle(session));
}

/* ------------------------------------------------------------------------------------ */
/* Audio files                                                                           */

/* "<path>: ..." for a file whose sample count or rate is beyond Java's int (2^31 - 1);
   NULL when out of memory (the caller then throws OutOfMemoryError). */
static char *too_large_message(const char *path, size_t count, uint32_t rate) {
    size_t len = strlen(path) + 160;
    char *message = (char *)malloc(len);
    if (message != NULL) {
        snprintf(message, len,
                 "%s: %zu samples (all channels) at %lu Hz are more than a Java array or int "
                 "holds",
                 path, count, (unsigned long)rate);
    }
    return message;
}

/* The decoded file as a new float[] of interleaved samples, {rate, channels} written to
   `format`. The vf_audio is freed before returning, whatever happens, so the Java side
   has nothing to close; NULL with an exception pending on failure. */
JNIEXPORT jfloatArray JNICALL Java_ai_voiceflow_NativeLib_audioRead(JNIEnv *env, jclass cls,
                                                                    jbyteArray path,
                                                                    jintArray format) {
    char *cpath = NULL;
    vf_audio *audio = NULL;
    jfloatArray samples = NULL;
    jint rate_channels[2];
    size_t count;
    uint32_t rate;
    vf_status st;
    (void)cls;
    if (path == NULL || format == NULL) {
        throw_java(env, "java/lang/NullPointerException", path == NULL ? "path" : "format");
        return NULL;
    }
    if ((*env)->GetArrayLength(env, format) < 2) {
        throw_java(env, "java/lang/ArrayIndexOutOfBoundsException", "format needs 2 ints");
        return NULL;
    }
    if (!c_string(env, path, &cpath)) {
        return NULL;
    }
    st = vf_audio_read_file(cpath, &audio);
    if (!ok_or_throw(env, st)) {
        free(cpath);
        return NULL;
    }
    count = vf_audio_sample_count(audio);
    rate = vf_audio_sample_rate(audio);
    if (count > (size_t)INT32_MAX || rate > (uint32_t)INT32_MAX) {
        char *message = too_large_message(cpath, count, rate);
        if (message == NULL) {
            throw_java(env, "java/lang/OutOfMemoryError", "voiceflow: error message");
        } else {
            throw_voiceflow(env, VF_ERR_IO, message);
            free(message);
        }
    } else {
        samples = (*env)->NewFloatArray(env, (jsize)count);
        if (samples != NULL && count > 0) {
            (*env)->SetFloatArrayRegion(env, samples, 0, (jsize)count, vf_audio_samples(audio));
        }
        if (!(*env)->ExceptionCheck(env)) {
            rate_channels[0] = (jint)rate;
            rate_channels[1] = (jint)vf_audio_channels(audio); /* at most 65535 */
            (*env)->SetIntArrayRegion(env, format, 0, 2, rate_channels);
        }
    }
    vf_audio_free(audio);
    free(cpath);
    if ((*env)->ExceptionCheck(env)) {
        if (samples != NULL) {
            (*env)->DeleteLocalRef(env, samples);
        }
        return NULL;
    }
    return samples;
}

/* ------------------------------------------------------------------------------------ */
/* Voiceprints                                                                           */

JNIEXPORT jint JNICALL Java_ai_voiceflow_NativeLib_configEnroll(JNIEnv *env, jclass cls,
                                                                jlong config,
                                                                jlong voiceprint) {
    uint32_t id = 0;
    (void)cls;
    if (!ok_or_throw(env, vf_config_enroll((vf_config *)from_handle(config),
                                           (const vf_voiceprint *)from_handle(voiceprint),
                                           &id))) {
        return 0;
    }
    return (jint)id; /* below VF_MAX_ENROLLED_SPEAKERS */
}

/* A session voiceprint (live or refined) as a new handle; 0 with an exception pending. */
typedef vf_status (*session_voiceprint_fn)(vf_session *, uint32_t, vf_voiceprint **);

static jlong session_voiceprint(JNIEnv *env, jlong session, jint speaker,
                                session_voiceprint_fn get) {
    vf_voiceprint *voiceprint = NULL;
    if (speaker < 0) {
        throw_java(env, "java/lang/IllegalArgumentException", "negative speaker id");
        return 0;
    }
    if (!ok_or_throw(env, get((vf_session *)from_handle(session), (uint32_t)speaker, &voiceprint))) {
        return 0;
    }
    return to_handle(voiceprint);
}

JNIEXPORT jlong JNICALL Java_ai_voiceflow_NativeLib_sessionVoiceprint(JNIEnv *env, jclass cls,
                                                                      jlong session,
                                                                      jint speaker) {
    (void)cls;
    return session_voiceprint(env, session, speaker, vf_session_voiceprint);
}

JNIEXPORT jlong JNICALL Java_ai_voiceflow_NativeLib_sessionRefinedVoiceprint(JNIEnv *env,
                                                                             jclass cls,
                                                                             jlong session,
                                                                             jint speaker) {
    (void)cls;
    return session_voiceprint(env, session, speaker, vf_session_refined_voiceprint);
}

/* An enrolled speaker's name as UTF-8 bytes; null for the others (and negative ids). */
JNIEXPORT jbyteArray JNICALL Java_ai_voiceflow_NativeLib_sessionSpeakerName(JNIEnv *env,
                                                                            jclass cls,
                                                                            jlong session,
                                                                            jint speaker) {
    const char *name;
    (void)cls;
    if (speaker < 0) {
        return NULL;
    }
    name = vf_session_speaker_name((const vf_session *)from_handle(session), (uint32_t)speaker);
    return name == NULL ? NULL : utf8_bytes(env, name);
}

JNIEXPORT jlong JNICALL Java_ai_voiceflow_NativeLib_voiceprintFromAudio(
    JNIEnv *env, jclass cls, jlong model, jfloatArray samples, jint offset, jint length,
    jint rate, jint channels, jbyteArray name) {
    char *cname = NULL;
    jfloat *data = NULL;
    vf_voiceprint *voiceprint = NULL;
    vf_status st;
    (void)cls;
    if (!check_array_range(env, samples, offset, length) || !check_format(env, rate, channels)) {
        return 0;
    }
    if (!c_string(env, name, &cname)) {
        return 0;
    }
    if (length > 0) {
        data = (*env)->GetFloatArrayElements(env, samples, NULL);
        if (data == NULL) {
            free(cname);
            return 0; /* OutOfMemoryError is pending */
        }
    }
    st = vf_voiceprint_from_audio((const vf_model *)from_handle(model),
                                  data == NULL ? NULL : data + offset, (size_t)length,
                                  (uint32_t)rate, (uint32_t)channels, cname, &voiceprint);
    if (data != NULL) {
        (*env)->ReleaseFloatArrayElements(env, samples, data, JNI_ABORT);
    }
    free(cname);
    return ok_or_throw(env, st) ? to_handle(voiceprint) : 0;
}

JNIEXPORT jlong JNICALL Java_ai_voiceflow_NativeLib_voiceprintFromBytes(JNIEnv *env, jclass cls,
                                                                        jbyteArray bytes) {
    jsize len;
    jbyte *copy;
    vf_voiceprint *voiceprint = NULL;
    vf_status st;
    (void)cls;
    if (bytes == NULL) {
        throw_java(env, "java/lang/NullPointerException", "bytes");
        return 0;
    }
    len = (*env)->GetArrayLength(env, bytes);
    copy = (jbyte *)malloc((size_t)len + 1); /* + 1: malloc(0) may return NULL */
    if (copy == NULL) {
        throw_java(env, "java/lang/OutOfMemoryError", "voiceflow: voiceprint bytes");
        return 0;
    }
    (*env)->GetByteArrayRegion(env, bytes, 0, len, copy);
    if ((*env)->ExceptionCheck(env)) {
        free(copy);
        return 0;
    }
    st = vf_voiceprint_from_bytes((const uint8_t *)copy, (size_t)len, &voiceprint);
    free(copy);
    return ok_or_throw(env, st) ? to_handle(voiceprint) : 0;
}

JNIEXPORT jbyteArray JNICALL Java_ai_voiceflow_NativeLib_voiceprintToBytes(JNIEnv *env,
                                                                           jclass cls,
                                                                           jlong voiceprint) {
    const vf_voiceprint *v = (const vf_voiceprint *)from_handle(voiceprint);
    size_t len = vf_voiceprint_byte_len(v), got = 0;
    uint8_t *buffer;
    jbyteArray result;
    (void)cls;
    if (len > (size_t)INT32_MAX) { /* at most 4 * 4096 + 780 bytes by the format */
        throw_java(env, "java/lang/OutOfMemoryError", "voiceflow: voiceprint bytes");
        return NULL;
    }
    buffer = (uint8_t *)malloc(len + 1);
    if (buffer == NULL) {
        throw_java(env, "java/lang/OutOfMemoryError", "voiceflow: voiceprint bytes");
        return NULL;
    }
    if (!ok_or_throw(env, vf_voiceprint_to_bytes(v, buffer, len, &got))) {
        free(buffer);
        return NULL;
    }
    result = (*env)->NewByteArray(env, (jsize)got);
    if (result != NULL) {
        (*env)->SetByteArrayRegion(env, result, 0, (jsize)got, (const jbyte *)buffer);
    }
    free(buffer);
    return result; /* NULL with OutOfMemoryError pending if allocation failed */
}

JNIEXPORT jlong JNICALL Java_ai_voiceflow_NativeLib_voiceprintReadFile(JNIEnv *env, jclass cls,
                                                                       jbyteArray path) {
    char *cpath = NULL;
    vf_voiceprint *voiceprint = NULL;
    vf_status st;
    (void)cls;
    if (path == NULL) {
        throw_java(env, "java/lang/NullPointerException", "path");
        return 0;
    }
    if (!c_string(env, path, &cpath)) {
        return 0;
    }
    st = vf_voiceprint_read_file(cpath, &voiceprint);
    free(cpath);
    return ok_or_throw(env, st) ? to_handle(voiceprint) : 0;
}

JNIEXPORT void JNICALL Java_ai_voiceflow_NativeLib_voiceprintWriteFile(JNIEnv *env, jclass cls,
                                                                       jlong voiceprint,
                                                                       jbyteArray path) {
    char *cpath = NULL;
    vf_status st;
    (void)cls;
    if (path == NULL) {
        throw_java(env, "java/lang/NullPointerException", "path");
        return;
    }
    if (!c_string(env, path, &cpath)) {
        return;
    }
    st = vf_voiceprint_write_file((const vf_voiceprint *)from_handle(voiceprint), cpath);
    free(cpath);
    ok_or_throw(env, st);
}

JNIEXPORT jfloatArray JNICALL Java_ai_voiceflow_NativeLib_voiceprintVector(JNIEnv *env,
                                                                           jclass cls,
                                                                           jlong voiceprint) {
    const vf_voiceprint *v = (const vf_voiceprint *)from_handle(voiceprint);
    size_t dim = vf_voiceprint_dim(v);
    const float *vector = vf_voiceprint_vector(v);
    jfloatArray result;
    (void)cls;
    if (vector == NULL || dim > (size_t)INT32_MAX) { /* only for a NULL handle */
        throw_java(env, "java/lang/IllegalStateException", "voiceflow: no voiceprint");
        return NULL;
    }
    result = (*env)->NewFloatArray(env, (jsize)dim);
    if (result != NULL && dim > 0) {
        (*env)->SetFloatArrayRegion(env, result, 0, (jsize)dim, vector);
    }
    return result;
}

JNIEXPORT jint JNICALL Java_ai_voiceflow_NativeLib_voiceprintDim(JNIEnv *env, jclass cls,
                                                                 jlong voiceprint) {
    (void)env;
    (void)cls;
    return (jint)vf_voiceprint_dim((const vf_voiceprint *)from_handle(voiceprint)); /* <= 4096 */
}

JNIEXPORT jdouble JNICALL Java_ai_voiceflow_NativeLib_voiceprintSpeechSeconds(JNIEnv *env,
                                                                              jclass cls,
                                                                              jlong voiceprint) {
    (void)env;
    (void)cls;
    return vf_voiceprint_speech_seconds((const vf_voiceprint *)from_handle(voiceprint));
}

/* A string owned by the voiceprint as UTF-8 bytes; null when NULL. */
static jbyteArray optional_utf8(JNIEnv *env, const char *text) {
    return text == NULL ? NULL : utf8_bytes(env, text);
}

JNIEXPORT jbyteArray JNICALL Java_ai_voiceflow_NativeLib_voiceprintName(JNIEnv *env, jclass cls,
                                                                        jlong voiceprint) {
    (void)cls;
    return optional_utf8(env, vf_voiceprint_name((const vf_voiceprint *)from_handle(voiceprint)));
}

JNIEXPORT jbyteArray JNICALL Java_ai_voiceflow_NativeLib_voiceprintModelName(JNIEnv *env,
                                                                             jclass cls,
                                                                             jlong voiceprint) {
    (void)cls;
    return optional_utf8(env,
                         vf_voiceprint_model_name((const vf_voiceprint *)from_handle(voiceprint)));
}

JNIEXPORT jbyteArray JNICALL Java_ai_voiceflow_NativeLib_voiceprintModelVersion(
    JNIEnv *env, jclass cls, jlong voiceprint) {
    (void)cls;
    return optional_utf8(
        env, vf_voiceprint_model_version((const vf_voiceprint *)from_handle(voiceprint)));
}

JNIEXPORT void JNICALL Java_ai_voiceflow_NativeLib_voiceprintSetName(JNIEnv *env, jclass cls,
                                                                     jlong voiceprint,
                                                                     jbyteArray name) {
    char *cname = NULL;
    vf_status st;
    (void)cls;
    if (!c_string(env, name, &cname)) {
        return;
    }
    st = vf_voiceprint_set_name((vf_voiceprint *)from_handle(voiceprint), cname);
    free(cname);
    ok_or_throw(env, st);
}

JNIEXPORT void JNICALL Java_ai_voiceflow_NativeLib_voiceprintFree(JNIEnv *env, jclass cls,
                                                                  jlong voiceprint) {
    (void)env;
    (void)cls;
    vf_voiceprint_free((vf_voiceprint *)from_handle(voiceprint));
}
