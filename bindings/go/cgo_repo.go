//go:build !voiceflow_pkgconfig

package voiceflow

// Default build: link the library built in this source tree (`cargo build --release`).
// The rpath lets binaries find libvoiceflow.so without LD_LIBRARY_PATH.
// Installed copies: build with `-tags voiceflow_pkgconfig` (see cgo_pkgconfig.go).

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: -L${SRCDIR}/../../target/release -Wl,-rpath,${SRCDIR}/../../target/release -lvoiceflow
*/
import "C"
