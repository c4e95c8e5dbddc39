#!/usr/bin/env bash
# scripts/with-postgres.sh CMD [ARGS...]
#
# Runs CMD against a throw-away PostgreSQL cluster:
#   1. installs Debian's `postgresql` with apt when no initdb is found;
#   2. initdb's a cluster in a fresh temp dir (as the `postgres` system user when
#      running as root — PostgreSQL refuses to run as root);
#   3. starts it on a free 127.0.0.1 port, unix socket in the temp dir, tuned for
#      tests (fsync off: the data is thrown away anyway);
#   4. creates role jiesu/jiesu (LOGIN CREATEDB, so pytest-django can create
#      test_jiesu) and database jiesu; on PostgreSQL 15+ grants it SET on
#      session_replication_role (the import's per-batch key checks, docs/import.md);
#   5. exports JIESU_DATABASE_URL=postgres://jiesu:jiesu@127.0.0.1:PORT/jiesu and runs CMD;
#   6. always stops the server and removes the temp dir (trap), exiting with CMD's status.
#
# Env: JIESU_PG_KEEP=1 keeps the temp dir (for debugging); JIESU_PG_QUIET=1 less chatter;
#      JIESU_PG_SHARED_BUFFERS (default 128MB, enough for tests; a production server has ~25 % of RAM).
set -euo pipefail

if [ $# -eq 0 ]; then
    echo "usage: $0 CMD [ARGS...]   e.g. $0 make test" >&2
    exit 2
fi

say() { [ "${JIESU_PG_QUIET:-0}" = 1 ] || echo "with-postgres: $*" >&2; }
t0=$(date +%s.%N)

find_pg_bin() {
    local d
    # Newest major version first.
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
    done
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v initdb)")"; return 0
    fi
    return 1
}

if ! PGBIN=$(find_pg_bin); then
    say "initdb not found; installing postgresql with apt ..."
    SUDO=()
    [ "$(id -u)" -eq 0 ] || SUDO=(sudo)
    APT=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=1800)
    if ! "${APT[@]}" install --no-install-recommends postgresql; then
        "${APT[@]}" update
        "${APT[@]}" install --no-install-recommends postgresql
    fi
    PGBIN=$(find_pg_bin) || { echo "with-postgres: postgresql installed but initdb not found" >&2; exit 1; }
fi

# Who runs the server: ourselves, or (as root) an unprivileged system user.
AS=()
if [ "$(id -u)" -eq 0 ]; then
    PGUSER_OS=postgres
    if ! id "$PGUSER_OS" >/dev/null 2>&1; then
        PGUSER_OS=jiesu-pg
        id "$PGUSER_OS" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PGUSER_OS"
    fi
    if command -v runuser >/dev/null 2>&1; then
        AS=(runuser -u "$PGUSER_OS" --)
    else
        AS=(sudo -u "$PGUSER_OS" --)
    fi
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/jiesu-pg.XXXXXX")
chmod 700 "$TMP"
[ "$(id -u)" -ne 0 ] || chown "$PGUSER_OS": "$TMP"
DATA="$TMP/data"
LOG="$TMP/postgres.log"
STARTED=0

cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if [ "$STARTED" = 1 ]; then
        "${AS[@]}" "$PGBIN/pg_ctl" -D "$DATA" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    if [ "${JIESU_PG_KEEP:-0}" = 1 ]; then
        say "kept $TMP"
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

"${AS[@]}" "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --no-locale --no-sync >"$TMP/initdb.log" 2>&1 \
    || { cat "$TMP/initdb.log" >&2; echo "with-postgres: initdb failed" >&2; exit 1; }

# Password auth for TCP (what the app uses), trust on the private unix socket (for set-up).
cat >"$DATA/pg_hba.conf" <<HBA
local   all   all                 trust
host    all   all   127.0.0.1/32  scram-sha-256
HBA

for attempt in 1 2 3 4 5; do
    PORT=$(free_port)
    OPTS="-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories='$TMP'"
    OPTS+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    OPTS+=" -c max_connections=100 -c shared_buffers=${JIESU_PG_SHARED_BUFFERS:-128MB}"
    if "${AS[@]}" "$PGBIN/pg_ctl" -D "$DATA" -l "$LOG" -o "$OPTS" -w -t 60 start >/dev/null 2>&1; then
        STARTED=1
        break
    fi
    say "start on port $PORT failed (attempt $attempt); retrying"
done
if [ "$STARTED" != 1 ]; then
    cat "$LOG" >&2 || true
    echo "with-postgres: could not start PostgreSQL" >&2
    exit 1
fi

psql_admin() {
    "${AS[@]}" "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$TMP" -p "$PORT" -U postgres -d postgres "$@"
}
psql_admin -c "CREATE ROLE jiesu LOGIN CREATEDB PASSWORD 'jiesu';" \
           -c "CREATE DATABASE jiesu OWNER jiesu ENCODING 'UTF8' TEMPLATE template0;" >/dev/null
# PostgreSQL 15+: what a DBA grants the import's role so that `jiesu import` checks foreign keys per batch
# (docs/import.md); earlier servers leave the import checking them per row
if [ "$("$PGBIN/postgres" --version | awk '{print int($3)}')" -ge 15 ]; then
    psql_admin -c "GRANT SET ON PARAMETER session_replication_role TO jiesu;" >/dev/null
fi

export JIESU_DATABASE_URL="postgres://jiesu:jiesu@127.0.0.1:$PORT/jiesu"
t1=$(date +%s.%N)
say "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') ready at $JIESU_DATABASE_URL ($(awk "BEGIN{printf \"%.1f\", $t1-$t0}") s set-up); running: $*"

set +e
"$@"
rc=$?
set -e
say "command exited with $rc; stopping PostgreSQL"
exit "$rc"
