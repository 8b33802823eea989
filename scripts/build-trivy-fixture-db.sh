#!/usr/bin/env bash
# Builds the small Trivy vulnerability DB used with AIRLOCK_TRIVY_DB=fixture (set by the tests and
# the demo; the default is Trivy's real, online DB): trivy-db's own builder run over the upstream-format (GHSA/OSV JSON)
# advisories in test/fixtures/trivy-db. Output: $AIRLOCK_CACHE/trivy/fixture/db/{trivy.db,metadata.json}.
# Idempotent: rebuilt only when the fixture files or the trivy-db version change.
source "$(dirname "$0")/lib.sh"
bin=$(tool_bin trivy-db "$TRIVY_DB_VERSION")
[ -x "$bin" ] || die "trivy-db $TRIVY_DB_VERSION is not built: run scripts/build-tools.sh (or npx airlock dev up)"
# trivy-db's GHSA source asks `go list std` for the standard library's packages when it starts.
command -v go >/dev/null || die "trivy-db needs go on PATH when it runs: install Go >= 1.26"
src="$AIRLOCK_ROOT/test/fixtures/trivy-db"
out="$AIRLOCK_CACHE/trivy/fixture/db"
stamp=$( (cd "$src" && find . -type f -name '*.json' | LC_ALL=C sort | xargs -r sha256sum; echo "trivy-db $TRIVY_DB_VERSION") | sha256sum | cut -d' ' -f1)
if [ -f "$out/trivy.db" ] && [ -f "$out/metadata.json" ] && [ "$(cat "$out/fixture.sha256" 2>/dev/null)" = "$stamp" ]; then
  info "fixture vulnerability DB: up to date ($out)"
  exit 0
fi
step "building the fixture vulnerability DB from test/fixtures/trivy-db"
started=$SECONDS
mkdir -p "$(dirname "$out")"
work=$(mktemp -d "$(dirname "$out")/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src/cocoapods-specs/Specs" # the GHSA source walks it (CocoaPods names for Swift advisories)
cp -r "$src/ghsa" "$work/src/"
"$bin" build --cache-dir "$work/src" --output-dir "$work/db" --update-interval 8760h --only-update ghsa >"$work/log" 2>&1 \
  || { tail -20 "$work/log" >&2; die "trivy-db build failed (log above)"; }
[ -s "$work/db/trivy.db" ] && [ -s "$work/db/metadata.json" ] || { tail -20 "$work/log" >&2; die "trivy-db build wrote no trivy.db/metadata.json"; }
echo "$stamp" >"$work/db/fixture.sha256"
chmod 755 "$work/db"
rm -rf "$out.old"
if [ -d "$out" ]; then mv "$out" "$out.old"; fi
mv "$work/db" "$out"
rm -rf "$out.old"
info "fixture vulnerability DB built in $((SECONDS - started))s -> $out"
