#!/usr/bin/env bash
# The demo: a throwaway cluster, CREATE EXTENSION polyref, then demo.sql read
# aloud.  `make demo` calls this after building and installing.
#
# psql runs with --echo-all (-a): every line of demo.sql, its comments
# included, is printed before its result, so the comments narrate.
# ON_ERROR_STOP=0 because the demo shows errors on purpose (a refused COMMIT);
# errors go to stdout too, so they stay in place when the output is piped.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/cluster.sh
source "$here/../cluster.sh"

if [[ ! -f $here/demo.sql ]]; then
    echo "test/demo/run.sh: test/demo/demo.sql is missing: there is no demo to run" >&2
    exit 1
fi

dir=$(cluster_mktemp polyref-demo)
trap 'cluster_stop "$dir"; rm -rf "$dir"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cluster_start "$dir"

psql_demo=("$PG_BINDIR/psql" -X -P pager=off)

# Setting up must work: stop on error here.
"${psql_demo[@]}" -v ON_ERROR_STOP=1 -a -c 'CREATE EXTENSION polyref;' </dev/null

# cd so that psql names errors "psql:demo.sql:LINE" and \ir finds neighbours.
cd "$here"
"${psql_demo[@]}" -v ON_ERROR_STOP=0 -a -f demo.sql </dev/null 2>&1
