package decisionlog

import (
	"io"
	"testing"

	"github.com/sirupsen/logrus"
)

// BenchmarkSink is one decision line, formatted and handed to a writer
// that discards it: the JSON sink against logrus's JSONFormatter.
func BenchmarkSink(b *testing.B) {
	log := logrus.New()
	log.SetOutput(io.Discard)
	log.SetFormatter(&logrus.JSONFormatter{})
	js := NewJSON(io.Discard, JSONOptions{Filter: All})
	defer js.Close()
	for _, s := range []struct {
		name string
		sink Sink
	}{{"json", js}, {"logrus", NewLogrus(log, All)}} {
		for _, r := range []struct {
			name string
			rec  Record
		}{{"allowed", allowedPing}, {"denied", deniedCreate}} {
			b.Run(s.name+"/"+r.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					s.sink.Log(r.rec)
				}
			})
		}
	}
}
