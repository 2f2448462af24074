#!/usr/bin/env bash
# Team mode on one machine: a real `mlflow server` with a PostgreSQL backend store and a proxied artifact
# store, everything (database cluster, artifacts, logs, pid files) in one folder.
#
# Usage: scripts/team-server.sh start|stop|status [--port N] [--dir DIR]
#   start   install Debian's postgresql if missing, create/start a private cluster in DIR/postgres, create the
#           `mlflow` database and user, start `mlflow server` on 127.0.0.1:PORT (default 5000, or a free port
#           when 5000 is taken) and wait until /health answers; prints the tracking URI (also in DIR/tracking_uri)
#   stop    stop the MLflow server and the PostgreSQL cluster (the data stays in DIR)
#   status  print the tracking URI and exit 0 when the server answers, exit 3 when it is stopped
# DIR defaults to data/team-server (git-ignored). Then: export MLFLOW_TRACKING_URI=$(cat DIR/tracking_uri)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

die() {
  echo "team-server: $*" >&2
  exit 1
}

command="${1:-}"
[ $# -gt 0 ] && shift
port=""
dir="$ROOT/data/team-server"
while [ $# -gt 0 ]; do
  case "$1" in
  --port) port="${2:?--port needs a number}" && shift 2 ;;
  --dir) dir="${2:?--dir needs a folder}" && shift 2 ;;
  *) die "unknown option '$1' (usage: team-server.sh start|stop|status [--port N] [--dir DIR])" ;;
  esac
done
case "$command" in
start | stop | status) ;;
*) die "usage: team-server.sh start|stop|status [--port N] [--dir DIR]" ;;
esac
[ -z "$port" ] || [[ "$port" =~ ^[0-9]+$ ]] || die "--port must be a number, got '$port'"

PYTHON="$ROOT/.venv/bin/python"
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"

if [ ! -d "$dir" ]; then
  [ "$command" = start ] || { echo "stopped (no folder $dir)"; [ "$command" = stop ] && exit 0 || exit 3; }
  mkdir -p "$dir"
fi
dir="$(cd "$dir" && pwd)"
pgdata="$dir/postgres"
pgpass="$dir/pgpass"

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

healthy() { # the MLflow server in DIR answers /health
  [ -f "$dir/tracking_uri" ] && "$PYTHON" - "$(cat "$dir/tracking_uri")/health" <<'PY' 2>/dev/null
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as response:
    sys.exit(0 if response.status == 200 else 1)
PY
}

free_port() { # a free TCP port on 127.0.0.1; prefers $1 when it is free
  "$PYTHON" - "${1:-0}" <<'PY'
import socket, sys
for wanted in (int(sys.argv[1]), 0):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", wanted))
        except OSError:
            continue
        print(s.getsockname()[1])
        break
PY
}

pg_bin() { # the newest PostgreSQL server binaries (Debian puts them outside PATH)
  local found
  found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
  [ -n "$found" ] || found="$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/pg_ctl)")"
  [ -x "$found/pg_ctl" ] && echo "$found"
}

as_cluster_user() { # PostgreSQL refuses to run as root: root runs it as Debian's `postgres` user
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_all() {
  if alive "$dir/mlflow.pid"; then
    local pid
    pid="$(cat "$dir/mlflow.pid")"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    echo "MLflow server stopped."
  fi
  rm -f "$dir/mlflow.pid"
  local bin
  bin="$(pg_bin || true)"
  if [ -n "$bin" ] && [ -f "$pgdata/postmaster.pid" ]; then
    as_cluster_user "$bin/pg_ctl" stop -D "$(readlink -f "$pgdata")" -m fast -w -t 60 >/dev/null 2>&1 || true
    echo "PostgreSQL stopped."
  fi
  rm -f "$dir/postgres.pid"
}

if [ "$command" = status ]; then
  if alive "$dir/mlflow.pid" && healthy; then
    echo "running: $(cat "$dir/tracking_uri")"
    exit 0
  fi
  echo "stopped ($dir)"
  exit 3
fi

if [ "$command" = stop ]; then
  stop_all
  exit 0
fi

# ------------------------------------------------------------------------------------------------ start
if alive "$dir/mlflow.pid" && healthy; then
  echo "already running: $(cat "$dir/tracking_uri")"
  exit 0
fi
stop_all >/dev/null # a half-started server from an earlier attempt

[ -x "$PYTHON" ] || die "no .venv: run 'bash scripts/setup-env.sh requirements.txt' first"
"$PYTHON" -c "import importlib.util as u, sys; sys.exit(not (u.find_spec('mlflow') and u.find_spec('psycopg2')))" ||
  die "mlflow or psycopg2 missing in .venv: run 'bash scripts/setup-env.sh requirements.txt'"

if [ -n "$port" ]; then
  [ "$(free_port "$port")" = "$port" ] || die "port $port is in use"
else
  port="$(free_port 5000)"
fi

if [ -z "$(pg_bin || true)" ]; then
  echo "Installing Debian's postgresql for team mode…"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq postgresql >/dev/null
fi
bin="$(pg_bin || true)"
[ -n "$bin" ] || die "PostgreSQL's pg_ctl not found after installing postgresql"

if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' user (Debian's postgresql creates it)"
  # the cluster belongs to `postgres`, which may not reach DIR (pytest's temp folders are private to root):
  # then the cluster lives in a folder of its own under /tmp, linked from DIR
  if [ ! -e "$pgdata" ] && ! runuser -u postgres -- test -x "$dir"; then
    ln -s "$(mktemp -d /tmp/qua3ck-postgres.XXXXXX)" "$pgdata"
  fi
  [ -e "$pgdata" ] || mkdir -p "$pgdata"
  chown postgres: "$(readlink -f "$pgdata")"
  chmod 700 "$(readlink -f "$pgdata")"
