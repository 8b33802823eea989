# Puts a Node.js >= 22 first on PATH, so `npm ci`, `npx jest` and `node dist/...` all run on it (npm and npx
# start with `#!/usr/bin/env node`, so they follow PATH too). A node already on PATH at >= 22 is used as it
# is; otherwise the pinned NODE_VERSION (versions.env) is installed once from the npm registry package
# node-<os>-<arch> into $AIRLOCK_CACHE/tools/node-<version>. Source it; do not run it.
# bin/airlock.js looks for the same directory when an older node starts it.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NODE_MIN_MAJOR=22

node_major() { # node_major BIN -> major version, 0 when BIN does not run
  "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

node_package() { # the npm package that ships the Node binary for this machine
  local os arch
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) die "node: no prebuilt Node for $(uname -s): install Node >= $NODE_MIN_MAJOR" ;; esac
  case "$(uname -m)" in x86_64 | amd64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) die "node: no prebuilt Node for $(uname -m): install Node >= $NODE_MIN_MAJOR" ;; esac
  printf 'node-%s-%s' "$os" "$arch"
}

install_node() { # install_node DIR: the pinned Node into DIR (bin/node, include/node for native addons)
  local dir=$1 pkg; pkg=$(node_package)
  hold_lock node   # in a subshell (see below): released when the install is done
  if [ -x "$dir/bin/node" ]; then return; fi
  command -v npm >/dev/null || die "node: npm is needed to install Node $NODE_VERSION (or install Node >= $NODE_MIN_MAJOR yourself)"
  step "installing Node $NODE_VERSION into the tool cache ($pkg from the npm registry, first time only)"
  local started=$SECONDS work; work=$(mktemp -d "$TOOLS_DIR/.node.XXXXXX")
  npm install --ignore-scripts --no-audit --no-fund --no-save --loglevel=error --prefix "$work" "$pkg@$NODE_VERSION" >&2 \
    || { rm -rf "$work"; die "node: npm install $pkg@$NODE_VERSION failed (output above)"; }
  [ "$("$work/node_modules/$pkg/bin/node" --version 2>/dev/null)" = "v$NODE_VERSION" ] \
    || { rm -rf "$work"; die "node: $pkg@$NODE_VERSION did not give a working node v$NODE_VERSION"; }
  rm -rf "$dir"
  mv "$work/node_modules/$pkg" "$dir"
  rm -rf "$work"
  info "Node $NODE_VERSION installed in $((SECONDS - started))s -> $dir/bin/node"
}

use_node() { # puts a node >= NODE_MIN_MAJOR first on PATH, installing the pinned one when needed
  local current; current=$(command -v node || true)
  if [ -n "$current" ] && [ "$(node_major "$current")" -ge "$NODE_MIN_MAJOR" ]; then return; fi
  local dir="$TOOLS_DIR/node-$NODE_VERSION"
  if [ ! -x "$dir/bin/node" ]; then
    info "node: ${current:-none on PATH}${current:+ is $("$current" --version 2>/dev/null)}; airlock needs Node >= $NODE_MIN_MAJOR"
    mkdir -p "$TOOLS_DIR"
    (install_node "$dir")
  fi
  export PATH="$dir/bin:$PATH"
  # Native addons (node-gyp) build against this node's headers, not a nodedir set for the older one.
  export npm_config_nodedir="$dir"
  info "node: $(node --version) from $dir/bin"
}

npm_ready() { # in the project root: npm ci when node_modules is missing or older than the lock (it builds), else a build
  prefetch_tools   # tools still to build: their modules download meanwhile (scripts/build-tools.sh --download)
  # a symlinked node_modules (a git worktree sharing another checkout's) is never reinstalled from here
  if [ ! -d node_modules ] || { [ ! -L node_modules ] && [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
    step "npm ci"
    npm ci --no-audit --no-fund
  else
    step "build (tsc + workflow bundle)"
    npm run --silent build
  fi
}

use_node
