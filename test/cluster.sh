# shellcheck shell=bash
# Sourced library: throwaway PostgreSQL 15 clusters for test/run.sh and
# test/demo/run.sh.
#
#   dir=$(cluster_mktemp polyref-demo)
#   trap 'cluster_stop "$dir"; rm -rf "$dir"' EXIT   # the caller cleans up
#   cluster_start "$dir"                              # exports PGHOST, PGPORT...
#   psql -c 'SELECT 1'
#
# Root: initdb and postgres refuse to run as root, so when we are root the
# server side (initdb, pg_ctl, postgres) runs as the `postgres` system user
# (created by the postgresql-common package) through runuser, and DIR is owned
# by postgres.  Clients (psql, pg_regress, isolationtester) keep running as the
# invoking user: DIR is mode 755, so anyone can reach the socket in it, and the
# cluster trusts local connections, so `PGUSER=postgres` (the bootstrap
# superuser, named so by initdb -U whoever runs it) is all a client needs.
# A non-root user who can run initdb gets the same layout, all as themself.
#
# Layout of DIR: data/ (PGDATA), log (server log), .s.PGSQL.<port> (socket).

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PG_BINDIR=$("$PG_CONFIG" --bindir)
# The socket lives in the cluster's private directory and TCP is off, so a
# fixed port cannot clash with another cluster (or another run of the tests).
POLYREF_TEST_PORT=${POLYREF_TEST_PORT:-54321}

# as_pg CMD...: run CMD as the user that may own a cluster.  The subshell cd's
# to / because the caller's directory (e.g. a clone under /root) may be
# unreadable to postgres, which makes initdb and pg_ctl complain.
as_pg() {
    if [[ $(id -u) -eq 0 ]]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# cluster_mktemp [PREFIX]: print a new empty directory for a cluster.  Always
# under /tmp, not $TMPDIR: the unix socket path must stay short (107 bytes
# max) and, as root, every directory on the path must be searchable by postgres.
cluster_mktemp() {
    local d
    d=$(mktemp -d "/tmp/${1:-polyref}.XXXXXX")
    chmod 755 "$d"
    printf '%s\n' "$d"
}

# cluster_start DIR: initdb a cluster in DIR (created if need be) and start it.
cluster_start() {
    local dir=$1
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)          # absolute: it is also the socket directory
    chmod 755 "$dir"                 # any client user may reach the socket
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres: "$dir"
    fi

    # -U postgres: the same superuser name whoever runs this; trust: local
    # socket only, in a private directory; C locale: stable test output.
    if ! as_pg "$PG_BINDIR/initdb" -D "$dir/data" -U postgres --auth=trust \
            --no-locale --encoding=UTF8 --no-sync >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        echo "cluster_start: initdb failed in $dir" >&2
        return 1
    fi

    # Written through as_pg so the file keeps its owner and mode.
    as_pg tee -a "$dir/data/postgresql.conf" >/dev/null <<CONF

# --- throwaway test cluster (test/cluster.sh) ---
listen_addresses = ''
unix_socket_directories = '$dir'
port = $POLYREF_TEST_PORT
fsync = off
synchronous_commit = off
full_page_writes = off
max_prepared_transactions = 10
shared_preload_libraries = ''
lc_messages = 'C'
CONF

    if ! as_pg "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
            start >/dev/null; then
        cat "$dir/log" >&2 || true
        echo "cluster_start: the server in $dir did not start" >&2
        return 1
    fi

    # Point every libpq client at this cluster, whatever the environment said.
    unset PGHOSTADDR PGSERVICE PGSERVICEFILE PGOPTIONS PGPASSWORD PGPASSFILE \
          PGSSLMODE PGTARGETSESSIONATTRS
    export PGHOST=$dir PGPORT=$POLYREF_TEST_PORT PGUSER=postgres PGDATABASE=postgres
}

# cluster_stop DIR: stop the cluster in DIR if it runs; the caller removes DIR.
# Never fails, so it is safe in an EXIT trap.
cluster_stop() {
    local dir=$1
    # Tested as the cluster's owner: data/ is mode 700.
    if as_pg test -f "$dir/data/postmaster.pid"; then
        as_pg "$PG_BINDIR/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null ||
            echo "cluster_stop: could not stop the server in $dir" >&2
    fi
    return 0
}