fi
pgreal="$(readlink -m "$pgdata")" # the cluster user may reach the folder only by its real path

if [ ! -f "$pgdata/PG_VERSION" ]; then
  admin_password="$("$PYTHON" -c 'import secrets; print(secrets.token_hex(16))')"
  mlflow_password="$("$PYTHON" -c 'import secrets; print(secrets.token_hex(16))')"
  pwfile="$(mktemp)"
  echo "$admin_password" >"$pwfile"
  [ "$(id -u)" -ne 0 ] || chown postgres: "$pwfile"
  as_cluster_user "$bin/initdb" -D "$pgreal" --username=postgres --pwfile="$pwfile" --auth-local=peer \
    --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { rm -f "$pwfile"; die "initdb failed, see $dir/initdb.log"; }
  rm -f "$pwfile"
  echo "$admin_password" >"$dir/admin_password"
  echo "$mlflow_password" >"$dir/mlflow_password"
  chmod 600 "$dir/admin_password" "$dir/mlflow_password"
fi

pg_port="$(free_port "$(cat "$dir/pg_port" 2>/dev/null || echo 0)")"
echo "$pg_port" >"$dir/pg_port"
# only 127.0.0.1 over TCP; the unix socket in the cluster folder when its path is short enough for one
socket_dir="$pgreal"
[ "${#socket_dir}" -lt 90 ] || socket_dir=""
as_cluster_user "$bin/pg_ctl" start -D "$pgreal" -w -t 60 -l "$pgreal/postgres.log" \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -c unix_socket_directories='$socket_dir'" >/dev/null ||
  { stop_all >/dev/null; die "PostgreSQL did not start, see $pgreal/postgres.log"; }
head -n1 "$pgdata/postmaster.pid" >"$dir/postgres.pid"

# the passwords reach libpq through a password file, not the command line
{
  echo "127.0.0.1:$pg_port:*:postgres:$(cat "$dir/admin_password")"
  echo "127.0.0.1:$pg_port:*:mlflow:$(cat "$dir/mlflow_password")"
} >"$pgpass"
chmod 600 "$pgpass"
export PGPASSFILE="$pgpass"
psql() { "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -v ON_ERROR_STOP=1 -tAq "$@"; }
if [ "$(psql -c "SELECT 1 FROM pg_roles WHERE rolname = 'mlflow'")" != 1 ]; then
  psql <<<"CREATE ROLE mlflow LOGIN PASSWORD '$(cat "$dir/mlflow_password")'" >/dev/null # stdin: not in ps
fi
if [ "$(psql -c "SELECT 1 FROM pg_database WHERE datname = 'mlflow'")" != 1 ]; then
  psql -c "CREATE DATABASE mlflow OWNER mlflow" >/dev/null
fi

# the MLflow server: PostgreSQL for runs and the registry, artifacts proxied into DIR/artifacts
mkdir -p "$dir/artifacts"
uri="http://127.0.0.1:$port"
echo "$uri" >"$dir/tracking_uri"
# the default security middleware already allows localhost hosts and origins; a server reached under
# another name needs --allowed-hosts (and --cors-allowed-origins for browser apps on other origins).
# The workbench runs no server-side MLflow jobs (GenAI scorers): without them the server starts seven
# fewer processes, which matters on a 2-core machine; export MLFLOW_SERVER_ENABLE_JOB_EXECUTION=true to keep them
export MLFLOW_SERVER_ENABLE_JOB_EXECUTION="${MLFLOW_SERVER_ENABLE_JOB_EXECUTION:-false}"
unset MLFLOW_TRACKING_URI MLFLOW_REGISTRY_URI # the server's own store is the one on its command line
setsid "$PYTHON" -m mlflow server \
  --backend-store-uri "postgresql+psycopg2://mlflow@127.0.0.1:$pg_port/mlflow" \
  --default-artifact-root mlflow-artifacts:/ \
  --artifacts-destination "$dir/artifacts" \
  --serve-artifacts \
  --host 127.0.0.1 --port "$port" --workers 2 \
  >"$dir/mlflow.log" 2>&1 </dev/null &
echo $! >"$dir/mlflow.pid"

for _ in $(seq 1 240); do
  if healthy; then
    echo "$uri"
    exit 0
  fi
  alive "$dir/mlflow.pid" || break
  sleep 0.5
done
reason="$(tail -n 5 "$dir/mlflow.log" | tr '\n' ' ')"
stop_all >/dev/null
die "mlflow server did not answer /health within 120 s (log: $dir/mlflow.log): $reason"
