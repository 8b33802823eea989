# Shared helpers for airlock's bootstrap scripts. Source it; do not run it.
# Every directory is configuration: AIRLOCK_CACHE (tools, base images), AIRLOCK_HOME (state, logs, pids).
set -euo pipefail

AIRLOCK_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
AIRLOCK_CACHE=${AIRLOCK_CACHE:-$HOME/.cache/airlock}
AIRLOCK_HOME=${AIRLOCK_HOME:-$HOME/.local/state/airlock}
TOOLS_DIR="$AIRLOCK_CACHE/tools"

# Pinned tool versions (see docs/toolchain.md for why these).
# shellcheck source=versions.env
source "$AIRLOCK_ROOT/scripts/versions.env"

export GOTOOLCHAIN=local
export GOFLAGS=-buildvcs=false

step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
info() { printf '    %s\n' "$*" >&2; }
die() { printf 'airlock bootstrap: %s\n' "$*" >&2; exit 1; }

tool_bin() { # tool_bin NAME VERSION -> path of the cached binary
  printf '%s/%s-%s/bin/%s' "$TOOLS_DIR" "$1" "$2" "$1"
}

hold_lock() { # hold_lock NAME: serialise concurrent bootstraps on this machine (released at exit)
  mkdir -p "$AIRLOCK_CACHE"
  exec {lock_fd}>"$AIRLOCK_CACHE/.$1.lock"
  if ! flock -n "$lock_fd"; then
    info "another airlock bootstrap holds the $1 lock (building, or downloading ahead); waiting for it"
    flock "$lock_fd"
  fi
}

prefetch_tools() { # the Go modules of the tools still to build start downloading in the background (best effort)
  command -v go >/dev/null || return 0
  mkdir -p "$AIRLOCK_HOME/logs"
  # network bound, so it overlaps npm ci, lint, apt and dockerd; the build waits for it on the tools lock
  (bash "$AIRLOCK_ROOT/scripts/build-tools.sh" --download >>"$AIRLOCK_HOME/logs/tool-downloads.log" 2>&1 &)
}
