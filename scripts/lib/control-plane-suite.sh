#!/usr/bin/env bash
# Shared start of the control-plane suites (scripts/test.d/4*.sh): sourced, not run.
#
#   suite=40-control-plane
#   source scripts/lib/control-plane-suite.sh
#   suite_start            # tools, stackcheck binary ($sc), control plane up, KUBECONFIG exported
#
# suite_start leaves: $root (the repository), $work (this run's directory; the control plane's
# state and logs are in it), $sc (the stackcheck binary: STACKCHECK_BIN, else a release build), the
# control-plane tools (KUBECTL, ...) and HELM_V3/HELM_V4 exported, KUBECONFIG (admin) and
# STACKCHECK_CP_READER_KUBECONFIG exported, and a trap that stops the control plane on any exit
# (also a failure or Ctrl-C), removing $work after a success and keeping its logs after a failure.
# Set STACKCHECK_CP_BARE=1 before suite_start for an empty cluster (no fixture nodes or pods).
# Helpers: fail MSG, step MSG, kc ARGS (kubectl with a timeout), suite_counts P F S
# (scripts/lib/suite-counts.sh).

# shellcheck disable=SC2034 # variables used by the suites that source this file
: "${suite:?set suite=NAME before sourcing control-plane-suite.sh}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=scripts/lib/suite-counts.sh
source "$root/scripts/lib/suite-counts.sh"
cd "$root" || exit 1
t0=$SECONDS

fail() { echo "$suite: FAIL: $*" >&2; exit 1; }
step() { printf '\n-- %s (+%ss)\n' "$*" "$((SECONDS - t0))"; }
kc() { "$KUBECTL" --request-timeout 30s "$@"; }

# need_commands CMD...: each CMD on PATH, installed with apt-get when possible (root, Debian).
need_commands() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null && continue
    if command -v apt-get >/dev/null && [[ "$(id -u)" == 0 ]]; then
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$c"; } >/dev/null 2>&1 || true
    fi
    command -v "$c" >/dev/null || fail "$c is required (Debian: apt-get install $c)"
  done
}

suite_cleanup() {
  local status=$?
  "$root/scripts/control-plane.sh" stop "$work" || true
  if ((status == 0)); then
    rm -rf "$work"
  else
    echo "$suite: failed (exit $status); control plane stopped, logs kept in $work/logs" >&2
  fi
  exit "$status"
}

suite_start() {
  need_commands jq openssl curl

  step "tools"
  local tools_env
  tools_env="$(tools/tools.sh control-plane)" || fail "tools/tools.sh control-plane failed"
  eval "$tools_env"
  tools_env="$(tools/tools.sh)" || fail "tools/tools.sh failed"
  eval "$tools_env"
  export KUBE_APISERVER KUBE_CONTROLLER_MANAGER KUBE_SCHEDULER KUBECTL ETCD KWOK KWOK_STAGES HELM_V3 HELM_V4
  "$KUBE_APISERVER" --version
  "$HELM_V3" version --short
  "$HELM_V4" version --short

  step "stackcheck binary"
  if [[ -n "${STACKCHECK_BIN:-}" ]]; then
    sc="$STACKCHECK_BIN"
  else
    cargo build --release --locked --quiet
    sc="${CARGO_TARGET_DIR:-$root/target}/release/stackcheck"
  fi
  [[ -x "$sc" ]] || fail "no stackcheck binary at $sc"
  "$sc" --version

  # Helm's and stackcheck's cluster variables must not point elsewhere.
  unset HELM_KUBECONTEXT HELM_KUBEAPISERVER HELM_KUBETOKEN HELM_KUBECAFILE HELM_KUBEINSECURE_SKIP_TLS_VERIFY \
    HELM_KUBEASUSER HELM_KUBEASGROUPS HELM_NAMESPACE

  # Control planes of earlier runs killed before their trap ran (owner process gone): stop them.
  local tmp="${TMPDIR:-/tmp}" old
  local owner
  for old in "$tmp"/stackcheck-cp.*; do
    [[ -d "$old" && -f "$old/owner" ]] || continue
    owner="$(cat "$old/owner" 2>/dev/null || true)"
    [[ "$owner" =~ ^[0-9]+$ ]] || continue
    if ! kill -0 "$owner" 2>/dev/null; then
      "$root/scripts/control-plane.sh" stop "$old" || true
      rm -rf "$old"
    fi
  done
  work="$(mktemp -d "$tmp/stackcheck-cp.XXXXXX")"
  # Atomically, so a suite starting at the same moment never reads it half-written.
  echo $$ >"$work/owner.tmp"
  mv -f "$work/owner.tmp" "$work/owner"
  trap suite_cleanup EXIT
  trap 'exit 130' INT TERM

  step "control plane"
  "$root/scripts/control-plane.sh" start "$work" >"$work/start.out"
  cat "$work/start.out"
  eval "$("$root/scripts/control-plane.sh" env "$work")"
  export KUBECONFIG STACKCHECK_CP_READER_KUBECONFIG
  kc version -o json | jq -r '"server " + .serverVersion.gitVersion'
}
