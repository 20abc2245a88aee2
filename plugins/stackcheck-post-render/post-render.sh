#!/bin/sh
# Helm v4 runs this with the rendered manifests on stdin and the --post-renderer-args as
# arguments; stdout and the exit code go back to Helm unchanged (exec). Helm v4 (4.3) throws a
# post-renderer plugin's stderr away, so when there is a terminal the report goes there
# instead; without one, pass --post-renderer-args=--report-file=FILE to keep it.

# stackcheck_plugin_binary: bin/stackcheck of the installed plugin named `stackcheck`. Helm
# names a plugin's directory after the directory it was installed from (`helm plugin install
# ./src` makes $HELM_PLUGINS/src), so the plugin is found by the name in its plugin.yaml: in
# the directory this plugin is installed in (Helm v4 gives a post-renderer plugin only
# HELM_PLUGIN_DIR, not HELM_PLUGINS), then in every directory of $HELM_PLUGINS (a list, like PATH).
stackcheck_plugin_binary() {
  old_ifs="$IFS"
  IFS=:
  for plugins in ${HELM_PLUGIN_DIR:+"${HELM_PLUGIN_DIR%/*}"} ${HELM_PLUGINS:-}; do
    IFS="$old_ifs"
    for manifest in "$plugins"/*/plugin.yaml; do
      if [ -x "${manifest%/plugin.yaml}/bin/stackcheck" ] &&
        grep -q '^name:[[:space:]]*["'\'']\{0,1\}stackcheck["'\'']\{0,1\}[[:space:]]*$' "$manifest"; then
        printf '%s\n' "${manifest%/plugin.yaml}/bin/stackcheck"
        return 0
      fi
    done
  done
  IFS="$old_ifs"
  return 1
}

if [ -n "${STACKCHECK_BINARY:-}" ]; then
  bin="$STACKCHECK_BINARY"
elif bin="$(stackcheck_plugin_binary)"; then
  :
elif command -v stackcheck >/dev/null 2>&1; then
  bin=stackcheck
else
  echo "stackcheck-post-render: no stackcheck binary: install the stackcheck plugin" >&2
  echo "stackcheck-post-render: (helm plugin install ...), put stackcheck on PATH, or set STACKCHECK_BINARY" >&2
  exit 2
fi
# Is there a terminal to show the report on? Probed in a subshell: a failed redirection of a
# special built-in such as `:` exits a POSIX shell (dash does), which ended every run without a
# terminal, that is every CI run, with Helm saying only that the plugin "exited with error".
if [ -z "${STACKCHECK_POST_RENDER_NO_TTY:-}" ] && (: >/dev/tty) 2>/dev/null; then
  exec "$bin" post-render "$@" 2>/dev/tty
fi
exec "$bin" post-render "$@"
