//go:build voiceflow_pkgconfig

package voiceflow

// Installed library: flags come from voiceflow.pc (`pkg-config --cflags --libs voiceflow`).
// Set PKG_CONFIG_PATH when it is installed outside the default search path.

/*
#cgo pkg-config: voiceflow
*/
import "C"
