#!/usr/bin/env bash
# Set up the environment and run the whole suite: lint, unit, CLI, app (AppTest), e2e (Chromium) and team
# mode (tests/team, against a real mlflow server on PostgreSQL that this script starts and stops).
# Exits non-zero when anything fails or when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-env.sh requirements-dev.txt

if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's chromium for the browser tests…"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .

# The suite must never touch a person's store: tests make their own, and these guard the rest.
unset MLFLOW_TRACKING_URI MLFLOW_REGISTRY_URI
export QUA3CK_DATA_DIR="$(mktemp -d)/must-not-be-used"
export MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false

# Team mode (tests/team): a real mlflow server on PostgreSQL with proxied artifacts, in a temporary folder,
# stopped and removed on exit. Without these variables (pytest run alone) tests/team starts its own.
if [ "${QUA3CK_SKIP_TEAM:-}" != 1 ] && { [ $# -eq 0 ] || [[ "$*" == *team* ]]; }; then
  team_dir="$(mktemp -d /tmp/qua3ck-team.XXXXXX)"
  stop_team() {
    bash scripts/team-server.sh stop --dir "$team_dir" >/dev/null || true
    rm -rf "$(readlink -f "$team_dir/postgres")" "$team_dir" # a root run links the cluster from /tmp
  }
  trap stop_team EXIT
  bash scripts/team-server.sh start --dir "$team_dir"
  export QUA3CK_TEAM_DIR="$team_dir" QUA3CK_TEAM_URI="$(cat "$team_dir/tracking_uri")"
fi

status=0
.venv/bin/python -m pytest -p no:cacheprovider -q "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "No test ran: that is a failure." >&2
  exit 1
fi
exit "$status"
