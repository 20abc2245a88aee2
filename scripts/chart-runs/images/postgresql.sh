#!/usr/bin/env bash
# The files of the sclorg PostgreSQL 16 image (rhel9/postgresql-16, sclorg/postgresql-16-c9s) that
# the chart's pod relies on, for PostgreSQL 16 of tools/apps.sh postgres, into the root directory $1:
#   /usr/bin/run-postgresql   the image's start script in substance (sclorg postgresql-container,
#                             root/usr/bin/run-postgresql and common.sh): check the POSTGRESQL_*
#                             variables, write openshift-custom-postgresql.conf (listen on all
#                             addresses), initdb on the first start (md5 for TCP), create
#                             POSTGRESQL_USER/DATABASE, set the passwords, source every
#                             $APP_DATA/src/postgresql-start/*.sh while the server runs locally, then
#                             exec postgres in the foreground
#   /usr/bin/run-postgresql-master   the same as a replication primary (wal_level replica, the
#                             POSTGRESQL_MASTER_USER replication role)
#   /usr/bin/container-entrypoint
#   /etc/passwd               the host's with the image's user postgres (uid 26), as the image's
#                             nss_wrapper provides it (psql and initdb look the user up)
set -euo pipefail
root="$1"
mkdir -p "$root/usr/bin" "$root/etc"
{ grep -v '^postgres:' /etc/passwd; echo 'postgres:x:26:26:PostgreSQL Server:/var/lib/pgsql:/bin/bash'; } >"$root/etc/passwd"
printf '#!/bin/bash\nexec "$@"\n' >"$root/usr/bin/container-entrypoint"
cat >"$root/usr/bin/run-postgresql" <<'RUN'
#!/bin/bash
set -eu
export PGDATA="$HOME/data/userdata"
POSTGRESQL_CONFIG_FILE="$HOME/openshift-custom-postgresql.conf"
postinitdb_actions=
if [[ -v POSTGRESQL_USER || -v POSTGRESQL_PASSWORD || -v POSTGRESQL_DATABASE ]]; then
  if ! [[ -v POSTGRESQL_USER && -v POSTGRESQL_PASSWORD && -v POSTGRESQL_DATABASE ]]; then
    echo "You must specify all three of POSTGRESQL_USER, POSTGRESQL_PASSWORD and POSTGRESQL_DATABASE" >&2; exit 1
  fi
  postinitdb_actions+=",simple_db"
fi
if [[ -v POSTGRESQL_ADMIN_PASSWORD ]]; then postinitdb_actions+=",admin_pass"; fi
if [[ "${ENABLE_REPLICATION:-false}" == true ]]; then
  if ! [[ -v POSTGRESQL_MASTER_USER && -v POSTGRESQL_MASTER_PASSWORD ]]; then
    echo "Replication needs POSTGRESQL_MASTER_USER and POSTGRESQL_MASTER_PASSWORD" >&2; exit 1
  fi
fi
if [[ -z "$postinitdb_actions" ]]; then
  echo "You must either specify POSTGRESQL_USER/PASSWORD/DATABASE or POSTGRESQL_ADMIN_PASSWORD" >&2; exit 1
fi
mkdir -p "$PGDATA"; chmod 700 "$PGDATA"
{
  echo "listen_addresses = '*'"
  echo "max_connections = ${POSTGRESQL_MAX_CONNECTIONS:-100}"
  echo "max_prepared_transactions = ${POSTGRESQL_MAX_PREPARED_TRANSACTIONS:-0}"
  echo "shared_buffers = ${POSTGRESQL_SHARED_BUFFERS:-32MB}"
  echo "effective_cache_size = ${POSTGRESQL_EFFECTIVE_CACHE_SIZE:-128MB}"
  if [[ "${ENABLE_REPLICATION:-false}" == true ]]; then
    echo "wal_level = replica"
    echo "max_wal_senders = 6"
    echo "wal_keep_size = 512MB"
    echo "hot_standby = on"
  fi
} >"$POSTGRESQL_CONFIG_FILE"
initialized=false
if [[ ! -f "$PGDATA/postgresql.conf" ]]; then
  initdb >/dev/null
  echo "include '${POSTGRESQL_CONFIG_FILE}'" >>"$PGDATA/postgresql.conf"
  printf 'host all all all md5\nhost replication all all md5\n' >>"$PGDATA/pg_hba.conf"
  initialized=true
fi
pg_ctl -w start -o "-h ''" -t 86400 >/dev/null
if $initialized; then
  for f in "$APP_DATA"/src/postgresql-init/*.sh; do if [[ -f "$f" ]]; then source "$f"; fi; done
  if [[ ",$postinitdb_actions," == *,simple_db,* ]]; then
    createuser "$POSTGRESQL_USER"
    createdb --owner="$POSTGRESQL_USER" "$POSTGRESQL_DATABASE"
  fi
  if [[ "${ENABLE_REPLICATION:-false}" == true ]]; then
    createuser -c 5 --replication "$POSTGRESQL_MASTER_USER"
  fi
fi
if [[ "${ENABLE_REPLICATION:-false}" == true ]]; then
  psql -q --command "ALTER USER \"${POSTGRESQL_MASTER_USER}\" WITH REPLICATION ENCRYPTED PASSWORD '${POSTGRESQL_MASTER_PASSWORD}';"
fi
if [[ ",$postinitdb_actions," == *,simple_db,* ]]; then
  psql -q --command "ALTER USER \"${POSTGRESQL_USER}\" WITH ENCRYPTED PASSWORD '${POSTGRESQL_PASSWORD}';"
fi
if [[ -v POSTGRESQL_ADMIN_PASSWORD ]]; then
  psql -q --command "ALTER USER \"postgres\" WITH ENCRYPTED PASSWORD '${POSTGRESQL_ADMIN_PASSWORD}';"
fi
for f in "$APP_DATA"/src/postgresql-start/*.sh; do if [[ -f "$f" ]]; then source "$f"; fi; done
pg_ctl stop >/dev/null
unset POSTGRESQL_PASSWORD POSTGRESQL_ADMIN_PASSWORD POSTGRESQL_MASTER_PASSWORD
echo "Starting server..."
exec postgres "$@"
RUN
printf '#!/bin/bash\nexport ENABLE_REPLICATION=true\nexec run-postgresql "$@"\n' >"$root/usr/bin/run-postgresql-master"
chmod +x "$root/usr/bin/run-postgresql" "$root/usr/bin/run-postgresql-master" "$root/usr/bin/container-entrypoint"
