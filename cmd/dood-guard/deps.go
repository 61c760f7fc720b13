package main
import (
 _ "github.com/docker/go-plugins-helpers/authorization"
 _ "github.com/open-policy-agent/opa/v1/rego"
 _ "github.com/open-policy-agent/opa/v1/tester"
 _ "github.com/sirupsen/logrus"
 _ "github.com/moby/moby/api/types/container"
 _ "github.com/google/go-cmp/cmp"
 _ "sigs.k8s.io/yaml"
 _ "github.com/cyphar/filepath-securejoin"
)
func main(){}
