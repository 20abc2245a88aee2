#!/usr/bin/env bash
# Builds the release assets of the Helm plugin for one target:
#
#   DIST/stackcheck-VERSION-TARGET.tar.gz   the plugin with its binary (Helm v3 and v4)
#   DIST/TARGET/stackcheck-VERSION.tgz      the same plugin as a Helm v4 plugin package,
#   DIST/TARGET/stackcheck-VERSION.tgz.prov   and its signature (only with --sign)
#   DIST/SHA256SUMS                         sha256sum lines for every archive and package in DIST
#
# Usage: scripts/release.sh [--out-dir DIST] [--target TRIPLE] [--binary PATH]
#                           [--sign KEY --keyring SECRING [--passphrase-file FILE]] [--helm HELM_V4]
#
#   --out-dir   where the assets go (default: dist); other targets' assets there are kept, and
#               SHA256SUMS is rewritten over all of them, so running once per target adds up.
#   --target    the Rust target triple to build (default: the host's, from `rustc -vV`).
#   --binary    package this already built stackcheck instead of running
#               `cargo build --release --locked` (it must be for --target).
#   --sign KEY  also make the Helm v4 package with `helm plugin package --sign --key KEY
#               --keyring SECRING`: SECRING holds the secret key (`gpg --export-secret-keys`);
#               Helm v4 users verify it with the public key (`helm plugin install --keyring`).
#   --helm      the Helm v4 binary for --sign (default: $HELM_V4, else `helm`).
#
# The archive is flat (plugin.yaml at its root, which Helm v3's URL installer requires; Helm v4
# takes that too) and holds plugin.yaml, the hook and run scripts, bin/stackcheck,
# completion.yaml (Helm's completion of `helm stackcheck`), shell completions under
# completions/, man pages under man/man1/, README.md (and LICENSE when there is one), and
# checksums.sha256: the SHA-256 of every other file, which the install hook checks before it
# accepts bin/stackcheck. Entries are sorted, owned by 0:0, dated $SOURCE_DATE_EPOCH (default:
# the last commit's time) and gzip carries no name or time, so the same inputs give the same
# bytes. Needs GNU tar, gzip and sha256sum.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"

die() { echo "release.sh: $*" >&2; exit 2; }
say() { echo "release.sh: $*" >&2; }

out_dir=dist target="" binary="" sign_key="" keyring="" passphrase_file="" helm="${HELM_V4:-helm}"
while (($#)); do
  case "$1" in
    --out-dir) out_dir="${2:?--out-dir needs a directory}"; shift 2 ;;
    --target) target="${2:?--target needs a triple}"; shift 2 ;;
    --binary) binary="${2:?--binary needs a path}"; shift 2 ;;
    --sign) sign_key="${2:?--sign needs a key name}"; shift 2 ;;
    --keyring) keyring="${2:?--keyring needs a file}"; shift 2 ;;
    --passphrase-file) passphrase_file="${2:?--passphrase-file needs a file}"; shift 2 ;;
    --helm) helm="${2:?--helm needs a path}"; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
