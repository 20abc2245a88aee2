#!/bin/sh
# Install/update hook of the Helm plugin (plugin.yaml `hooks`): puts the stackcheck binary at
# $HELM_PLUGIN_DIR/bin/stackcheck, where scripts/plugin-run.sh runs it from. It never keeps a
# downloaded binary whose checksum it has not checked. In this order:
#
#   1. STACKCHECK_BINARY=/path/to/stackcheck set: copy that binary (your choice; always wins).
#   2. A release archive or Helm v4 plugin package (made by scripts/release.sh) carries
#      bin/stackcheck and checksums.sha256: the binary is kept only when every file has the
#      SHA-256 that checksums.sha256 lists. On a mismatch it is deleted and the hook fails.
#   3. A prebuilt release: SHA256SUMS and stackcheck-VERSION-TARGET.tar.gz from
#      $STACKCHECK_RELEASE_URL (default: the GitHub release vVERSION), VERSION from plugin.yaml and
#      TARGET this machine's Rust target triple ($STACKCHECK_TARGET overrides it). The archive is
#      opened only when its SHA-256 is the one SHA256SUMS lists, and its binary is used only when
#      it matches the archive's checksums.sha256. A mismatch fails the hook. When the release
#      is not there (not published for this target, offline, no curl or wget), go on with 4.
#   4. Build from the plugin's sources: cargo build --release --locked.
#
# A git checkout that is not exactly at the release tag vVERSION (a development tree) tries 4
# before 3, since its own sources are what it wants. A source tree keeps a binary it already has
# on install (on update it fetches or builds again). STACKCHECK_INSTALL_FROM=release uses only 3
# (it never builds); STACKCHECK_INSTALL_FROM=source uses only 4 (it never downloads). After 1, 3
# or 4 the hook writes completion.yaml (Helm's completion of `helm stackcheck`) from the binary.
#
# Usage: plugin-install.sh [install|update]      (Helm runs it from the plugin directory.)
set -eu
event="${1:-install}"
dir="${HELM_PLUGIN_DIR:-$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)}"
bin="$dir/bin/stackcheck"
cargo="${CARGO:-cargo}"
from="${STACKCHECK_INSTALL_FROM:-auto}"
tmpd=""
trap 'if [ -n "$tmpd" ]; then rm -rf "$tmpd"; fi' EXIT

say() { echo "stackcheck: $*" >&2; }
refuse() {
  say "REFUSED: $*"
  exit 1
}

case "$from" in
  auto | release | source) ;;
  *) say "STACKCHECK_INSTALL_FROM=$from: use auto, release or source"; exit 1 ;;
esac

