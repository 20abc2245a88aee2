#!/usr/bin/env bash
# Installs the real programs of the chart's images (tools/versions.env, "chart-runs tier") into the
# tool cache for scripts/test.d/43-chart-runs.sh, reusing what is there, and prints `export` lines.
#
#   tools/apps.sh [APP...]          APP: busybox redis postgres litellm open-webui r2r (default: all)
#   eval "$(tools/apps.sh redis postgres)"
#
# Exports, for each app that is installed (an app that cannot be installed here is left out, with
# the reason on stderr and in $cache/apps/APP.missing, so the tier reports it as skipped):
#   STACKCHECK_APPS     the cache directory of the apps ($cache/apps)
#   BUSYBOX_BIN         directory of busybox applets (and nc with -z), for busybox images
#   REDIS_BIN           directory with redis-server and redis-cli (Debian's package, copied)
#   POSTGRES_BIN        directory with postgres, initdb, pg_ctl, psql ... (PostgreSQL 16 + pgvector)
#   LITELLM_VENV, OPEN_WEBUI_VENV, R2R_VENV   a virtualenv per Python app (PyPI, pinned), with
#                       LITELLM_SITE ... (its site-packages) and PYTHON_HOME (the base interpreter)
#
# Cache: $STACKCHECK_TOOLS_DIR, default ${XDG_CACHE_HOME:-$HOME/.cache}/stackcheck/tools (shared
# with tools/tools.sh, but its own lock: installing apps never waits for a Kubernetes build).
# Each app lives in a directory named after its pinned version with a .stamp of how it was made;
# a bumped pin installs anew. Progress and errors go to stderr, `export` lines to stdout.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=versions.env
. "$here/versions.env"
cache="${STACKCHECK_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/stackcheck/tools}"
apps="$cache/apps"
mkdir -p "$apps"
exec 8>"$apps/.lock"
flock 8
rm -rf "$apps"/.build.*

log() { echo "apps: $*" >&2; }
fingerprint() { sha256sum "$1" | cut -c1-16; }
# missing APP REASON: record why APP is not installed (the tier prints it as the skip reason).
missing() { printf '%s\n' "$2" >"$apps/$1.missing"; log "$1 not installed: $2"; }

python="${STACKCHECK_PYTHON:-python3}"

# fresh_build -> a new build directory (moved into place when complete).
fresh_build() { mktemp -d "$apps/.build.XXXXXX"; }
# stamp_ok DIR STAMP: DIR was made by exactly STAMP (and others may enter it).
stamp_ok() { [[ -f "$1/.stamp" && "$(cat "$1/.stamp")" == "$2" && "$(stat -c %a "$1")" == 755 ]]; }
# finish TMP DEST STAMP START
finish() {
  chmod 755 "$1"  # mktemp made it 0700: the containers' users (runAsUser) must reach the programs
  printf '%s' "$3" >"$1/.stamp"
  rm -rf "$2"; mv "$1" "$2"
  rm -f "$apps/$(basename "${2%-*}").missing"
  log "installed $(basename "$2") in $((SECONDS - $4))s ($(du -sh "$2" | cut -f1))"
}

# redis: Debian's redis-server (apt-get, as root), its binaries and stock redis.conf copied into
# the cache so the tier never depends on what /usr/bin holds later.
install_redis() {
  local dest="$apps/redis-$REDIS_SERIES" version stamp start=$SECONDS tmp
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    if command -v apt-get >/dev/null && [[ "$(id -u)" == 0 ]]; then
      # policy-rc.d / no init system: the package's service is not started (the tier runs its own).
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server; } \
        >/dev/null 2>&1 || true
    fi
  fi
  if ! command -v redis-server >/dev/null; then
    missing redis "redis-server is not installed (Debian: apt-get install redis-server, as root)"; return 0
  fi
  version="$(redis-server --version | sed -n 's/.* v=\([0-9.]*\).*/\1/p')"
  if [[ "$version" != "$REDIS_SERIES".* ]]; then
    missing redis "redis-server $version is not of the pinned series $REDIS_SERIES"; return 0
  fi
  stamp="redis-server $version ($(dpkg-query -W -f '${Version}' redis-server 2>/dev/null || echo '?'))"
  stamp_ok "$dest" "$stamp" && return 0
  tmp="$(fresh_build)"
  mkdir -p "$tmp/bin"
  cp -L "$(command -v redis-server)" "$(command -v redis-cli)" "$tmp/bin/"
  if [[ -f /etc/redis/redis.conf ]]; then cp /etc/redis/redis.conf "$tmp/redis.conf"; fi
  finish "$tmp" "$dest" "$stamp" "$start"
}

