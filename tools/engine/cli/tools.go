//go:build tools

// Package tools pins the Pulumi CLI main package so `go mod tidy` keeps its dependencies.
// Build with: go build -o .tools/bin/pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
