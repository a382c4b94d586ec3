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

// OpenModel opens the default models with one inference thread, or those named by opts.
func OpenModel(opts ...ModelOption) (*Model, error) {
	o := modelOptions{threads: 1}
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
	seg := optionalCString(o.segmentation)
	defer C.free(unsafe.Pointer(seg))
	emb := optionalCString(o.embedding)
	defer C.free(unsafe.Pointer(emb))

	var ptr *C.vf_model
	err := call(func() C.vf_status {
		return C.vf_model_open(seg, emb, C.uint32_t(o.threads), &ptr)
	})
	if err != nil {
		return nil, err
	}
	m := &Model{ptr: ptr}
	runtime.SetFinalizer(m, (*Model).Close)
	return m, nil
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
