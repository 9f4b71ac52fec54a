#!/bin/bash
# First start of the hub's PostgreSQL (docker-entrypoint-initdb.d): one database per service.
# Each service creates its own tables with its migrations (`maillage migrate`, or at start-up).
set -euo pipefail
for service in booking inventory notifications reporting; do
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
        -c "CREATE DATABASE maillage_${service} OWNER \"$POSTGRES_USER\""
done
