#!/usr/bin/env bash
# PostgreSQL for the tests, on a Debian machine: installs the server when missing, starts the
# cluster, and makes the role the tests use (convonet, password convonet-test, allowed to create databases)
# reachable on 127.0.0.1:5432. Safe to run again: each step checks before it acts.
set -euo pipefail

if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  cat <<'USAGE'
Gets PostgreSQL running for the tests on Debian or Ubuntu: installs the postgresql package when
missing (as root, or through sudo), starts the cluster, and creates the role convonet (password
convonet-test, allowed to create databases) on 127.0.0.1:5432. Running it again changes nothing.

  npm run db:up
USAGE
  exit 0
fi

role=convonet
password=convonet-test
url="postgres://$role:$password@127.0.0.1:5432/postgres"

if psql "$url" -qtAc 'select 1' >/dev/null 2>&1; then
  echo "db:up: PostgreSQL ready at postgres://$role@127.0.0.1:5432"
  exit 0
fi

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "db:up: '$*' needs root; run this script as root, or point TEST_DATABASE_URL at your own server" >&2
    exit 1
  fi
}

if ! command -v pg_ctlcluster >/dev/null; then
  if ! command -v apt-get >/dev/null; then
    echo "db:up: no PostgreSQL and no apt-get; install PostgreSQL yourself and set TEST_DATABASE_URL (see README, Tests)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi

# Debian's package creates one cluster; start it when it is down (no systemd in containers).
version=$(ls /etc/postgresql | sort -V | tail -1)
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
fi
pg_isready -q -h 127.0.0.1 -p 5432 || { echo "db:up: PostgreSQL $version did not start; see /var/log/postgresql" >&2; exit 1; }

# Debian's pg_hba.conf already allows password (scram) logins on 127.0.0.1; the role needs one.
as_root runuser -u postgres -- psql -qtAX -v ON_ERROR_STOP=1 <<SQL >/dev/null
select 'create role $role' where not exists (select from pg_roles where rolname = '$role')\gexec
alter role $role login createdb password '$password';
SQL

psql "$url" -qtAc 'select 1' >/dev/null
echo "db:up: PostgreSQL $version ready at postgres://$role@127.0.0.1:5432"
