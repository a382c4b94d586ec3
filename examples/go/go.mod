module github.com/voiceflow/voiceflow/examples/go

go 1.19

require github.com/voiceflow/voiceflow/bindings/go v0.0.0-00010101000000-000000000000

replace github.com/voiceflow/voiceflow/bindings/go => ../../bindings/go
