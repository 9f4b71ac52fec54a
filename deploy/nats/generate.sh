#!/usr/bin/env bash
# Regenerates the example NATS configs of compose.yaml from the same code as the embedded servers.
# Passwords here are placeholders: a real deployment sets its own through MAILLAGE_SITES / MAILLAGE_SITE_PASSWORD.
set -euo pipefail
cd "$(dirname "$0")"
MAILLAGE=${MAILLAGE:-../../.venv/bin/maillage}
common=(MAILLAGE_NATS_LISTEN_HOST=0.0.0.0 MAILLAGE_NATS_PORT=4222 MAILLAGE_NATS_MONITOR_PORT=8222 MAILLAGE_DATA_DIR=/data)
env "${common[@]}" MAILLAGE_SITE=hub MAILLAGE_SERVICES_PASSWORD=CHANGE-ME-services \
  MAILLAGE_SITES='{"trebes": "CHANGE-ME-trebes", "conques": "CHANGE-ME-conques"}' \
  "$MAILLAGE" nats-config --out hub.conf
for site in trebes conques; do
  env "${common[@]}" MAILLAGE_SITE=$site MAILLAGE_HUB_URL=nats-leaf://nats-hub:7422 \
    MAILLAGE_SITE_PASSWORD=CHANGE-ME-$site "$MAILLAGE" nats-config --out site-$site.conf
done
