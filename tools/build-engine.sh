#!/usr/bin/env bash
# Build the real Pulumi engine binaries from the Go module proxy into .tools/bin (git-ignored):
#   pulumi                       CLI/engine     tools/engine/cli         (github.com/pulumi/pulumi/pkg/v3)
#   pulumi-resource-kubernetes   k8s provider   tools/engine/kubernetes  (github.com/pulumi/pulumi-kubernetes/provider/v4)
# A binary is rebuilt only when missing or when its tools module (go.mod/go.sum) changed; --force rebuilds.
# The first build takes 13-20 minutes on 2 cores (34 s with warm Go caches); see tools/engine/README.md for versions and timings.
#
# Usage: tools/build-engine.sh [--force]
# Env:   ENGINE_BUILD_JOBS (go build -p, default 2), ENGINE_BIN (output dir, default <repo>/.tools/bin)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENGINE="$ROOT/tools/engine"
BIN=${ENGINE_BIN:-"$ROOT/.tools/bin"}
JOBS=${ENGINE_BUILD_JOBS:-2}
FORCE=0
case "${1:-}" in
    "") ;;
    --force) FORCE=1 ;;
    *) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

say() { echo "build-engine: $*"; }
die() { echo "build-engine: ERROR: $*" >&2; exit 1; }

command -v go >/dev/null 2>&1 || die "Go is not installed (need go >= 1.26.6 on PATH; the engine is built from the Go module proxy)"
# The CLI module needs go 1.26.6; an older go would try to fetch a toolchain, which we do not want implicitly.
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
# go.mod/go.sum are the pins: never let a build edit them.
export GOFLAGS="${GOFLAGS:-} -mod=readonly"
mkdir -p "$BIN"

# stamp MODULE_DIR: what a built binary depends on, so a changed pin triggers a rebuild.
stamp() { (cd "$1" && cat go.mod go.sum && go version) | sha256sum | cut -d' ' -f1; }

# needs NAME MODULE_DIR: true when NAME must be (re)built.
needs() {
    local name=$1 dir=$2
    [[ $FORCE == 1 || ! -x "$BIN/$name" || ! -f "$BIN/.$name.stamp" ]] && return 0
    [[ "$(cat "$BIN/.$name.stamp")" != "$(stamp "$dir")" ]]
}

# build NAME MODULE_DIR PACKAGE LDFLAGS
build() {
    local name=$1 dir=$2 pkg=$3 ldflags=$4 start=$SECONDS
    say "building $name from $pkg (go build -p $JOBS, nice 10; the first build of each takes minutes)"
    # -s -w: no symbol tables; these binaries are run, not debugged, and it halves their size.
    if ! (cd "$dir" && nice -n 10 go build -p "$JOBS" -ldflags "-s -w $ldflags" -o "$BIN/$name.tmp" "$pkg"); then
        rm -f "$BIN/$name.tmp"
        die "go build of $name failed (module $dir, $(go version)); see the errors above"
    fi
    mv "$BIN/$name.tmp" "$BIN/$name"
    stamp "$dir" >"$BIN/.$name.stamp"
    say "built $BIN/$name in $((SECONDS - start))s"
}

version_of() { (cd "$1" && go list -m -f '{{.Version}}' "$2"); }

# --- the CLI ---------------------------------------------------------------------------------
CLI="$ENGINE/cli"
if needs pulumi "$CLI"; then
    v=$(version_of "$CLI" github.com/pulumi/pulumi/pkg/v3) || die "cannot resolve github.com/pulumi/pulumi/pkg/v3 (module proxy reachable?)"
    build pulumi "$CLI" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
        "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v"
else
    say "pulumi is up to date ($BIN/pulumi)"
fi

# --- the Kubernetes provider -----------------------------------------------------------------
# Its main package embeds schema-embed.json, which upstream generates (go:generate) and does not publish,
# so the package is copied from the module cache into the git-ignored cmd/ dir and generated there.
K8S="$ENGINE/kubernetes"
if needs pulumi-resource-kubernetes "$K8S"; then
    mod=github.com/pulumi/pulumi-kubernetes/provider/v4
    v=$(version_of "$K8S" "$mod") || die "cannot resolve $mod (module proxy reachable?)"
    src=$(cd "$K8S" && go mod download -json "$mod@$v" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [[ -d "$src/cmd/pulumi-resource-kubernetes" ]] || die "module $mod@$v has no cmd/pulumi-resource-kubernetes in $src"
    gen="$K8S/cmd/pulumi-resource-kubernetes"
    rm -rf "$gen" && mkdir -p "$gen"
    cp "$src"/cmd/pulumi-resource-kubernetes/{main.go,generate.go,schema.json,terraform-mapping.json} "$gen/"
    chmod u+w "$gen"/*
    # The provider reports this version; strip the leading v as upstream's Makefile does.
    say "generating the provider's embedded schema (version ${v#v})"
    (cd "$gen" && VERSION=${v#v} nice -n 10 go run generate.go) || die "schema generation for the Kubernetes provider failed"
    build pulumi-resource-kubernetes "$K8S" ./cmd/pulumi-resource-kubernetes \
        "-X $mod/pkg/version.Version=${v#v}"
else
    say "pulumi-resource-kubernetes is up to date ($BIN/pulumi-resource-kubernetes)"
fi

"$BIN/pulumi" version >/dev/null || die "$BIN/pulumi does not run"
say "ready: $(ls "$BIN" | tr '\n' ' ')(pulumi $("$BIN/pulumi" version))"
