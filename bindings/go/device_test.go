package voiceflow_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	voiceflow "github.com/voiceflow/voiceflow/bindings/go"
)

// The library under test is built without the `cuda` feature (or runs a CPU-only ONNX
// Runtime), so CUDA is unavailable here, with and without the CPU fallback.

func openOn(t *testing.T, opts ...voiceflow.ModelOption) *voiceflow.Model {
	t.Helper()
	m, err := voiceflow.OpenModel(opts...)
	if err != nil {
		t.Fatalf("OpenModel: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

func wantDevice(t *testing.T, m *voiceflow.Model, device string, fellBack bool) string {
	t.Helper()
	got, err := m.Device()
	if err != nil || got != device {
		t.Fatalf("Device() = %q, %v; want %q", got, err, device)
	}
	reason, err := m.DeviceFallback()
	if err != nil || (reason != "") != fellBack {
		t.Fatalf("DeviceFallback() = %q, %v; want a reason: %v", reason, err, fellBack)
	}
	return reason
}

func TestDeviceCPU(t *testing.T) {
	wantDevice(t, model(t), "cpu", false)
	wantDevice(t, openOn(t, voiceflow.WithDevice("cpu:2")), "cpu", false)
}

func TestDeviceCUDAWithoutFallbackIsUnavailable(t *testing.T) {
	m, err := voiceflow.OpenModel(voiceflow.WithDevice("cuda"))
	if m != nil {
		t.Fatalf("got a model on an unavailable GPU")
	}
	wantStatus(t, "cuda without fallback", err, voiceflow.ErrDeviceUnavailable)
	if !strings.Contains(err.Error(), "cuda:0 is unavailable") || !strings.Contains(err.Error(), "fallback") {
		t.Fatalf("message does not name the device and the fallback: %v", err)
	}
	if errors.Is(err, voiceflow.ErrInvalidArgument) {
		t.Fatalf("%v also matches ErrInvalidArgument", err)
	}
}

func TestDeviceCUDAWithFallbackRunsOnTheCPU(t *testing.T) {
	fallback := openOn(t, voiceflow.WithDevice("cuda"), voiceflow.WithCPUFallback())
	if reason := wantDevice(t, fallback, "cpu", true); !strings.Contains(strings.ToLower(reason), "cuda") {
		t.Fatalf("fallback reason %q does not mention CUDA", reason)
	}
	pcm, rate := audio(t)
	first20s := pcm[:20*rate]
	got, err := diarize(fallback, first20s, rate, []int{rate / 10}, false)
	if err != nil {
		t.Fatal(err)
	}
	want, err := diarize(model(t), first20s, rate, []int{rate / 10}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || !reflect.DeepEqual(got, want) {
		t.Fatalf("fallback model: %v, CPU model: %v", got, want)
	}
	wantDevice(t, openOn(t, voiceflow.WithDevice("best")), "cpu", true)
}

func TestDeviceMalformed(t *testing.T) {
	for _, device := range []string{"gpu", "cpu:0", "cuda:-1", "", "cpu\x00:2"} {
		_, err := voiceflow.OpenModel(voiceflow.WithDevice(device))
		wantStatus(t, "device "+device, err, voiceflow.ErrInvalidArgument)
	}
	_, err := voiceflow.OpenModel(voiceflow.WithDevice("gpu"))
	if !strings.Contains(err.Error(), `"gpu"`) {
		t.Fatalf("message does not name the device: %v", err)
	}
}

func TestDeviceOfClosedModel(t *testing.T) {
	m, err := voiceflow.OpenModel()
	if err != nil {
		t.Fatal(err)
	}
	_ = m.Close()
	if _, err := m.Device(); !errors.Is(err, voiceflow.ErrClosed) {
		t.Fatalf("Device() after Close: %v", err)
	}
	if _, err := m.DeviceFallback(); !errors.Is(err, voiceflow.ErrClosed) {
		t.Fatalf("DeviceFallback() after Close: %v", err)
	}
}
