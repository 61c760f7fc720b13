package decode

import "testing"

// Daemons attach a service to the top-level Networks when TaskTemplate has
// none; the guard must see them although moby's current types dropped the
// field.
func TestServiceSpecKeepsTopLevelNetworks(t *testing.T) {
	v, err := Body("service.create", []byte(`{"Name":"s","networks":[{"Target":"host"}],"TaskTemplate":{"ContainerSpec":{"Image":"x"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	s := v.(*ServiceSpec)
	if len(s.Networks) != 1 || s.Networks[0].Target != "host" {
		t.Errorf("top-level Networks = %+v, want the host network", s.Networks)
	}
	if s.Name != "s" || s.TaskTemplate.ContainerSpec == nil || s.TaskTemplate.ContainerSpec.Image != "x" {
		t.Errorf("spec fields lost: %+v", s.ServiceSpec)
	}
}
