package voiceflow

/*
#include <stdlib.h>
#include "voiceflow.h"
*/
import "C"

import (
	"runtime"
	"strings"
	"sync"
	"unsafe"
)

// Model is a loaded pair of segmentation and embedding models. It is immutable: any
// number of goroutines may create sessions from it at once. Sessions keep their own
// reference, so closing the model while sessions are alive is safe.
type Model struct {
	mu  sync.RWMutex // Close takes it exclusively so no call uses a freed handle
	ptr *C.vf_model
}

type modelOptions struct {
	segmentation string
	embedding    string
	threads      int
	device       string
	cpuFallback  bool
}

// ModelOption is an option of OpenModel.
type ModelOption func(*modelOptions)

// WithSegmentation opens the segmentation (or VAD) model at path instead of the default.
func WithSegmentation(path string) ModelOption {
	return func(o *modelOptions) { o.segmentation = path }
}

// WithEmbedding opens the speaker embedding model at path instead of the default.
func WithEmbedding(path string) ModelOption {
	return func(o *modelOptions) { o.embedding = path }
}

// WithThreads sets the number of inference threads per model run (default 1).
func WithThreads(n int) ModelOption {
	return func(o *modelOptions) { o.threads = n }
}

// WithDevice runs the models on device: "cpu" (the default), "cpu:N" (N inference
// threads, overriding WithThreads), "cuda" (GPU 0), "cuda:K" (GPU K) or "best" (CUDA
// when usable, else the CPU). A malformed device is ErrInvalidArgument; a GPU that cannot
// be used is ErrDeviceUnavailable unless WithCPUFallback is given.
func WithDevice(device string) ModelOption {
	return func(o *modelOptions) { o.device = device }
}

// WithCPUFallback runs the models on the CPU when the requested GPU cannot be used;
// Model.DeviceFallback then says why.
func WithCPUFallback() ModelOption {
	return func(o *modelOptions) { o.cpuFallback = true }
}

// OpenModel opens the default models with one inference thread on the CPU, or as opts say.
func OpenModel(opts ...ModelOption) (*Model, error) {
	o := modelOptions{threads: 1, device: "cpu"}
	for _, opt := range opts {
		opt(&o)
	}
	if !fitsUint32(o.threads) {
		return nil, argError(StatusInvalidArgument, "thread count %d out of range", o.threads)
	}
	for _, path := range []string{o.segmentation, o.embedding} {
		if strings.ContainsRune(path, 0) {
			return nil, argError(StatusInvalidArgument, "model path %q contains a NUL byte", path)
		}
	}
	if strings.ContainsRune(o.device, 0) {
		return nil, argError(StatusInvalidArgument, "device %q contains a NUL byte", o.device)
	}
	var flags C.uint32_t
	if o.cpuFallback {
		flags = C.VF_MODEL_ALLOW_CPU_FALLBACK
	}
	seg := optionalCString(o.segmentation)
	defer C.free(unsafe.Pointer(seg))
	emb := optionalCString(o.embedding)
	defer C.free(unsafe.Pointer(emb))
	// Not optionalCString: "" is a malformed device for the library, not the default.
	device := C.CString(o.device)
	defer C.free(unsafe.Pointer(device))

	var ptr *C.vf_model
	err := call(func() C.vf_status {
		return C.vf_model_open_ex(seg, emb, device, C.uint32_t(o.threads), flags, &ptr)
	})
	if err != nil {
		return nil, err
	}
	m := &Model{ptr: ptr}
	runtime.SetFinalizer(m, (*Model).Close)
	return m, nil
}

// Device is where the model runs: "cpu" or "cuda:K".
func (m *Model) Device() (string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.ptr == nil {
		return "", ErrClosed
	}
	return C.GoString(C.vf_model_device(m.ptr)), nil
}

// DeviceFallback is why the model runs on the CPU although a GPU was requested
// (WithCPUFallback or "best"), or "" when it runs where it was asked to.
func (m *Model) DeviceFallback() (string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.ptr == nil {
		return "", ErrClosed
	}
	// GoString(NULL) is "": no fallback.
	return C.GoString(C.vf_model_device_fallback(m.ptr)), nil
}

// Close frees the model. Calling it again does nothing.
func (m *Model) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ptr != nil {
		C.vf_model_free(m.ptr)
		m.ptr = nil
		runtime.SetFinalizer(m, nil)
	}
	return nil
}

// optionalCString is NULL for "" (the library's "use the default") and a C copy
// otherwise; C.free(NULL) is a no-op, so callers free it unconditionally.
func optionalCString(s string) *C.char {
	if s == "" {
		return nil
	}
	return C.CString(s)
}