# busybox: the init containers' image (docker.io/library/busybox). Debian's busybox applets, with
# netcat-openbsd's nc first: Debian builds busybox's nc without -z, the image's has it.
install_busybox() {
  local dest="$apps/busybox-$BUSYBOX_SERIES" stamp start=$SECONDS tmp
  if ! command -v busybox >/dev/null || ! command -v nc.openbsd >/dev/null; then
    if command -v apt-get >/dev/null && [[ "$(id -u)" == 0 ]]; then
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends busybox netcat-openbsd; } \
        >/dev/null 2>&1 || true
    fi
  fi
  if ! command -v busybox >/dev/null || ! command -v nc.openbsd >/dev/null; then
    missing busybox "busybox and netcat-openbsd are not installed (Debian: apt-get install busybox netcat-openbsd)"; return 0
  fi
  stamp="$(busybox | head -n1) + $(command -v nc.openbsd) (relative applet links)"
  stamp_ok "$dest" "$stamp" && return 0
  tmp="$(fresh_build)"
  mkdir -p "$tmp/bin"
  cp -L "$(command -v busybox)" "$tmp/bin/busybox"
  # relative links (busybox --install -s would name the build directory)
  local a
  for a in $("$tmp/bin/busybox" --list); do [[ "$a" == busybox ]] || ln -s busybox "$tmp/bin/$a"; done
  cp -L "$(command -v nc.openbsd)" "$tmp/bin/nc.openbsd"
  ln -sfn nc.openbsd "$tmp/bin/nc"
  finish "$tmp" "$dest" "$stamp" "$start"
}

