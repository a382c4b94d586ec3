module github.com/voiceflow/voiceflow/bindings/go

go 1.19