if [[ -n "$sign_key" && -z "$keyring" ]]; then die "--sign needs --keyring (a file with the secret key)"; fi
for tool in tar gzip sha256sum; do command -v "$tool" >/dev/null || die "$tool is required"; done
tar --version 2>/dev/null | grep -q 'GNU tar' || die "GNU tar is required (--sort, --mtime, --owner)"

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)"
[[ -n "$version" ]] || die "no version in Cargo.toml"
plugin_version="$(sed -n 's/^version:[[:space:]]*"\{0,1\}\([^"[:space:]]*\)"\{0,1\}[[:space:]]*$/\1/p' plugin.yaml)"
[[ "$plugin_version" == "$version" ]] || die "plugin.yaml version ($plugin_version) differs from Cargo.toml's ($version)"
host="$(rustc -vV 2>/dev/null | sed -n 's/^host: //p' || true)"
if [[ -z "$target" ]]; then
  target="$host"
  [[ -n "$target" ]] || die "cannot tell the host target (rustc -vV); pass --target"
fi
[[ "$target" =~ ^[A-Za-z0-9_.-]+$ ]] || die "--target $target is not a target triple"

if [[ -z "$binary" ]]; then
  if [[ "$target" == "$host" ]]; then
    # Without --target cargo reuses target/release (what scripts/test.sh and others build).
    say "cargo build --release --locked ..."
    cargo build --release --locked >&2
    binary="${CARGO_TARGET_DIR:-$root/target}/release/stackcheck"
  else
    say "cargo build --release --locked --target $target ..."
    cargo build --release --locked --target "$target" >&2
    binary="${CARGO_TARGET_DIR:-$root/target}/$target/release/stackcheck"
  fi
fi
[[ -f "$binary" && -x "$binary" ]] || die "$binary is not an executable file"

epoch="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
[[ "$epoch" =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH=$epoch is not a number of seconds"

mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/stackcheck-release.XXXXXX")"
trap 'rm -rf "$work"' EXIT
stage="$work/stackcheck"
mkdir -p "$stage/bin" "$stage/scripts" "$stage/completions" "$stage/man/man1"

# --- the plugin directory -------------------------------------------------------------------
install -m 0644 plugin.yaml "$stage/plugin.yaml"
install -m 0755 scripts/plugin-install.sh scripts/plugin-run.sh "$stage/scripts/"
install -m 0755 "$binary" "$stage/bin/stackcheck"
for f in README.md LICENSE; do
  if [[ -f "$f" ]]; then install -m 0644 "$f" "$stage/$f"; fi
done
# Completions and man pages come from the binary being shipped (its clap definitions); a
# binary for another target cannot run here, so then they come from a host build.
gen="$stage/bin/stackcheck"
if ! "$gen" --version >/dev/null 2>&1; then
  say "the $target binary does not run here; generating completions with a host build"
  cargo build --release --locked >&2
  gen="${CARGO_TARGET_DIR:-$root/target}/release/stackcheck"
fi
"$gen" completion helm >"$stage/completion.yaml"
"$gen" completion bash >"$stage/completions/stackcheck.bash"
"$gen" completion zsh >"$stage/completions/_stackcheck"
"$gen" completion fish >"$stage/completions/stackcheck.fish"
"$gen" completion powershell >"$stage/completions/_stackcheck.ps1"
"$gen" man --out-dir "$stage/man/man1"
find "$stage" -type f ! -path "$stage/bin/*" ! -path "$stage/scripts/*" -exec chmod 0644 {} +
find "$stage" -type d -exec chmod 0755 {} +
# checksums.sha256: every file but itself, in sha256sum's format, paths relative to the plugin.
(cd "$stage" && find . -type f ! -name checksums.sha256 | sed 's|^\./||' | LC_ALL=C sort \
  | while IFS= read -r f; do sha256sum -- "$f"; done) >"$work/checksums.sha256"
install -m 0644 "$work/checksums.sha256" "$stage/checksums.sha256"
find "$stage" -exec touch -h -d "@$epoch" {} +

# --- the archive ----------------------------------------------------------------------------
archive="stackcheck-$version-$target.tar.gz"
(cd "$stage" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort) >"$work/files"
tar -C "$stage" --no-recursion --null --sort=name --owner=0 --group=0 --numeric-owner \
  --mtime="@$epoch" --format=gnu -cf - -T <(tr '\n' '\0' <"$work/files") \
  | gzip -9 -n >"$work/$archive"
mv -f "$work/$archive" "$out_dir/$archive"
say "wrote $out_dir/$archive"

# --- the Helm v4 plugin package -------------------------------------------------------------
if [[ -n "$sign_key" ]]; then
  "$helm" version --short 2>/dev/null | grep -q '^v4\.' \
    || die "--sign needs Helm v4 (helm plugin package): $helm is not (pass --helm or set HELM_V4)"
  args=(plugin package "$stage" --sign --key "$sign_key" --keyring "$keyring" -d "$out_dir/$target")
  if [[ -n "$passphrase_file" ]]; then args+=(--passphrase-file "$passphrase_file"); fi
  "$helm" "${args[@]}" >&2
  [[ -s "$out_dir/$target/stackcheck-$version.tgz.prov" ]] || die "helm plugin package wrote no .prov"
  say "wrote $out_dir/$target/stackcheck-$version.tgz and .prov"
fi

# --- SHA256SUMS over every asset in the directory --------------------------------------------
(cd "$out_dir" && find . \( -name 'stackcheck-*.tar.gz' -o -name 'stackcheck-*.tgz' \) -type f \
  | sed 's|^\./||' | LC_ALL=C sort | while IFS= read -r f; do sha256sum -- "$f"; done) >"$work/SHA256SUMS"
mv -f "$work/SHA256SUMS" "$out_dir/SHA256SUMS"
say "wrote $out_dir/SHA256SUMS"
