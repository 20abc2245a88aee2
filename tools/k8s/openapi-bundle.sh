#!/usr/bin/env bash
# Regenerates src/conformance/openapi/v1.MINOR.json.gz: the OpenAPI v3 schemas of each Kubernetes
# release pinned in OPENAPI_KUBERNETES_VERSIONS (tools/versions.env), taken from
# api/openapi-spec/v3 of the k8s.io/kubernetes module zip the Go module proxy serves and slimmed to
# what object validation needs (tools/k8s/openapi-slim.py). stackcheck embeds these files.
#
# Slimmed bundles are cached in the tools cache (like tools/tools.sh's builds), keyed by the
# version and a fingerprint of the slimming script, so re-runs only copy.
#
#   tools/k8s/openapi-bundle.sh     # then review and commit src/conformance/openapi/
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../versions.env
. "$here/../versions.env"
out="$here/../../src/conformance/openapi"
cache="${STACKCHECK_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/stackcheck/tools}/openapi"
log() { echo "openapi-bundle.sh: $*" >&2; }
die() { log "$*"; exit 2; }
command -v go >/dev/null || die "go is required"
command -v python3 >/dev/null || die "python3 is required"
mkdir -p "$cache" "$out"
stamp="$(sha256sum "$here/openapi-slim.py" | cut -c1-16)"

rm -f "$out"/v1.*.json.gz
for version in $OPENAPI_KUBERNETES_VERSIONS; do
  [[ "$version" =~ ^v1\.([0-9]+)\.[0-9]+$ ]] || die "$version is not v1.MINOR.PATCH"
  minor="${BASH_REMATCH[1]}"
  cached="$cache/$version-$stamp.json.gz"
  if [[ ! -s "$cached" ]]; then
    json="$(GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$version")" \
      || die "cannot download k8s.io/kubernetes@$version: $json"
    zip="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Zip": "\(.*\)",\{0,1\}$/\1/p')"
    [[ -f "$zip" ]] || die "no module zip for k8s.io/kubernetes@$version (go said: $json)"
    python3 "$here/openapi-slim.py" "$zip" "$version" "$cache/.tmp.$$" && mv "$cache/.tmp.$$" "$cached"
  fi
  cp "$cached" "$out/v1.$minor.json.gz"
done
total=0
for f in "$out"/v1.*.json.gz; do
  size=$(stat -c %s "$f"); total=$((total + size))
  log "$(basename "$f"): $size bytes"
done
log "total: $total bytes"
((total < 10 * 1024 * 1024)) || die "bundles exceed 10 MiB"
