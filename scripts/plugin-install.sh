#!/bin/sh
# Install/update hook of the Helm plugin (plugin.yaml `hooks`): puts the stackcheck binary at
# $HELM_PLUGIN_DIR/bin/stackcheck, where scripts/plugin-run.sh runs it from.
#
#   1. STACKCHECK_BINARY=/path/to/stackcheck set: copy that binary (always wins);
#   2. else, on install, a binary already at bin/stackcheck (e.g. a release archive) is kept;
#   3. else build from the plugin's source: cargo build --release --locked.
#      (On update the sources may have changed, so it rebuilds whenever cargo is available.)
#
# Usage: plugin-install.sh [install|update]      (Helm runs it from the plugin directory.)
set -eu
event="${1:-install}"
dir="${HELM_PLUGIN_DIR:-$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)}"
bin="$dir/bin/stackcheck"
cargo="${CARGO:-cargo}"

say() { echo "stackcheck: $*" >&2; }

# place SRC: copy SRC to bin/stackcheck through a temporary name, so a running copy is never
# overwritten in place ("text file busy") and a half-copied file is never left behind.
place() {
  mkdir -p "$dir/bin"
  tmp="$dir/bin/.stackcheck.$$"
  cp -- "$1" "$tmp"
  chmod 755 "$tmp"
  mv -f -- "$tmp" "$bin"
}

if [ -n "${STACKCHECK_BINARY:-}" ]; then
  if [ ! -f "$STACKCHECK_BINARY" ] || [ ! -x "$STACKCHECK_BINARY" ]; then
    say "STACKCHECK_BINARY=$STACKCHECK_BINARY is not an executable file"
    exit 1
  fi
  place "$STACKCHECK_BINARY"
  say "installed $STACKCHECK_BINARY as $bin"
  exit 0
fi

have_cargo=0
if command -v "$cargo" >/dev/null 2>&1; then have_cargo=1; fi

if [ -x "$bin" ] && { [ "$event" != update ] || [ "$have_cargo" = 0 ] || [ ! -f "$dir/Cargo.toml" ]; }; then
  if [ "$event" = update ] && [ -f "$dir/Cargo.toml" ]; then
    say "warning: cargo not found; keeping the existing $bin, which may be older than the update"
  fi
  say "using the existing binary $bin"
  exit 0
fi

if [ ! -f "$dir/Cargo.toml" ]; then
  say "no binary at $bin and no Cargo.toml in $dir to build one from."
  say "set STACKCHECK_BINARY=/path/to/stackcheck, then run: sh '$dir/scripts/plugin-install.sh'"
  exit 1
fi
if [ "$have_cargo" = 0 ]; then
  say "no binary at $bin, and cargo (the Rust toolchain) was not found to build one."
  say "install Rust (https://rustup.rs), then run: sh '$dir/scripts/plugin-install.sh'"
  say "(or first set STACKCHECK_BINARY=/path/to/a/built/stackcheck)."
  exit 1
fi

say "building stackcheck with cargo build --release --locked (a few minutes the first time) ..."
cd "$dir"
"$cargo" build --release --locked >&2
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$dir/$target" ;; esac
place "$target/release/stackcheck"
say "built $bin"
