#!/bin/sh
# Writes the two secrets compose.yaml reads, once: a random PostgreSQL password and the database URL
# that carries it. The URL file is given to uid 10001 (the fleetops user in the image) and no one else.
set -eu
cd "$(dirname "$0")"
umask 077
mkdir -p secrets
if [ -e secrets/postgres_password ]; then
  echo "secrets/postgres_password exists: keeping it" >&2
else
  python3 -c 'import secrets; print(secrets.token_hex(24))' > secrets/postgres_password
fi
printf 'postgresql+psycopg://fleetops:%s@postgres:5432/fleetops\n' "$(cat secrets/postgres_password)" \
  > secrets/database_url
chown 10001:10001 secrets/database_url 2>/dev/null || echo "run as root to chown secrets/database_url to 10001" >&2
chmod 0400 secrets/database_url
