package input

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// reference converts as the engine did before the document had types:
// encoding/json's text read back as plain values, then OPA's own
// conversion.
func reference(t *testing.T, x any) ast.Value {
	t.Helper()
	raw, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	av, err := ast.InterfaceToValue(v)
	if err != nil {
		t.Fatal(err)
	}
	return av
}

func ptr[T any](v T) *T { return &v }

// fullFacts sets every member, and every optional member of the parts.
func fullFacts() *Facts {
	uid := 0
	return &Facts{
		Privileged: &BoolFact{Value: true, Path: "HostConfig.Privileged"},
		Mounts: []Mount{
			{Type: "bind", Source: "/", Target: "/h", DriverOptions: map[string]string{}, Path: "HostConfig.Binds[0]",
				HostSource: ptr("/"), HostKind: ptr("dir"), CreateMountpoint: ptr(false), ReadOnlyNonRecursive: ptr(true)},
			{Type: "volume", Source: "v", Driver: "local", DriverOptions: map[string]string{"o": "bind", "device": "/"}, Subpath: ptr(""),
				Templated: []string{}},
		},
		VolumesFrom:       []StringFact{{Value: "c:ro", Path: "HostConfig.VolumesFrom[0]"}},
		Capabilities:      &Capabilities{Add: []StringFact{{Value: "CAP_SYS_ADMIN", Path: "HostConfig.CapAdd[0]"}}, Drop: []StringFact{}},
		Seccomp:           &Seccomp{Mode: "custom", Path: "p", Digest: ptr("sha256:x"), Error: ptr(""), Unconfined: ptr(false), DefaultAction: ptr("SCMP_ACT_ERRNO"), DefaultAllows: ptr(false), AllowsRefusedSyscalls: []string{"keyctl"}},
		Namespaces:        &Namespaces{Pid: Namespace{Mode: "host", Path: "HostConfig.PidMode"}},
		Devices:           []Device{{PathOnHost: "/dev/sda", PathInContainer: "/dev/sda", Permissions: "rwm", Path: "HostConfig.Devices[0]"}},
		DeviceCgroupRules: []StringFact{},
		DeviceRequests:    []DeviceRequest{{Driver: "cdi", Count: -1, DeviceIDs: []string{"a=b"}, Capabilities: [][]string{{"gpu"}}, CDIDevices: []string{"a=b"}, Path: "x"}},
		SecurityOptions:   []SecurityOption{{Key: "seccomp", Value: "unconfined", Raw: "seccomp=unconfined", Path: "y"}},
		Runtime:           &StringFact{Path: "HostConfig.Runtime"},
		CgroupParent:      &StringFact{Value: "/", Path: "HostConfig.CgroupParent"},
		MaskedPaths:       &PathList{Value: []string{}, Path: "HostConfig.MaskedPaths"},
		ReadonlyPaths:     &PathList{Set: true, Value: []string{"/proc"}, Path: "HostConfig.ReadonlyPaths"},
		RestartPolicy:     &StringFact{Value: "always", Path: "HostConfig.RestartPolicy.Name"},
		Annotations:       []KeyValue{{Key: ptr(""), Name: "", Value: "v", Path: `HostConfig.Annotations[""]`}},
		Sysctls:           []KeyValue{{Name: "net.x", Value: "1", Raw: ptr("net.x=1"), Endpoint: true, Network: ptr(""), Path: "z"}},
		User:              &User{Value: "0", Path: "User", UID: &uid},
		WorkingDir:        &StringFact{Value: "/", Path: "WorkingDir"},
		Networks:          []Network{{Target: "host", Path: "n"}},
		Image:             &StringFact{Value: "busybox", Path: "i"},
		Plugin:            &Plugin{Name: "p", Privileges: []Privilege{{Name: "mount", Value: []string{"/"}}}, Path: "TaskTemplate.PluginSpec"},
	}
}

// fullState has a known and a missing container and volume, and the chain.
func fullState() *State {
	return &State{
		Containers: map[string]*Container{
			"gone": {Path: "params.name"},
			"web": {Found: true, Path: "HostConfig.VolumesFrom[0]", Existing: &Existing{
				ID: "2f1c", Name: "web", Privileged: true,
				Mounts:     []ContainerMount{{Type: "bind", Source: "/", Destination: "/h", HostSource: ptr("/"), HostKind: ptr("dir")}, {Type: "volume", Name: "v"}},
				Namespaces: map[string]string{"pid": "host"}, CapAdd: []string{"CAP_SYS_ADMIN"}, Labels: map[string]string{"a": "b"},
				Body: map[string]any{"Image": "x"}, Facts: fullFacts(),
			}},
		},
		Volumes: map[string]*Volume{
			"v":    {Found: true, Path: "p", VolumeInfo: &VolumeInfo{Name: "v", Driver: "local", Options: map[string]string{"o": "bind"}}},
			"none": {Path: "q"},
		},
		AuthzPlugins: []AuthzPlugin{{Name: "dood-guard:latest", ID: "id", Plugin: "dood-guard:latest"}, {Name: "legacy"}},
	}
}

