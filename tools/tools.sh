#!/usr/bin/env bash
# Installs the pinned tools of tools/versions.env into a cache directory this script owns and
# prints nothing but errors unless a build happens. Reuses what is already built.
#
#   tools/tools.sh            build what is missing, then print `export ...` lines for the env
#   eval "$(tools/tools.sh)"  put HELM_V3 / HELM_V4 / STACKCHECK_TOOLS in the environment
#   eval "$(tools/tools.sh control-plane)"
#                             also the test control plane (scripts/control-plane.sh): KUBE_APISERVER,
#                             KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER, KUBECTL, ETCD, KWOK and
#                             KWOK_STAGES (kwok's stock stages, a YAML stream). A cold build of
#                             these takes many minutes; the plain call never builds them.
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

control_plane=false
for arg in "$@"; do
  case "$arg" in
    control-plane) control_plane=true ;;
    *) echo "usage: tools/tools.sh [control-plane]" >&2; exit 2 ;;
  esac
done

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

# ---- The test control plane (opt-in: `tools/tools.sh control-plane`) ---------------------------

# fingerprint FILE...: one hash of the files' contents, for stamps (a regenerated go.sum rebuilds).
fingerprint() { cat "$@" | sha256sum | cut -c1-16; }

# build_kubernetes -> $cache/kubernetes-VERSION/{kube-apiserver,kube-controller-manager,kube-scheduler,kubectl}
# From our module tools/k8s (k8s.io/kubernetes with its staging modules pinned by `replace`, see
# tools/k8s/update.sh), with the flags of Kubernetes' own release build (hack/lib/golang.sh: static,
# -trimpath, tags selinux,notest,grpcnotrace, -s -w) and its version variables
# (hack/lib/version.sh), so `/version` and `kubectl version` report the pin.
build_kubernetes() {
  local version="$KUBERNETES_VERSION" dest="$cache/kubernetes-$KUBERNETES_VERSION" src="$here/k8s"
  [[ "$version" =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]] || die "KUBERNETES_VERSION=$version is not v1.MINOR.PATCH"
  local major="${BASH_REMATCH[1]}" minor="${BASH_REMATCH[2]}"
  grep -Eq "^(require)?[[:space:]]+k8s\.io/kubernetes $version( |\$)" "$src/go.mod" \
    || die "tools/k8s/go.mod is not for k8s.io/kubernetes $version: run tools/k8s/update.sh and commit its output"
  local ldflags="-s -w" pkg
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  local cmds=(kube-apiserver kube-controller-manager kube-scheduler kubectl) pkgs=() c
  for c in "${cmds[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  local stamp
  stamp="go build -trimpath -tags selinux,notest,grpcnotrace -ldflags '$ldflags' ${pkgs[*]} (tools/k8s $(fingerprint "$src/go.mod" "$src/go.sum"))"
  if [[ -f "$dest/.stamp" && "$(cat "$dest/.stamp")" == "$stamp" ]]; then
    local ok=true
    for c in "${cmds[@]}"; do [[ -x "$dest/$c" ]] || ok=false; done
    if $ok; then return 0; fi
  fi
  command -v go >/dev/null || die "go is required to build Kubernetes $version (https://go.dev/doc/install)"
  log "building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl $version (first run only, many minutes) ..."
  local tmp start=$SECONDS
  tmp="$(mktemp -d "$cache/.build.XXXXXX")"
  if ! (cd "$src" && GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=0 \
    go build -trimpath -tags selinux,notest,grpcnotrace -ldflags "$ldflags" -o "$tmp/" "${pkgs[@]}") >&2; then
    rm -rf "$tmp"; die "building Kubernetes $version failed"
  fi
  printf '%s' "$stamp" >"$tmp/.stamp"
  rm -rf "$dest"; mv "$tmp" "$dest"
  log "built Kubernetes $version in $((SECONDS - start))s -> $dest ($(du -sh "$dest" | cut -f1))"
}

