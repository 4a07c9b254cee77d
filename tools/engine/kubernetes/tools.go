//go:build tools

// Package tools pins the packages the provider's main package (copied from the module cache into the
// git-ignored cmd/pulumi-resource-kubernetes by tools/build-engine.sh) and its schema generator import,
// so `go mod tidy` keeps their dependencies.
package tools

import (
	_ "github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	_ "github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
	_ "github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)
