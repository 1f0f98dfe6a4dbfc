#!/usr/bin/env bash
# Runs a command with the test bed up: installs the system packages the tests use (once), starts a
# throwaway PostgreSQL on a free port, exports its URL, runs the command, and always stops it again.
# Slurm, Alertmanager and the Redfish emulator are started by the tests' own fixtures.
set -euo pipefail

PACKAGES=(postgresql chromium slurm-wlm prometheus-alertmanager prometheus prometheus-node-exporter openscap-scanner ssg-debderived lynis redis-server)

install_packages() {
  local missing=()
  for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "testbed: installing ${missing[*]}" >&2
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_postgres() {
  local bin; bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  PGDIR=$(mktemp -d /tmp/fleetops-pg.XXXXXX)
  PGPORT=$(free_port)
  local as=(); [ "$(id -u)" -eq 0 ] && { chown postgres "$PGDIR"; as=(runuser -u postgres --); }
  "${as[@]}" "$bin/initdb" -D "$PGDIR/data" -U fleetops --auth=trust -E UTF8 >/dev/null
  "${as[@]}" "$bin/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w -o "-p $PGPORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  "${as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$PGPORT" -U fleetops fleetops_test
  export FLEETOPS_TEST_POSTGRES_URL="postgresql+psycopg://fleetops@127.0.0.1:$PGPORT/fleetops_test"
  PG_STOP=("${as[@]}" "$bin/pg_ctl" -D "$PGDIR/data" -m fast -w stop)
  echo "testbed: PostgreSQL on 127.0.0.1:$PGPORT" >&2
}

stop_postgres() {
  [ -n "${PGDIR:-}" ] || return 0
  "${PG_STOP[@]}" >/dev/null 2>&1 || true
  rm -rf "$PGDIR"
}

install_packages
trap stop_postgres EXIT
start_postgres
"$@"