// TestValueIsTheJSONShape: Value gives what encoding/json's text of the
// same document gives, read by OPA, for documents whose lists and maps
// are all set (the normaliser never leaves one nil): absent members stay
// absent, a null uid stays null.
func TestValueIsTheJSONShape(t *testing.T) {
	cases := map[string]any{
		"every fact":      &Document{Phase: "request", Params: map[string]string{"name": "x"}, Query: map[string]string{}, Facts: fullFacts()},
		"no facts":        &Document{Phase: "response", Params: map[string]string{}, Query: map[string]string{"a": "b"}},
		"exec facts":      &Document{Params: map[string]string{}, Query: map[string]string{}, Facts: &Facts{Privileged: &BoolFact{}, User: &User{Value: "root", Name: "root"}, WorkingDir: &StringFact{}}},
		"state":           &Document{Params: map[string]string{}, Query: map[string]string{}, State: fullState()},
		"default seccomp": &Seccomp{Mode: "default"},
	}
	for name, x := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Value(x)
			if err != nil {
				t.Fatal(err)
			}
			if want := reference(t, x); want.Compare(got) != 0 {
				t.Errorf("Value:\n got %v\nwant %v", got, want)
			}
		})
	}
}

// TestValueNilListsAreEmpty: a nil list or map is an empty one, as the
// map-based documents always read, never null.
func TestValueNilListsAreEmpty(t *testing.T) {
	got, err := Value(&Capabilities{})
	if err != nil {
		t.Fatal(err)
	}
	want := ast.MustParseTerm(`{"add": [], "drop": []}`).Value
	if want.Compare(got) != 0 {
		t.Errorf("got %v, want %v", got, want)
	}
	got, err = Value(&Document{})
	if err != nil {
		t.Fatal(err)
	}
	if p := got.(ast.Object).Get(ast.StringTerm("params")); p == nil || p.Value.Compare(ast.NewObject()) != 0 {
		t.Errorf("params = %v, want {}", p)
	}
}

// TestValuePassesOPAValuesThrough: the body, built once as an OPA value,
// is not converted again.
func TestValuePassesOPAValuesThrough(t *testing.T) {
	body := ast.NewObject(ast.Item(ast.StringTerm("Image"), ast.StringTerm("x")))
	got, err := Value(&Document{Body: body})
	if err != nil {
		t.Fatal(err)
	}
	if b := got.(ast.Object).Get(ast.StringTerm("body")); b == nil || b.Value != ast.Value(body) {
		t.Errorf("body = %v, want the very value handed in", b)
	}
}

// TestSharedObjectsAreTheBuiltOnes: a struct whose members are all shared
// terms converts to one object shared by every document (the second
// conversion hands out the first's), equal to the one built; an absent
// member and a present one never share; and once the table is full,
// objects are built as before.
func TestSharedObjectsAreTheBuiltOnes(t *testing.T) {
	ns := &Namespaces{Pid: Namespace{Mode: "", Path: "HostConfig.PidMode"}, Network: Namespace{Mode: "default", Path: "HostConfig.NetworkMode"}}
	first, err := Value(ns)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Value(ns)
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Error("the namespaces of two documents are two objects, want one shared")
	}
	if want := reference(t, ns); want.Compare(second) != 0 {
		t.Errorf("shared %v, want %v", second, want)
	}
	// A short list of shared terms is shared too, and so what holds it.
	caps := &Capabilities{Add: []StringFact{}, Drop: []StringFact{{Value: "", Path: "User"}, {Value: "default", Path: "User"}}}
	c1, err := Value(caps)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := Value(caps)
	if err != nil {
		t.Fatal(err)
	}
	if c1 != c2 {
		t.Error("capabilities of shared terms are not shared")
	}
	if want := reference(t, caps); want.Compare(c2) != 0 {
		t.Errorf("shared %v, want %v", c2, want)
	}
	// uid absent (omitzero) and uid null differ only by the member's presence.
	zero := 0
	for _, u := range []*User{{Value: "", Path: "User"}, {Value: "", Path: "User", UID: &zero}, {Value: "", Path: "User"}} {
		got, err := Value(u)
		if err != nil {
			t.Fatal(err)
		}
		if want := reference(t, u); want.Compare(got) != 0 {
			t.Errorf("user %+v: got %v, want %v", u, got, want)
		}
	}

	sharedObjects.mu.Lock()
	saved := sharedObjects.m
	full := make(map[sharedKey]*ast.Term, maxShared)
	for i := range maxShared {
		full[sharedKey{terms: [maxSharedMembers]*ast.Term{ast.InternedTerm(i)}}] = ast.NullTerm()
	}
	sharedObjects.m = full
	sharedObjects.mu.Unlock()
	defer func() {
		sharedObjects.mu.Lock()
		sharedObjects.m = saved
		sharedObjects.mu.Unlock()
	}()
	f := &BoolFact{Value: true, Path: "HostConfig.Privileged"}
	got, err := Value(f)
	if err != nil {
		t.Fatal(err)
	}
	if want := reference(t, f); want.Compare(got) != 0 {
		t.Errorf("with the table full: got %v, want %v", got, want)
	}
	if len(full) != maxShared {
		t.Errorf("the full table grew to %d", len(full))
	}
}

// TestSharedObjectsAreSortedBeforeShared: as jsonterm's shared values, a
// shared object is sorted before it is handed out, so evaluations copying
// and comparing it at once only read it (run with -race).
func TestSharedObjectsAreSortedBeforeShared(t *testing.T) {
	ns := &Namespaces{Uts: Namespace{Mode: "default", Path: "User"}, Ipc: Namespace{Mode: "", Path: "User"}}
	want := reference(t, ns)
	var v ast.Value
	for range 2 {
		var err error
		if v, err = Value(ns); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	for i := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			if i%2 == 0 {
				if c := v.(ast.Object).Copy(); c.Compare(want) != 0 {
					t.Errorf("copy %v, want %v", c, want)
				}
				return
			}
			if v.Compare(want) != 0 {
				t.Errorf("%v, want %v", v, want)
			}
		}()
	}
	for range 8 {
		<-done
	}
}
