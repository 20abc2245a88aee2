#!/bin/sh
# `helm stackcheck ...` runs this (plugin.yaml `command`). Helm has already put HELM_BIN,
# HELM_NAMESPACE, HELM_KUBECONTEXT, KUBECONFIG, HELM_DEBUG, HELM_PLUGIN_DIR, ... in the
# environment; the binary reads them itself. Environment, arguments, stdin/stdout and the exit
# code pass through unchanged (exec replaces this shell).
dir="${HELM_PLUGIN_DIR:-$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)}"
bin="$dir/bin/stackcheck"
if [ ! -x "$bin" ]; then
  echo "stackcheck: the plugin binary $bin is missing." >&2
  echo "stackcheck: the plugin's install hook builds it (needs cargo) or copies it from" >&2
  echo "stackcheck: STACKCHECK_BINARY=/path/to/stackcheck; run it again with:" >&2
  echo "stackcheck:   sh '$dir/scripts/plugin-install.sh'" >&2
  exit 2
fi
exec "$bin" "$@"
