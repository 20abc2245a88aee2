#!/usr/bin/env bash
# The files of the sclorg Redis 7 image (rhel9/redis-7, sclorg/redis-7-c9s) that the chart's pod
# relies on, made from Debian's redis-server (tools/apps.sh redis) into the root directory $1:
#   /etc/redis/redis.conf   the package's stock config, edited as the image's container-setup does
#                           (bind and protected-mode off, log to stdout, dir /var/lib/redis/data)
#   /usr/share/container-scripts/redis/password.conf.template
#   /usr/bin/run-redis, /usr/bin/container-entrypoint   the image's scripts, in substance: append
#                           requirepass to $REDIS_CONF, exec redis-server $REDIS_CONF --daemonize no "$@"
set -euo pipefail
root="$1"
conf="$REDIS_BIN/../redis.conf"
[[ -f "$conf" ]] || { echo "no stock redis.conf at $conf" >&2; exit 1; }
mkdir -p "$root/etc/redis" "$root/usr/share/container-scripts/redis" "$root/usr/bin" "$root/var/lib/redis/data"
sed -e 's/^bind /# bind /' -e 's/^protected-mode yes/protected-mode no/' -e 's/^logfile .*/logfile ""/' \
  -e 's@^dir .*@dir /var/lib/redis/data@' -e 's/^daemonize yes/daemonize no/' -e 's@^pidfile .*@# pidfile@' \
  -e 's/^supervised .*/supervised no/' "$conf" >"$root/etc/redis/redis.conf"
grep -q '^dir /var/lib/redis/data$' "$root/etc/redis/redis.conf"
# shellcheck disable=SC2016 # a template: the image fills it with envsubst
printf 'requirepass ${REDIS_PASSWORD}\n' >"$root/usr/share/container-scripts/redis/password.conf.template"
cat >"$root/usr/bin/container-entrypoint" <<'SH'
#!/bin/bash
exec "$@"
SH
cat >"$root/usr/bin/run-redis" <<'SH'
#!/bin/bash
# sclorg's run-redis, in substance (the password is appended with envsubst in the image).
set -eu
if [[ -v REDIS_PASSWORD ]]; then
  echo "requirepass ${REDIS_PASSWORD}" >>"${REDIS_CONF}"
else
  echo "=> WARNING: setting REDIS_PASSWORD is recommended"
fi
exec "${REDIS_PREFIX:+}redis-server" "${REDIS_CONF}" --daemonize no "$@" 2>&1
SH
chmod +x "$root/usr/bin/run-redis" "$root/usr/bin/container-entrypoint"
