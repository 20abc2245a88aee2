#!/usr/bin/env bash
# Fuzz the YAML/values path (on request; not part of scripts/test.sh or CI).
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Runs every cargo-fuzz target in fuzz/ (or the TARGETs given) for SECONDS each (default 60),
# one after the other, one job each. Installs cargo-fuzz when missing; needs the nightly
# toolchain (installed with rustup when missing). New inputs go to fuzz/runs/<target>/ (not
# committed), seeds are read from fuzz/corpus/<target>/. Extra libFuzzer flags can be given in
# FUZZ_ARGS. Exits non-zero when a target crashes, times out or runs out of memory; the input is
# in fuzz/artifacts/<target>/ (see docs/ARCHITECTURE.md, "Fuzzing", to reproduce and minimise).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"

seconds="${1:-60}"
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2; exit 2; }
shift || true

if [[ -d "$HOME/.cargo/bin" && ":$PATH:" != *":$HOME/.cargo/bin:"* ]]; then
  export PATH="$PATH:$HOME/.cargo/bin"
fi

if ! cargo +nightly --version >/dev/null 2>&1; then
  command -v rustup >/dev/null || { echo "fuzz.sh: cargo-fuzz needs a nightly toolchain (rustup)" >&2; exit 2; }
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

if (($#)); then
  targets=("$@")
else
  mapfile -t targets < <(cd fuzz && cargo +nightly fuzz list)
fi

read -r -a extra <<<"${FUZZ_ARGS:-}"
failed=()
for t in "${targets[@]}"; do
  echo "==== fuzz $t for ${seconds}s ===="
  mkdir -p "fuzz/runs/$t" "fuzz/corpus/$t"
  if ! (cd fuzz && cargo +nightly fuzz run "$t" "$root/fuzz/runs/$t" "$root/fuzz/corpus/$t" -- \
    -dict="$root/fuzz/dict/yaml.dict" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 "${extra[@]}"); then
    failed+=("$t")
  fi
done

if ((${#failed[@]})); then
  echo "fuzz.sh: failing targets: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzz.sh: ${#targets[@]} targets, ${seconds}s each, no crash"
