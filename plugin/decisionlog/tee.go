package decisionlog

// Tee sends every decision to each sink (the local lines and the upload
// to a collector, serve --config), each choosing what it writes.
func Tee(sinks ...Sink) Sink { return tee(sinks) }

type tee []Sink

func (t tee) Log(r Record) {
	for _, s := range t {
		s.Log(r)
	}
}
