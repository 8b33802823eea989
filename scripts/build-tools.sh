#!/usr/bin/env bash
# Builds the Temporal CLI, the Temporal UI server, Pulumi CLI, Trivy and trivy-db from their Go modules at pinned versions
# into $AIRLOCK_CACHE/tools/<name>-<version>/bin. A tool already built is reused; nothing else is touched.
#   build-tools.sh             download what is missing, then build (side by side when the machine has more than 2 cores)
#   build-tools.sh --download  only download the modules of the tools still to build, all at once (the bootstrap runs
#                              this in the background while apt and dockerd run; best effort: the build says what failed)
source "$(dirname "$0")/lib.sh"
hold_lock tools   # one build at a time, even when two bootstraps run at once
mode=${1:-build}
if ! command -v go >/dev/null; then
  [ "$mode" = --download ] && exit 0
  die "go is not installed: install Go >= 1.26 (https://go.dev/dl) and re-run"
fi

# name|version|package|requires (space separated)|replaces|ldflags|tags|env
TOOLS=(
  # Temporal CLI: v1.5.1 is the newest release whose go.mod has no local replace (1.8+ need ./cliext, which the
  # module proxy does not serve).
  "temporal|$TEMPORAL_VERSION|github.com/temporalio/cli/cmd/temporal|github.com/temporalio/cli@v$TEMPORAL_VERSION||-X github.com/temporalio/cli/temporalcli.Version=$TEMPORAL_VERSION||CGO_ENABLED=0"
  # Temporal UI server: run beside the headless dev server with write actions disabled (docs/security.md, item 13).
  "temporal-ui|$TEMPORAL_UI_VERSION|github.com/temporalio/ui-server/v2/cmd/server|github.com/temporalio/ui-server/v2@v$TEMPORAL_UI_VERSION||||CGO_ENABLED=0"
  # Pulumi CLI: pkg/v3 replaces sdk/v3 with ../sdk (pin the same version) and atotto/clipboard (copied).
  "pulumi|$PULUMI_VERSION|github.com/pulumi/pulumi/pkg/v3/cmd/pulumi|github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION|github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e|-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION|osusergo,grpcnotrace|CGO_ENABLED=0"
  # Trivy needs the jsonv2 experiment.
  "trivy|$TRIVY_VERSION|github.com/aquasecurity/trivy/cmd/trivy|github.com/aquasecurity/trivy@v$TRIVY_VERSION||-X github.com/aquasecurity/trivy/pkg/version/app.ver=$TRIVY_VERSION||CGO_ENABLED=0 GOEXPERIMENT=jsonv2"
  # trivy-db builds the small fixture vulnerability DB used by tests (same version Trivy links against).
  "trivy-db|$TRIVY_DB_VERSION|github.com/aquasecurity/trivy-db/cmd/trivy-db|github.com/aquasecurity/trivy-db@$TRIVY_DB_VERSION||||CGO_ENABLED=0"
)

# Whether NAME VERSION must be built: not cached, no AIRLOCK_<NAME>_BIN, not on PATH at that version.
needed() {
  local name=$1 version=$2 out; out=$(tool_bin "$name" "$version")
  if [ -x "$out" ]; then info "$name $version: cached at $out"; return 1; fi
  local override="AIRLOCK_${name^^}_BIN"; override=${override//-/_}
  if [ -n "${!override:-}" ]; then info "$name: using ${!override} (from $override)"; return 1; fi
  if command -v "$name" >/dev/null && "$name" --version 2>/dev/null | grep -q -- "${version#v}"; then
    info "$name $version: using $(command -v "$name") from PATH"; return 1
  fi
}

workdir() { printf '%s/.work/%s-%s' "$TOOLS_DIR" "$1" "$2"; }

# A throwaway module that requires the tool (go install refuses modules with replace directives), its
# dependencies downloaded (`go mod tidy`). Kept until the build has used it; a finished one is reused.
prepare() { # prepare ENTRY
  local name version pkg requires replaces env
  IFS='|' read -r name version pkg requires replaces _ _ env <<<"$1"
  local work; work=$(workdir "$name" "$version")
  [ -f "$work/.downloaded" ] && return 0
  rm -rf "$work" && mkdir -p "$work"
  (
    cd "$work"
    go mod init "airlock-tools/$name" >/dev/null 2>&1
    for r in $replaces; do go mod edit -replace="$r"; done
    for req in $requires; do go mod edit -require="$req"; done
    go mod edit -go=1.26
    printf 'package tools\nimport _ "%s"\n' "$pkg" > tools.go
    env $env go mod tidy >/dev/null
  ) && touch "$work/.downloaded"
}

build() { # build ENTRY
  local name version pkg ldflags tags env
  IFS='|' read -r name version pkg _ _ ldflags tags env <<<"$1"
  local out; out=$(tool_bin "$name" "$version")
  local work; work=$(workdir "$name" "$version")
  local started=$SECONDS
  step "building $name $version from its Go module (first time only: a few minutes)"
  prepare "$1" || { rm -rf "$work"; die "downloading the modules of $name failed (see the go output above)"; }
  mkdir -p "$(dirname "$out")"
  (cd "$work" && env $env go build -trimpath -tags "$tags" -ldflags "-s -w $ldflags" -o "$out.tmp" "$pkg") \
    || { rm -rf "$work"; die "building $name failed (see the go output above)"; }
  mv "$out.tmp" "$out"
  rm -rf "$work"
  info "$name $version built in $((SECONDS - started))s -> $out"
}

todo=()
for entry in "${TOOLS[@]}"; do
  IFS='|' read -r name version _ <<<"$entry"
  if [ "$mode" = --download ]; then needed "$name" "$version" 2>/dev/null && todo+=("$entry")
  else needed "$name" "$version" && todo+=("$entry"); fi
done
[ ${#todo[@]} -eq 0 ] && exit 0

if [ "$mode" = --download ]; then
  # network bound: every tool's modules at once
  started=$SECONDS
  pids=()
  for entry in "${todo[@]}"; do prepare "$entry" & pids+=($!); done
  failed=0
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  info "tool modules downloaded in $((SECONDS - started))s$([ $failed = 1 ] && echo ' (some failed: the build says which)')"
  exit 0
fi

if [ "$(nproc)" -gt 2 ] && [ ${#todo[@]} -gt 1 ]; then
  # go build uses every core for a package's compile, but links and many small packages leave cores idle
  info "building ${#todo[@]} tools side by side ($(nproc) cores)"
  pids=()
  for entry in "${todo[@]}"; do build "$entry" & pids+=($!); done
  for pid in "${pids[@]}"; do wait "$pid" || die "a tool build failed (see above)"; done
else
  for entry in "${todo[@]}"; do build "$entry"; done
fi
# every throwaway module is gone once its build used it; the folder that held them goes too when empty
rmdir "$TOOLS_DIR/.work" 2>/dev/null || true
