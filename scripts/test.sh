#!/usr/bin/env bash
# The project's test command (README, CI): everything a change must pass.
#
#   bash scripts/test.sh
#
# 1. rustfmt + clippy components (rustup), gpg (apt-get, when missing and root), 2. bash -n and
# (when installed) shellcheck of the scripts, 3. cargo fmt --check, 4. the pinned Helm v3/v4
# (tools/tools.sh, built once into a cache) and Debian's docker-registry (apt-get, when root and
# missing), 5. clippy -D warnings and a check that the fuzz targets compile, 6. one release
# build, exported as STACKCHECK_BIN (the release-archive tests package it, tier 4 runs it),
# 7. cargo test with HELM_V3, HELM_V4 and DOCKER_REGISTRY exported, 8. extra suites from
# scripts/test.d/ (later tiers), 9. a summary whose last line is "tests: N passed, N failed,
# N skipped (cargo test P/F/S, SUITE P/F/S, ...)": the totals of cargo test and of every suite.
# Exits non-zero on the first failing step.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"

t0=$SECONDS
section() { printf '\n==== %s ==== (+%ss)\n' "$*" "$((SECONDS - t0))"; }
die() { echo "test.sh: $*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo not found (install Rust: https://rustup.rs)"

section "toolchain"
# rustup component add is a no-op for installed components, but it still contacts the network
# to resolve the toolchain when something is missing, so ask only then.
if command -v rustup >/dev/null; then
  missing=()
  cargo fmt --version >/dev/null 2>&1 || missing+=(rustfmt)
  cargo clippy --version >/dev/null 2>&1 || missing+=(clippy)
  if ((${#missing[@]})); then rustup component add "${missing[@]}"; fi
fi
cargo --version
cargo fmt --version
cargo clippy --version
# gpg: the Helm v4 signed plugin package test makes its own keys (tests/helm_plugin_install.rs).
if ! command -v gpg >/dev/null && command -v apt-get >/dev/null && [[ "$(id -u)" == 0 ]]; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnupg; } >/dev/null 2>&1 \
    || echo "warning: could not install gnupg (gpg)" >&2
fi
if command -v gpg >/dev/null; then gpg --version | head -n1; else echo "gpg not installed: the signed plugin package test will skip (fail under CI)"; fi

section "shell scripts"
scripts=(.ci/run tools/tools.sh tools/k8s/update.sh scripts/*.sh scripts/lib/*.sh scripts/test.d/*.sh plugins/*/*.sh)
for f in "${scripts[@]}"; do bash -n "$f" || die "syntax error in $f"; done
if command -v shellcheck >/dev/null; then
  shellcheck -x "${scripts[@]}"
  echo "shellcheck: ${#scripts[@]} scripts clean"
else
  echo "shellcheck not installed: only checked the syntax (bash -n)"
fi

section "cargo fmt --all -- --check"
cargo fmt --all -- --check

section "tools (pinned Helm v3 and v4)"
tools_env="$(tools/tools.sh)" || die "tools/tools.sh failed"
eval "$tools_env"
export STACKCHECK_TOOLS HELM_V3 HELM_V4
"$HELM_V3" version --short
"$HELM_V4" version --short

section "Pod Security fixtures (Go module cache)"
# The conformance unit tests compare stackcheck's Pod Security checks with the 4,500 fixtures of
# k8s.io/pod-security-admission (src/conformance/pod_security/tests.rs names the version); under
# CI a missing module fails that test, so fetch it through the Go module proxy first.
GOMODCACHE="$(go env GOMODCACHE)"
export GOMODCACHE
GOFLAGS=-mod=mod go mod download k8s.io/pod-security-admission@v0.37.2 \
  || echo "warning: could not download k8s.io/pod-security-admission@v0.37.2" >&2

section "docker-registry (the OCI registry of tests/helm_publish.rs)"
# Debian's docker-registry package (the CNCF Distribution registry); the test starts it on
# 127.0.0.1 with its own config. DOCKER_REGISTRY names another binary. Under CI the test fails
# without it; elsewhere it says how to get it and skips.
registry="${DOCKER_REGISTRY:-/usr/bin/docker-registry}"
if [[ ! -x "$registry" ]] && command -v apt-get >/dev/null && [[ "$(id -u)" == 0 ]]; then
  # The package's service is not started: policy-rc.d or no init system in CI containers, and
  # the test never uses it (it runs its own, on a free port).
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry; } >/dev/null 2>&1 \
    || echo "warning: could not install docker-registry; tests/helm_publish.rs needs it" >&2
fi
if [[ -x "$registry" ]]; then
  "$registry" --version
  export DOCKER_REGISTRY="$registry"
else
  echo "docker-registry not installed (Debian: apt-get install docker-registry)"
fi

section "cargo clippy --all-targets --locked -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings

# The fuzz targets (fuzz/, their own crate: scripts/fuzz.sh runs them) must keep compiling
# against the library; running them is not part of the suite.
section "cargo check --manifest-path fuzz/Cargo.toml --locked"
cargo check --manifest-path fuzz/Cargo.toml --locked --all-targets

# Built once: tests/helm_plugin_install.rs packages it with scripts/release.sh, and tier 4
# (scripts/test.d/40-control-plane.sh) runs it, instead of each building its own.
section "cargo build --release --locked"
cargo build --release --locked
STACKCHECK_BIN="${CARGO_TARGET_DIR:-$root/target}/release/stackcheck"
export STACKCHECK_BIN

# --no-fail-fast: every test binary runs and the summary counts them all.
section "cargo test --locked --no-fail-fast"
log="$(mktemp "${TMPDIR:-/tmp}/stackcheck-test.XXXXXX")"
# Tests that return early for a missing tool (tests/common: skip_unless_ci) record themselves
# here; cargo counts them as passed, the summary as skipped.
STACKCHECK_SKIPPED="$(mktemp "${TMPDIR:-/tmp}/stackcheck-skipped.XXXXXX")"
# Each suite of scripts/test.d appends "NAME PASSED FAILED SKIPPED" here (scripts/lib/suite-counts.sh).
STACKCHECK_SUITE_COUNTS="$(mktemp "${TMPDIR:-/tmp}/stackcheck-suites.XXXXXX")"
export STACKCHECK_SKIPPED STACKCHECK_SUITE_COUNTS
trap 'rm -f "$log" "$STACKCHECK_SKIPPED" "$STACKCHECK_SUITE_COUNTS"' EXIT
set +e
cargo test --locked --no-fail-fast 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

summary() {
  # cargo's per-binary "test result:" lines added up (recorded skips moved from passed to
  # skipped) as "cargo test P F S", and the suites' lines: their totals, then each line's
  # passed/failed/skipped.
  {
    awk -v skipped="$(sort -u "$STACKCHECK_SKIPPED" | wc -l)" '/^test result:/ {
           for (i = 1; i <= NF; i++) {
             if ($(i+1) ~ /^passed/) p += $i
             if ($(i+1) ~ /^failed/) f += $i
             if ($(i+1) ~ /^ignored/) s += $i
           }
         }
         END { printf "cargo test %d %d %d\n", p - skipped, f, s + skipped }' "$log"
    cat "$STACKCHECK_SUITE_COUNTS"
  } | awk '{ p += $(NF-2); f += $(NF-1); s += $NF; name = $1
             for (i = 2; i <= NF - 3; i++) name = name " " $i
             each = each (NR > 1 ? ", " : "") name " " $(NF-2) "/" $(NF-1) "/" $NF }
           END { printf "%d passed, %d failed, %d skipped (%s)\n", p, f, s, each }'
}
if ((status != 0)); then
  section "FAILED: cargo test (exit $status)"
  grep '^test result:' "$log" || true
  echo "tests: $(summary)"
  exit "$status"