version="$(sed -n 's/^version:[[:space:]]*"\{0,1\}\([^"[:space:]]*\)"\{0,1\}[[:space:]]*$/\1/p' "$dir/plugin.yaml" | head -n1)"

# place SRC: copy SRC to bin/stackcheck through a temporary name, so a running copy is never
# overwritten in place ("text file busy") and a half-copied file is never left behind.
# (The steps below run as `step || ...`, where `set -e` does not apply: failures are checked.)
place() {
  tmp="$dir/bin/.stackcheck.$$"
  if ! { mkdir -p "$dir/bin" && cp -- "$1" "$tmp" && chmod 755 "$tmp" && mv -f -- "$tmp" "$bin"; }; then
    rm -f -- "$tmp"
    say "cannot write $bin"
    exit 1
  fi
}

# write_completion: completion.yaml from the binary's own definitions (best effort).
write_completion() {
  if "$bin" completion helm >"$dir/.completion.yaml.$$" 2>/dev/null \
    && grep -q '^name: stackcheck$' "$dir/.completion.yaml.$$"; then
    mv -f -- "$dir/.completion.yaml.$$" "$dir/completion.yaml"
  else
    rm -f -- "$dir/.completion.yaml.$$"
  fi
}

# need_sha256: fail unless a SHA-256 tool is there (before any sha256 call in a $(...)).
need_sha256() {
  for tool in sha256sum shasum openssl; do
    if command -v "$tool" >/dev/null 2>&1; then return 0; fi
  done
  refuse "no sha256sum, shasum or openssl to check the binary's SHA-256 with"
}

# sha256 FILE: the file's SHA-256 in hex.
sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum -- "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 -- "$1" | cut -d' ' -f1
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst -sha256 -r "$1" | cut -d' ' -f1
  fi
}

# verify_tree DIR: every file DIR/checksums.sha256 lists exists with that SHA-256, and
# bin/stackcheck is one of them. Says what differs and returns 1 otherwise. (sh has no local
# variables: the names used here, want/path/got/listed, are not the callers'.)
verify_tree() {
  if [ ! -f "$1/checksums.sha256" ]; then
    say "$1 has no checksums.sha256"
    return 1
  fi
  need_sha256
  listed=0
  while read -r want path || [ -n "$want" ]; do
    path="${path#\*}"
    case "$path" in
      "" | /* | ../* | */../* | *"/.." | "..")
        say "checksums.sha256: unexpected line for '$path'"
        return 1
        ;;
    esac
    case "$want" in *[!0-9a-f]*) want="" ;; esac
    if [ "${#want}" != 64 ]; then
      say "checksums.sha256: no SHA-256 for $path"
      return 1
    fi
    if [ ! -f "$1/$path" ]; then
      say "$path is listed in checksums.sha256 but missing"
      return 1
    fi
    got="$(sha256 "$1/$path")"
    if [ "$got" != "$want" ]; then
      say "$path has SHA-256 $got, but checksums.sha256 says $want"
      return 1
    fi
    if [ "$path" = bin/stackcheck ]; then listed=1; fi
  done <"$1/checksums.sha256"
  if [ "$listed" != 1 ]; then
    say "checksums.sha256 does not list bin/stackcheck"
    return 1
  fi
}

# target: this machine's Rust target triple, as release archives are named.
target() {
  if [ -n "${STACKCHECK_TARGET:-}" ]; then
    echo "$STACKCHECK_TARGET"
    return 0
  fi
  case "$(uname -m)" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) return 1 ;;
  esac
  case "$(uname -s)" in
    Linux)
      if ldd --version 2>&1 | grep -qi musl; then echo "$arch-unknown-linux-musl"; else echo "$arch-unknown-linux-gnu"; fi
      ;;
    Darwin) echo "$arch-apple-darwin" ;;
    *) return 1 ;;
  esac
}

# fetch URL FILE: download URL to FILE; non-zero when it cannot be had.
fetch() {
  case "$1" in
    https://*) proto='=https' ;;
    http://*) proto='=http,https' ;;
    file://*) proto='=file' ;;
    *) return 1 ;;
  esac
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --proto "$proto" --proto-redir "$proto" --connect-timeout 20 --retry 2 -o "$2" -- "$1"
  elif command -v wget >/dev/null 2>&1 && [ "$proto" != '=file' ]; then
    wget -q -O "$2" -- "$1"
  else
    say "neither curl nor wget is installed: cannot download a prebuilt binary"
    return 1
  fi
}

# from_release: step 3. Returns 0 when bin/stackcheck was installed, 2 when there is no such
# release to use; exits 1 (refused) when what was downloaded does not match its checksums.
from_release() {
  if [ -z "$version" ]; then
    say "no version in $dir/plugin.yaml: cannot name a release"
    return 2
  fi
  if ! triple="$(target)"; then
    say "no prebuilt binaries for $(uname -sm)"
    return 2
  fi
  base="${STACKCHECK_RELEASE_URL:-https://github.com/stackcheck/stackcheck/releases/download/v$version}"
  base="${base%/}"
  name="stackcheck-$version-$triple.tar.gz"
  need_sha256
  tmpd="$(mktemp -d "${TMPDIR:-/tmp}/stackcheck-install.XXXXXX")" || return 2
  say "looking for a prebuilt $name at $base ..."
  if ! fetch "$base/SHA256SUMS" "$tmpd/SHA256SUMS" 2>/dev/null; then
    say "no SHA256SUMS at $base: no release $version to use"
    return 2
  fi
  expected="$(awk -v n="$name" '$2 == n || $2 == ("*" n) { print $1 }' "$tmpd/SHA256SUMS")"
  case "$expected" in
    "")
      say "$base/SHA256SUMS lists no $name: no prebuilt binary for $triple"
      return 2
      ;;
    *[!0-9a-f]*) refuse "$base/SHA256SUMS has no single SHA-256 for $name" ;;
  esac
  [ "${#expected}" = 64 ] || refuse "$base/SHA256SUMS has no valid SHA-256 for $name"
  if ! fetch "$base/$name" "$tmpd/$name" 2>/dev/null; then
    say "cannot download $base/$name"
    return 2
  fi
  archive_sum="$(sha256 "$tmpd/$name")"
  if [ "$archive_sum" != "$expected" ]; then
    refuse "the downloaded $name has SHA-256 $archive_sum, but $base/SHA256SUMS says $expected: it was changed or damaged, not using it"
  fi
  mkdir "$tmpd/x" || return 2
  tar -xzf "$tmpd/$name" -C "$tmpd/x" || refuse "cannot unpack $name"
  verify_tree "$tmpd/x" || refuse "the files in $name do not match its checksums.sha256: not using it"
  place "$tmpd/x/bin/stackcheck"
  say "installed $name (SHA-256 $archive_sum, as SHA256SUMS lists) as $bin"
  return 0
}

# from_source: step 4. Returns 0 when built, 2 when there is no way to build here.
from_source() {
  if [ ! -f "$dir/Cargo.toml" ]; then
    say "no Cargo.toml in $dir to build stackcheck from"
    return 2
  fi
  if ! command -v "$cargo" >/dev/null 2>&1; then
    say "cargo (the Rust toolchain) was not found to build stackcheck from source."
    say "install Rust (https://rustup.rs), then run: sh '$dir/scripts/plugin-install.sh'"
    return 2
  fi
  say "building stackcheck with cargo build --release --locked (a few minutes the first time) ..."
  if ! (cd "$dir" && "$cargo" build --release --locked >&2); then
    say "cargo build --release --locked failed in $dir"
    exit 1
  fi
  target_dir="${CARGO_TARGET_DIR:-target}"
  case "$target_dir" in /*) ;; *) target_dir="$dir/$target_dir" ;; esac
  place "$target_dir/release/stackcheck"
  say "built $bin"
}

# --- 1. an explicit binary ------------------------------------------------------------------
if [ -n "${STACKCHECK_BINARY:-}" ]; then
  if [ ! -f "$STACKCHECK_BINARY" ] || [ ! -x "$STACKCHECK_BINARY" ]; then
    say "STACKCHECK_BINARY=$STACKCHECK_BINARY is not an executable file"
    exit 1
  fi
  place "$STACKCHECK_BINARY"
  write_completion
  say "installed $STACKCHECK_BINARY as $bin"
  exit 0
fi

# --- 2. a release archive or plugin package --------------------------------------------------
if [ -f "$dir/checksums.sha256" ]; then
  if [ ! -f "$bin" ]; then
    refuse "$dir has checksums.sha256 but no bin/stackcheck: an incomplete release archive"
  fi
  if ! verify_tree "$dir"; then
    rm -f -- "$bin"
    refuse "the plugin's files do not match its checksums.sha256 (a changed or damaged archive); removed $bin. Install a release archive whose SHA-256 is in the release's SHA256SUMS."
  fi
  say "bin/stackcheck matches checksums.sha256 ($(sha256 "$bin"))"
  exit 0
fi
if [ -x "$bin" ] && [ "$event" != update ] && [ -f "$dir/Cargo.toml" ]; then
  say "using the existing binary $bin (built from this source tree; remove it to rebuild)"
  exit 0
fi
if [ -e "$bin" ] && [ ! -f "$dir/Cargo.toml" ]; then
  rm -f -- "$bin"
  refuse "$bin comes with no checksums.sha256 to check it against; removed it"
fi

# --- 3. and 4.: download a verified release, or build --------------------------------------
# dev_checkout: a git work tree that is not exactly the release tag vVERSION.
dev_checkout() {
  [ -e "$dir/.git" ] || return 1
  command -v git >/dev/null 2>&1 || return 0
  tag="$(git -C "$dir" describe --tags --exact-match HEAD 2>/dev/null)" || return 0
  [ "$tag" = "v$version" ] || return 0
  [ -n "$(git -C "$dir" status --porcelain --untracked-files=no 2>/dev/null)" ]
}

case "$from" in
  release) order="release" ;;
  source) order="source" ;;
  *) if dev_checkout; then order="source release"; else order="release source"; fi ;;
esac
for way in $order; do
  status=0
  case "$way" in
    release) from_release || status=$? ;;
    source) from_source || status=$? ;;
  esac
  if [ "$status" = 0 ]; then
    write_completion
    exit 0
  fi
done

if [ -x "$bin" ] && [ "$event" = update ]; then
  say "warning: keeping the existing $bin, which may be older than the update"
  exit 0
fi
say "no stackcheck binary installed (tried: $order)."
say "set STACKCHECK_BINARY=/path/to/stackcheck, or install Rust (https://rustup.rs), then run:"
say "  sh '$dir/scripts/plugin-install.sh'"
exit 1
