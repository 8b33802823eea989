#!/usr/bin/env bash
# Builds the Temporal CLI, the Temporal UI server, Pulumi CLI, Trivy and trivy-db from their Go modules at pinned versions
# into $AIRLOCK_CACHE/tools/<name>-<version>/bin. A tool already built is reused; nothing else is touched.
source "$(dirname "$0")/lib.sh"
hold_lock tools   # one build at a time, even when two bootstraps run at once
command -v go >/dev/null || die "go is not installed: install Go >= 1.26 (https://go.dev/dl) and re-run"

build_with_module() { # NAME VERSION PKG REQUIRE... -- extra go build flags via env LDFLAGS/TAGS/EXTRA_ENV
  local name=$1 version=$2 pkg=$3; shift 3
  local out; out=$(tool_bin "$name" "$version")
  if [ -x "$out" ]; then info "$name $version: cached at $out"; return; fi
  local override="AIRLOCK_${name^^}_BIN"; override=${override//-/_}
  if [ -n "${!override:-}" ]; then info "$name: using ${!override} (from $override)"; return; fi
  if command -v "$name" >/dev/null && "$name" --version 2>/dev/null | grep -q -- "${version#v}"; then
    info "$name $version: using $(command -v "$name") from PATH"; return
  fi
  step "building $name $version from its Go module (first time only: a few minutes)"
  local work; work=$(mktemp -d)
  local started=$SECONDS
  (
    cd "$work"
    go mod init "airlock-tools/$name" >/dev/null 2>&1
    for r in ${REPLACES:-}; do go mod edit -replace="$r"; done
    for req in "$@"; do go mod edit -require="$req"; done
    go mod edit -go=1.26
    printf 'package tools\nimport _ "%s"\n' "$pkg" > tools.go
    env ${EXTRA_ENV:-} go mod tidy >/dev/null
    mkdir -p "$(dirname "$out")"
    env ${EXTRA_ENV:-} go build -trimpath -tags "${TAGS:-}" -ldflags "-s -w ${LDFLAGS:-}" -o "$out.tmp" "$pkg"
  ) || { rm -rf "$work"; die "building $name failed (see the go output above)"; }
  mv "$out.tmp" "$out"
  rm -rf "$work"
  info "$name $version built in $((SECONDS - started))s -> $out"
}

# Temporal CLI: v1.5.1 is the newest release whose go.mod has no local replace (1.8+ need ./cliext, which
# the module proxy does not serve).
REPLACES="" LDFLAGS="-X github.com/temporalio/cli/temporalcli.Version=$TEMPORAL_VERSION" TAGS="" EXTRA_ENV="CGO_ENABLED=0" \
  build_with_module temporal "$TEMPORAL_VERSION" github.com/temporalio/cli/cmd/temporal \
  "github.com/temporalio/cli@v$TEMPORAL_VERSION"

# Temporal UI server: run beside the headless dev server with write actions disabled (docs/security.md, item 13).
REPLACES="" LDFLAGS="" TAGS="" EXTRA_ENV="CGO_ENABLED=0" \
  build_with_module temporal-ui "$TEMPORAL_UI_VERSION" github.com/temporalio/ui-server/v2/cmd/server \
  "github.com/temporalio/ui-server/v2@v$TEMPORAL_UI_VERSION"

# Pulumi CLI: pkg/v3 replaces sdk/v3 with ../sdk (pin the same version) and atotto/clipboard (copied).
REPLACES="github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e" \
LDFLAGS="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" TAGS="osusergo,grpcnotrace" EXTRA_ENV="CGO_ENABLED=0" \
  build_with_module pulumi "$PULUMI_VERSION" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
  "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION"

# Trivy needs the jsonv2 experiment.
REPLACES="" LDFLAGS="-X github.com/aquasecurity/trivy/pkg/version/app.ver=$TRIVY_VERSION" TAGS="" EXTRA_ENV="CGO_ENABLED=0 GOEXPERIMENT=jsonv2" \
  build_with_module trivy "$TRIVY_VERSION" github.com/aquasecurity/trivy/cmd/trivy \
  "github.com/aquasecurity/trivy@v$TRIVY_VERSION"

# trivy-db builds the small fixture vulnerability DB used by tests (same version Trivy links against).
REPLACES="" LDFLAGS="" TAGS="" EXTRA_ENV="CGO_ENABLED=0" \
  build_with_module trivy-db "$TRIVY_DB_VERSION" github.com/aquasecurity/trivy-db/cmd/trivy-db \
  "github.com/aquasecurity/trivy-db@$TRIVY_DB_VERSION"
