#!/bin/sh
# Helm v4 runs this with the rendered manifests on stdin and the --post-renderer-args as
# arguments; stdout and the exit code go back to Helm unchanged (exec). Helm v4 (4.3) throws a
# post-renderer plugin's stderr away, so when there is a terminal the report goes there
# instead; without one, pass --post-renderer-args=--report-file=FILE to keep it.
if [ -n "${STACKCHECK_BINARY:-}" ]; then
  bin="$STACKCHECK_BINARY"
elif [ -n "${HELM_PLUGINS:-}" ] && [ -x "$HELM_PLUGINS/stackcheck/bin/stackcheck" ]; then
  bin="$HELM_PLUGINS/stackcheck/bin/stackcheck"
elif command -v stackcheck >/dev/null 2>&1; then
  bin=stackcheck
else
  echo "stackcheck-post-render: no stackcheck binary: install the stackcheck plugin" >&2
  echo "stackcheck-post-render: (helm plugin install ...), put stackcheck on PATH, or set STACKCHECK_BINARY" >&2
  exit 2
fi
if [ -z "${STACKCHECK_POST_RENDER_NO_TTY:-}" ] && { : >/dev/tty; } 2>/dev/null; then
  exec "$bin" post-render "$@" 2>/dev/tty
fi
exec "$bin" post-render "$@"
