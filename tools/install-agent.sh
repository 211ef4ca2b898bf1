#!/usr/bin/env bash
# Installs the ECTS agent on this host from a built checkout and starts it under systemd.
#   sudo tools/install-agent.sh --api-url https://ects.example.com --etcd-endpoints http://etcd-1:2379 --enroll-token ectse_...
# Run it from the checkout after `npm ci && npm run build`. Extra settings: edit /etc/ects/agent.env.
set -euo pipefail

api_url="" etcd_endpoints="" enroll_token="" labels="" name="$(hostname)"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --api-url) api_url="$2"; shift 2 ;;
    --etcd-endpoints) etcd_endpoints="$2"; shift 2 ;;
    --enroll-token) enroll_token="$2"; shift 2 ;;
    --labels) labels="$2"; shift 2 ;;
    --name) name="$2"; shift 2 ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "install-agent: unknown option $1; see --help" >&2; exit 2 ;;
  esac
done
if [[ -z "$api_url" || -z "$etcd_endpoints" || -z "$enroll_token" ]]; then
  echo "install-agent: --api-url, --etcd-endpoints and --enroll-token are required" >&2
  exit 2
fi
if [[ $EUID -ne 0 ]]; then
  echo "install-agent: run as root (it creates a user, /opt/ects and a systemd unit)" >&2
  exit 1
fi

source_dir="$(cd "$(dirname "$0")/.." && pwd)"
if [[ ! -f "$source_dir/apps/agent/dist/main.js" ]]; then
  echo "install-agent: $source_dir/apps/agent/dist/main.js is missing; run npm ci && npm run build first" >&2
  exit 1
fi

id -u ects >/dev/null 2>&1 || useradd --system --home-dir /var/lib/ects-agent --shell /usr/sbin/nologin ects
mkdir -p /opt/ects /etc/ects
cp -a "$source_dir/." /opt/ects/
install -m 0600 -o ects -g ects /dev/null /etc/ects/agent.env
cat >/etc/ects/agent.env <<ENV
ECTS_API_URL=$api_url
ECTS_ETCD_ENDPOINTS=$etcd_endpoints
ECTS_ENROLL_TOKEN=$enroll_token
ECTS_NODE_NAME=$name
ECTS_NODE_LABELS=$labels
ENV
install -m 0644 "$source_dir/docker/systemd/ects-agent.service" /etc/systemd/system/ects-agent.service
systemctl daemon-reload
systemctl enable --now ects-agent.service
echo "ECTS agent installed as node $name; follow it with: journalctl -u ects-agent -f"