# postgres: the PostgreSQL 16 binaries (with pgvector) of PyPI's pgserver wheel, unpacked; the
# wheel's Python layer is not used.
install_postgres() {
  local dest="$apps/postgres-$PGSERVER_VERSION" stamp="pip download pgserver==$PGSERVER_VERSION (pginstall + pgserver.libs)" start=$SECONDS tmp whl
  stamp_ok "$dest" "$stamp" && return 0
  tmp="$(fresh_build)"
  if ! "$python" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --python-version 3.11 --platform manylinux2014_x86_64 -d "$tmp/dl" "pgserver==$PGSERVER_VERSION" >&2; then
    rm -rf "$tmp"; missing postgres "pip download pgserver==$PGSERVER_VERSION failed"; return 0
  fi
  whl="$(ls "$tmp"/dl/*.whl)"
  "$python" - "$whl" "$tmp" <<'PY'
import sys, zipfile, os
whl, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    for n in z.namelist():
        if n.startswith(("pgserver/pginstall/", "pgserver.libs/")):
            z.extract(n, out)
PY
  # The layout stays the wheel's: the programs find libpq by RPATH $ORIGIN/../../../pgserver.libs.
  rm -rf "$tmp/dl"
  ln -s pgserver/pginstall "$tmp/pg"
  chmod +x "$tmp"/pg/bin/*
  local v
  v="$("$tmp/pg/bin/postgres" --version && "$tmp/pg/bin/psql" --version >/dev/null)" || { rm -rf "$tmp"; missing postgres "postgres of pgserver $PGSERVER_VERSION does not run here"; return 0; }
  if [[ "$v" != *" $POSTGRES_SERIES."* ]]; then rm -rf "$tmp"; missing postgres "pgserver $PGSERVER_VERSION has $v, not $POSTGRES_SERIES"; return 0; fi
  finish "$tmp" "$dest" "$stamp" "$start"
}

# venv_app NAME VERSION SPEC...: a virtualenv with pip install SPEC... (pinned by the caller).
venv_app() {
  local name="$1" version="$2"; shift 2
  # Transitive versions pinned too: tools/apps/NAME.constraints.txt (a pip freeze of a venv the
  # tier passed with), when there is one.
  local constraints="$here/apps/$name.constraints.txt" cargs=()
  if [[ -f "$constraints" ]]; then cargs=(-c "$constraints"); fi
  local dest="$apps/$name-$version" start=$SECONDS
  local stamp="$python -m venv + pip install $*${cargs[*]:+ -c $(fingerprint "$constraints")}"
  stamp_ok "$dest" "$stamp" && return 0
  # A pin that could not be installed is not tried again at every run (until the pin changes).
  if [[ -f "$apps/$name.missing" ]] && grep -qxF "stamp: $stamp" "$apps/$name.missing"; then
    log "$name not installed: $(head -n1 "$apps/$name.missing") (tried before)"; return 0
  fi
  log "installing $name $version from PyPI (first run only) ..."
  # Built in place (a venv's scripts name their interpreter by absolute path); the stamp is
  # written last, so a half-made venv is never taken for a complete one.
  rm -rf "$dest"
  "$python" -m venv "$dest"
  if ! "$dest/bin/pip" install --quiet --disable-pip-version-check --no-input "${cargs[@]}" "$@" >"$dest/pip.log" 2>&1; then
    tail -n 5 "$dest/pip.log" | cut -c1-300 >&2
    local why
    why="$(grep -m1 'No matching distribution\|Could not find' "$dest/pip.log" | cut -c1-200)"
    rm -rf "$dest"; missing "$name" "pip install $* failed: ${why:-see the log above}"
    echo "stamp: $stamp" >>"$apps/$name.missing"
    return 0
  fi
  printf '%s' "$stamp" >"$dest/.stamp"
  rm -f "$apps/$name.missing"
  log "installed $name $version in $((SECONDS - start))s ($(du -sh "$dest" | cut -f1))"
}

install_litellm() { venv_app litellm "$LITELLM_VERSION" "litellm[proxy]==$LITELLM_VERSION"; }
install_open_webui() { venv_app open-webui "$OPEN_WEBUI_VERSION" "open-webui==$OPEN_WEBUI_VERSION"; }
# r2r: the server is the `core` extra (the plain package is the client SDK).
install_r2r() { venv_app r2r "$R2R_VERSION" "r2r[core]==$R2R_VERSION"; }

want=("$@")
((${#want[@]})) || want=(busybox redis postgres litellm open-webui r2r)
for app in "${want[@]}"; do
  case "$app" in
    busybox) install_busybox ;;
    redis) install_redis ;;
    postgres) install_postgres ;;
    litellm) install_litellm ;;
    open-webui) install_open_webui ;;
    r2r) install_r2r ;;
    *) echo "usage: tools/apps.sh [busybox|redis|postgres|litellm|open-webui|r2r]..." >&2; exit 2 ;;
  esac
done

# venv_env NAME DIR: NAME_VENV, NAME_SITE (its site-packages) and PYTHON_HOME (the interpreter's
# installation the venv links to: containers running as another user must reach it too).
venv_env() {
  printf 'export %s_VENV=%q\n' "$1" "$2"
  printf 'export %s_SITE=%q\n' "$1" "$("$2/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  printf 'export PYTHON_HOME=%q\n' "$("$2/bin/python" -c 'import sys; print(sys.base_prefix)')"
}

printf 'export STACKCHECK_APPS=%q\n' "$apps"
for app in "${want[@]}"; do
  case "$app" in
    busybox) d="$apps/busybox-$BUSYBOX_SERIES"; [[ -f "$d/.stamp" ]] && printf 'export BUSYBOX_BIN=%q\n' "$d/bin" ;;
    redis) d="$apps/redis-$REDIS_SERIES"; [[ -f "$d/.stamp" ]] && printf 'export REDIS_BIN=%q\n' "$d/bin" ;;
    postgres) d="$apps/postgres-$PGSERVER_VERSION"; [[ -f "$d/.stamp" ]] && printf 'export POSTGRES_BIN=%q\n' "$d/pg/bin" ;;
    litellm) d="$apps/litellm-$LITELLM_VERSION"; [[ -f "$d/.stamp" ]] && venv_env LITELLM "$d" ;;
    open-webui) d="$apps/open-webui-$OPEN_WEBUI_VERSION"; [[ -f "$d/.stamp" ]] && venv_env OPEN_WEBUI "$d" ;;
    r2r) d="$apps/r2r-$R2R_VERSION"; [[ -f "$d/.stamp" ]] && venv_env R2R "$d" ;;
  esac
done
exit 0