# build_etcd -> $cache/etcd-VERSION/etcd: our main over go.etcd.io/etcd/server/v3/embed (tools/k8s/etcd).
build_etcd() {
  local version="$ETCD_VERSION" dest="$cache/etcd-$ETCD_VERSION" src="$here/k8s/etcd"
  grep -Eq "^(require)?[[:space:]]+go\.etcd\.io/etcd/server/v3 $version( |\$)" "$src/go.mod" \
    || die "tools/k8s/etcd/go.mod is not for etcd $version: run tools/k8s/update.sh and commit its output"
  local stamp
  stamp="go build -trimpath -ldflags '-s -w' (tools/k8s/etcd $(fingerprint "$src/go.mod" "$src/go.sum" "$src/main.go"))"
  if [[ -x "$dest/etcd" && -f "$dest/.stamp" && "$(cat "$dest/.stamp")" == "$stamp" ]]; then
    return 0
  fi
  command -v go >/dev/null || die "go is required to build etcd $version (https://go.dev/doc/install)"
  log "building etcd $version (first run only) ..."
  local tmp start=$SECONDS
  tmp="$(mktemp -d "$cache/.build.XXXXXX")"
  if ! (cd "$src" && GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=0 \
    go build -trimpath -ldflags '-s -w' -o "$tmp/etcd" .) >&2; then
    rm -rf "$tmp"; die "building etcd $version failed"
  fi
  printf '%s' "$stamp" >"$tmp/.stamp"
  rm -rf "$dest"; mv "$tmp" "$dest"
  log "built etcd $version in $((SECONDS - start))s -> $dest/etcd ($(du -h "$dest/etcd" | cut -f1))"
}

# build_kwok -> $cache/kwok-VERSION/kwok and stages.yaml: kwok's default node and pod stages, as
# kwokctl configures them (node-initialize, node-heartbeat-with-lease, pod-ready/-complete/-delete),
# and its volume stages (a provisioner for claims of the StorageClass `kwok-volume`).
kwok_stages=(node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease
  pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete
  volume/fast/pvc-provision volume/fast/pv-bind volume/fast/pv-delete volume/fast/pvc-delete)
build_kwok() {
  local version="$KWOK_VERSION" dest="$cache/kwok-$KWOK_VERSION"
  local stamp="go install -trimpath -ldflags '-s -w' sigs.k8s.io/kwok/cmd/kwok@$version + stages ${kwok_stages[*]}"
  if [[ -x "$dest/kwok" && -s "$dest/stages.yaml" && -f "$dest/.stamp" && "$(cat "$dest/.stamp")" == "$stamp" ]]; then
    return 0
  fi
  command -v go >/dev/null || die "go is required to build kwok $version (https://go.dev/doc/install)"
  log "building kwok $version (first run only) ..."
  local tmp start=$SECONDS json dir f
  tmp="$(mktemp -d "$cache/.build.XXXXXX")"
  if ! GOBIN="$tmp" GOWORK=off CGO_ENABLED=0 GOFLAGS=-mod=mod go install -trimpath -ldflags '-s -w' "sigs.k8s.io/kwok/cmd/kwok@$version" >&2; then
    rm -rf "$tmp"; die "building kwok $version failed"
  fi
  json="$(GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/kwok@$version")" || die "cannot download sigs.k8s.io/kwok@$version"
  dir="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  for f in "${kwok_stages[@]}"; do
    [[ -f "$dir/kustomize/stage/$f.yaml" ]] || { rm -rf "$tmp"; die "kwok $version has no stage $f.yaml"; }
    { echo "---"; cat "$dir/kustomize/stage/$f.yaml"; } >>"$tmp/stages.yaml"
  done
  printf '%s' "$stamp" >"$tmp/.stamp"
  rm -rf "$dest"; mv "$tmp" "$dest"
  log "built kwok $version in $((SECONDS - start))s -> $dest/kwok ($(du -h "$dest/kwok" | cut -f1))"
}

build_helm v3 "$HELM_V3_VERSION"
build_helm v4 "$HELM_V4_VERSION"
if $control_plane; then
  build_etcd
  build_kwok
  build_kubernetes
fi

printf 'export STACKCHECK_TOOLS=%q\n' "$cache"
printf 'export HELM_V3=%q\n' "$cache/helm-$HELM_V3_VERSION/helm"
printf 'export HELM_V4=%q\n' "$cache/helm-$HELM_V4_VERSION/helm"
if $control_plane; then
  k="$cache/kubernetes-$KUBERNETES_VERSION"
  printf 'export KUBE_APISERVER=%q\n' "$k/kube-apiserver"
  printf 'export KUBE_CONTROLLER_MANAGER=%q\n' "$k/kube-controller-manager"
  printf 'export KUBE_SCHEDULER=%q\n' "$k/kube-scheduler"
  printf 'export KUBECTL=%q\n' "$k/kubectl"
  printf 'export ETCD=%q\n' "$cache/etcd-$ETCD_VERSION/etcd"
  printf 'export KWOK=%q\n' "$cache/kwok-$KWOK_VERSION/kwok"
  printf 'export KWOK_STAGES=%q\n' "$cache/kwok-$KWOK_VERSION/stages.yaml"
fi