fi

# ---- Extra test suites (later tiers) ---------------------------------------------------------
# Every executable scripts/test.d/*.sh runs here, in name order, with HELM_V3, HELM_V4,
# STACKCHECK_TOOLS and STACKCHECK_SUITE_COUNTS exported and the repo root as the working
# directory, e.g.
#   scripts/test.d/40-control-plane.sh kube-apiserver + scheduler + kwok on 127.0.0.1 (tier 4)
#   scripts/test.d/41-chart-install.sh every llm-stack profile installed/upgraded/uninstalled there
#   scripts/test.d/42-agreement.sh     the preflight's verdicts against the real scheduler
#   scripts/test.d/43-chart-runs.sh    the chart's real programs started with what it renders (tier 5)
# A suite exits non-zero to fail the run, and records its counts with suite_counts
# (scripts/lib/suite-counts.sh); one that does not counts as one check, passed or failed.
# Keep each one well inside CI's 90 minutes in total.
failed_suite=""
shopt -s nullglob
for suite in scripts/test.d/*.sh; do
  [[ -x "$suite" ]] || { echo "skipping $suite (not executable)"; continue; }
  section "suite $suite"
  recorded="$(wc -l <"$STACKCHECK_SUITE_COUNTS")"
  suite_status=0
  "$root/$suite" || suite_status=$?
  if (("$(wc -l <"$STACKCHECK_SUITE_COUNTS")" == recorded)); then
    name="$(basename "$suite" .sh)"
    if ((suite_status == 0)); then echo "$name 1 0 0"; else echo "$name 0 1 0"; fi >>"$STACKCHECK_SUITE_COUNTS"
  fi
  if ((suite_status != 0)); then failed_suite="$suite"; break; fi
done
shopt -u nullglob
# ---- end of extra test suites ------------------------------------------------------------------

section "summary (${SECONDS}s)"
grep '^test result:' "$log"
if [[ -n "$failed_suite" ]]; then
  echo "test.sh: suite $failed_suite failed" >&2
  echo "tests: $(summary)"
  exit 1
fi
echo "tests: $(summary)"
