#!/usr/bin/env bash
# Installs the pinned tools of tools/versions.env into a cache directory this script owns and
# prints nothing but errors unless a build happens. Reuses what is already built.
#
#   tools/tools.sh            build what is missing, then print `export ...` lines for the env
#   eval "$(tools/tools.sh)"  put HELM_V3 / HELM_V4 / STACKCHECK_TOOLS in the environment
#
# Cache: $STACKCHECK_TOOLS_DIR, default ${XDG_CACHE_HOME:-$HOME/.cache}/stackcheck/tools.
# Only `export` lines go to stdout; progress and errors go to stderr.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=versions.env
. "$here/versions.env"
cache="${STACKCHECK_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/stackcheck/tools}"
mkdir -p "$cache"
# One builder at a time: parallel test jobs and scripts wait here instead of building twice.
exec 9>"$cache/.lock"
flock 9
# Leftovers of an interrupted build (we hold the lock, so nobody is using them).
rm -rf "$cache"/.build.*

log() { echo "tools: $*" >&2; }
die() { log "$*"; exit 2; }

# check_kube_pin VERSION: the k8s.io/client-go version helm's go.mod requires decides what an
# official Helm v3 release reports as .Capabilities.KubeVersion (major+1 . minor); our pin in
# versions.env must say the same.
check_kube_pin() {
  local version="$1" json gomod cg major minor
  json="$(GOFLAGS=-mod=mod go mod download -json "helm.sh/helm/v3@$version")" \
    || die "cannot download helm.sh/helm/v3@$version"
  gomod="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
  [[ -f "$gomod" ]] || die "go.mod of helm $version not found (go mod download said: $json)"
  cg="$(sed -n 's/^[[:space:]]*k8s\.io\/client-go v\([0-9]*\)\.\([0-9]*\)\..*/\1 \2/p' "$gomod" | head -n1)"
  [[ -n "$cg" ]] || die "no k8s.io/client-go requirement in $gomod"
  read -r major minor <<<"$cg"
  major=$((major + 1))
  if [[ "$major" != "$HELM_KUBE_MAJOR" || "$minor" != "$HELM_KUBE_MINOR" ]]; then
    die "helm $version is built against client-go v0.$minor (reports Kubernetes v$major.$minor)," \
      "but tools/versions.env pins HELM_KUBE_MAJOR=$HELM_KUBE_MAJOR HELM_KUBE_MINOR=$HELM_KUBE_MINOR: update the pin"
  fi
}

# build_helm MAJOR VERSION -> $cache/helm-VERSION/helm
build_helm() {
  local major="$1" version="$2" dest="$cache/helm-$2"
  local mod="helm.sh/helm/$major"
  # The variables helm's own Makefile sets for a release build (no git commit: the module proxy
  # does not carry it). `helm version` then prints the real version instead of "v3.22"/"v4.3".
  local ldflags="-s -w -X $mod/internal/version.version=$version -X $mod/internal/version.gitTreeState=clean"
  if [[ "$major" == v3 ]]; then
    # Helm v3 only: Kubernetes version for templates and lint, as the Makefile derives it.
    ldflags+=" -X $mod/pkg/lint/rules.k8sVersionMajor=$HELM_KUBE_MAJOR -X $mod/pkg/lint/rules.k8sVersionMinor=$HELM_KUBE_MINOR"
    ldflags+=" -X $mod/pkg/chartutil.k8sVersionMajor=$HELM_KUBE_MAJOR -X $mod/pkg/chartutil.k8sVersionMinor=$HELM_KUBE_MINOR"
  fi
  # Helm v4 has no such variables: pkg/chart/common derives the Kubernetes version from the
  # client-go version recorded in the binary's build info, which `go install` embeds.
  local stamp="go install -trimpath -ldflags '$ldflags' $mod/cmd/helm@$version"
  if [[ -x "$dest/helm" && -f "$dest/.stamp" && "$(cat "$dest/.stamp")" == "$stamp" ]]; then
    return 0
  fi
  command -v go >/dev/null || die "go is required to build helm $version (https://go.dev/doc/install)"
  if [[ "$major" == v3 ]]; then check_kube_pin "$version"; fi
  log "building helm $version with go install (first run only) ..."
  local tmp start=$SECONDS
  tmp="$(mktemp -d "$cache/.build.XXXXXX")"
  if ! GOBIN="$tmp" CGO_ENABLED=0 GOFLAGS=-mod=mod go install -trimpath -ldflags "$ldflags" "$mod/cmd/helm@$version" >&2; then
    rm -rf "$tmp"; die "building helm $version failed"
  fi
  printf '%s' "$stamp" >"$tmp/.stamp"
  rm -rf "$dest"; mv "$tmp" "$dest"
  log "built helm $version in $((SECONDS - start))s -> $dest/helm ($(du -h "$dest/helm" | cut -f1))"
}

build_helm v3 "$HELM_V3_VERSION"
build_helm v4 "$HELM_V4_VERSION"

printf 'export STACKCHECK_TOOLS=%q\n' "$cache"
printf 'export HELM_V3=%q\n' "$cache/helm-$HELM_V3_VERSION/helm"
printf 'export HELM_V4=%q\n' "$cache/helm-$HELM_V4_VERSION/helm"
