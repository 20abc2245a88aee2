#!/usr/bin/env bash
# Open WebUI image's backend/start.sh in substance: a secret key when none is given, then uvicorn.
set -e
if [[ -z "${WEBUI_SECRET_KEY:-}" && -z "${WEBUI_JWT_SECRET_KEY:-}" ]]; then
  WEBUI_SECRET_KEY="$(head -c 12 /dev/urandom | base64)"
  export WEBUI_SECRET_KEY
fi
exec uvicorn open_webui.main:app --host "${HOST:-0.0.0.0}" --port "${PORT:-8080}" --forwarded-allow-ips '*' --workers "${UVICORN_WORKERS:-1}"
