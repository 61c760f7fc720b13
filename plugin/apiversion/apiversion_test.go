package apiversion

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

var (
	d2010 = &Daemon{Version: "20.10.24+dfsg1", APIVersion: "1.41", MinAPIVersion: "1.12", Os: "linux"}
	d29   = &Daemon{Version: "29.8.0", APIVersion: "1.56", MinAPIVersion: "1.40", Os: "linux"}
)

func TestResolve(t *testing.T) {
	tests := []struct {
		name   string
		flag   string
		daemon *Daemon
		want   Versions
	}{
		{"daemon-20.10-unprefixed-is-1.41", "", d2010, Versions{Default: "1.41", Source: FromDaemon, Daemon: d2010}},
		{"daemon-29-unprefixed-is-its-newest", "", d29, Versions{Default: "1.56", Source: FromDaemon, Daemon: d29}},
		{"explicit-flag-wins-over-the-daemon", "1.44", d29, Versions{Default: "1.44", Source: FromFlag, Daemon: d29}},
		{"flag-canonicalised-as-dockerd-compares", "01.044", nil, Versions{Default: "1.44", Source: FromFlag}},
		{"unknown-daemon-reads-as-the-newest-known", "", nil, Versions{Default: Newest, Source: Assumed}},
		{"daemon-without-api-version-is-unknown", "", &Daemon{Version: "x"}, Versions{Default: Newest, Source: Assumed, Daemon: &Daemon{Version: "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Resolve(tt.flag, tt.daemon)); diff != "" {
				t.Errorf("Resolve(%q, %+v) (-want +got):\n%s", tt.flag, tt.daemon, diff)
			}
		})
	}
}

func TestEffectiveAndSupported(t *testing.T) {
	tests := []struct {
		name      string
		v         Versions
		given     string
		effective string
		supported bool
	}{
		{"unprefixed-on-29", Resolve("", d29), "", "1.56", true},
		{"prefix-as-given", Resolve("", d29), "1.44", "1.44", true},
		{"leading-zeros-as-dockerd-reads-them", Resolve("", d29), "01.041", "1.41", true},
		{"below-29-minimum-refused-by-the-daemon", Resolve("", d29), "1.23", "1.23", false},
		{"above-29-newest-refused-by-the-daemon", Resolve("", d29), "1.57", "1.57", false},
		{"v1.23-on-20.10-is-served", Resolve("", d2010), "1.23", "1.23", true},
		{"above-20.10-newest-refused", Resolve("", d2010), "1.44", "1.44", false},
		{"unknown-daemon-supports-everything", Resolve("", nil), "1.12", "1.12", true},
		{"flag-default-beyond-the-daemon-is-flagged", Resolve("1.60", d29), "", "1.60", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.v.Effective(tt.given)
			if got != tt.effective {
				t.Errorf("Effective(%q) = %q, want %q", tt.given, got, tt.effective)
			}
			if s := tt.v.Supported(got); s != tt.supported {
				t.Errorf("Supported(%q) = %v, want %v", got, s, tt.supported)
			}
		})
	}
}

func TestDaemonValidate(t *testing.T) {
	for _, d := range []Daemon{*d2010, *d29, {APIVersion: "1.41"}} {
		if err := d.Validate(); err != nil {
			t.Errorf("%+v: %v", d, err)
		}
	}
	for _, d := range []Daemon{{}, {APIVersion: "v1.41"}, {APIVersion: "1.41", MinAPIVersion: "x"}, {APIVersion: "1.41.2.3"}} {
		if err := d.Validate(); err == nil {
			t.Errorf("%+v: want an error", d)
		}
	}
}

func TestGRPCUnguarded(t *testing.T) {
	tests := []struct {
		d    Daemon
		want bool
	}{
		{*d2010, false},
		{Daemon{Version: "28.5.2", Os: "linux"}, false},
		{Daemon{Version: "29.1.5", Os: "linux"}, false},
		{Daemon{Version: "29.2.0", Os: "linux"}, true},
		{Daemon{Version: "29.2.0-rc.1", Os: "linux"}, true},
		{*d29, true},
		{Daemon{Version: "30.0.0"}, true},
		{Daemon{Version: "library-import", Os: "linux"}, true}, // an unknown build: assume the newest
		{Daemon{Version: "29.8.0", Os: "windows"}, false},
	}
	for _, tt := range tests {
		if got := tt.d.GRPCUnguarded(); got != tt.want {
			t.Errorf("%+v: GRPCUnguarded() = %v, want %v", tt.d, got, tt.want)
		}
	}
}

func TestCompareEngine(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"29.2.0", "29.2.0", 0},
		{"29.10.0", "29.2.0", 1},
		{"20.10.24+dfsg1", "29.2.0", -1},
		{"29.2", "29.2.0", 0},
		{"29.2.1", "29.2.0", 1},
		{"dev", "29.2.0", 1},
		{"dev", "dev", 0},
	}
	for _, tt := range tests {
		if got := CompareEngine(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareEngine(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := CompareEngine(tt.b, tt.a); got != -tt.want {
			t.Errorf("CompareEngine(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}
