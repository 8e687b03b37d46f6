#!/usr/bin/env bash
# Make a PostGIS server available on 127.0.0.1:5432 for `make test`:
#  - a PostgreSQL that already runs is used as it is (its PostGIS package is installed if missing);
#  - a cluster that is installed but stopped is started;
#  - with no PostgreSQL at all, Debian's postgresql and PostGIS are installed and started.
# The role postgres gets the password "postgres" if password authentication is required.
set -euo pipefail

host=127.0.0.1
port=5432
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive

apt_install() {
  $sudo apt-get install -y -q --no-install-recommends "$@" \
    || { $sudo apt-get update -q && $sudo apt-get install -y -q --no-install-recommends "$@"; }
}

ready() { pg_isready -q -h "$host" -p "$port" 2>/dev/null; }

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  echo "no PostgreSQL here: installing postgresql and PostGIS"
  apt_install postgresql postgresql-common
fi
if ! ready; then
  read -r version cluster _ < <(pg_lsclusters -h | awk '$3 == 5432 {print $1, $2}') || true
  if [ -z "${version:-}" ]; then
    version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
    $sudo pg_createcluster "$version" main --port "$port" --start
  else
    $sudo pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start
  fi
  for _ in $(seq 1 30); do ready && break; sleep 1; done
  ready || { echo "PostgreSQL did not start on $host:$port" >&2; exit 1; }
fi

psql_postgres() { PGPASSWORD=postgres psql -X -q -h "$host" -p "$port" -U postgres -d postgres "$@"; }
if ! psql_postgres -c "select 1" >/dev/null 2>&1; then
  echo "setting the password of role postgres for local test connections"
  $sudo -u postgres psql -X -q -c "ALTER USER postgres PASSWORD 'postgres'" 2>/dev/null \
    || su postgres -c "psql -X -q -c \"ALTER USER postgres PASSWORD 'postgres'\""
fi

major=$(psql_postgres -At -c "show server_version_num" | cut -c1-2)
if ! dpkg-query -W -f='${Status}' "postgresql-$major-postgis-3" 2>/dev/null | grep -q "install ok installed"; then
  echo "installing postgresql-$major-postgis-3"
  apt_install "postgresql-$major-postgis-3"
fi
psql_postgres -At -c "select 1 from pg_database where datname = 'hazmap'" | grep -q 1 \
  || psql_postgres -c "create database hazmap"
psql_postgres -d hazmap -c "create extension if not exists postgis" >/dev/null
echo "PostGIS ready on $host:$port (database hazmap)"
