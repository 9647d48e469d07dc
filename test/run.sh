#!/usr/bin/env bash
# Run every polyref test; `make test` calls this after building and installing.
#
#   regression  sql/<name>.sql -> expected/<name>.out  (every sql/*.sql but the
#               extension scripts sql/polyref--*.sql, in C-locale sorted order,
#               or the order of test/schedule if that file exists)
#   isolation   test/specs/<name>.spec -> test/expected/<name>.out
#               (pg_isolation_regress reads <inputdir>/specs/ and
#               <inputdir>/expected/, and inputdir is test/)
#   TAP         test/t/*.pl, each run by prove; each builds its own clusters
#               with PostgreSQL::Test::Cluster
#
# Regression and isolation tests share one throwaway cluster started here;
# pg_regress creates a fresh database for each suite (contrib_regression,
# isolation_regression) with C locale settings.  The extension is not
# preloaded: tests CREATE EXTENSION polyref themselves (a spec in its setup).
#
# Prints "N passed, N failed" (one per regression test, isolation test and TAP
# file) as its last line; exits 1 if anything failed.  Works as root (the
# servers, and prove, run as postgres; see test/cluster.sh) and as a user who
# may run initdb.  POLYREF_KEEP_TMP=1 keeps the scratch directory for a look.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=test/cluster.sh
source "$repo/test/cluster.sh"

pgxs_test=$("$PG_CONFIG" --pkglibdir)/pgxs/src/test
pg_regress=$pgxs_test/regress/pg_regress
pg_isolation_regress=$pgxs_test/isolation/pg_isolation_regress
pg_perl_lib=$pgxs_test/perl

passed=0
failed=0

work=$(cluster_mktemp polyref-test)
cluster=$work/cluster
cluster_started=
cleanup() {
    if [[ -n $cluster_started ]]; then cluster_stop "$cluster"; fi
    if [[ -n ${POLYREF_KEEP_TMP:-} ]]; then
        echo "test/run.sh: kept $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
# Turn signals into an exit so the EXIT trap stops the cluster.
trap 'exit 130' INT
trap 'exit 143' TERM

need_cluster() {
    if [[ -z $cluster_started ]]; then
        cluster_started=1      # first, so a half-started server is stopped too
        cluster_start "$cluster"
    fi
}

# run_suite LABEL TOTAL DRIVER ARGS...: run a pg_regress-style driver against
# the cluster and add its results to the counts.  A test counts as passed only
# if the driver reported it ok, so a driver that dies half way counts the rest
# as failed.  Understands the PG 15 output ("test x ... ok") and the TAP-like
# output of later releases ("ok 1 - x").
run_suite() {
    local label=$1 total=$2 driver=$3
    shift 3
    local out=$work/$label rc ok bad
    mkdir -p "$out"
    echo "=== $label: $total test(s)"
    # No --use-existing: with it pg_regress would neither create the database
    # nor pin lc_messages, lc_numeric, bytea_output... on it; without it, it
    # drops and re-creates the database from template0 on our cluster.
    set +e
    "$driver" --bindir="$PG_BINDIR" --outputdir="$out" \
        --host="$PGHOST" --port="$PGPORT" --user="$PGUSER" "$@" \
        </dev/null 2>&1 | tee "$out/driver.log"
    rc=${PIPESTATUS[0]}
    set -e
    ok=$(grep -cE '\.\.\. ok( |$)|\.\.\. failed \(ignored\)|^ok +[0-9]+ ' \
        "$out/driver.log" || true)
    bad=$((total - ok))
    if ((bad < 0)); then bad=0; ok=$total; fi
    if ((rc != 0 && bad == 0)); then
        echo "$label: $(basename "$driver") exited with status $rc" >&2
        bad=1
        ok=$((total - 1))
    fi
    if ((bad > 0)) && [[ -s $out/regression.diffs ]]; then
        echo "--- $label: regression.diffs"
        cat "$out/regression.diffs"
    fi
    passed=$((passed + ok))
    failed=$((failed + bad))
}

# POLYREF_ONLY="declare actions": run only the tests (regress, spec or TAP
# file, without extension) of these names; for working on one test.
wanted() {
    [[ -z ${POLYREF_ONLY:-} ]] && return 0
    [[ " $POLYREF_ONLY " == *" $1 "* ]]
}

# --- regression tests --------------------------------------------------------
regress_args=()
regress_total=0
if [[ -f $repo/test/schedule && -z ${POLYREF_ONLY:-} ]]; then
    regress_args=(--schedule="$repo/test/schedule")
    regress_total=$(awk '$1 == "test:" { n += NF - 1 } END { print n + 0 }' \
        "$repo/test/schedule")
else
    while IFS= read -r f; do
        name=$(basename "$f" .sql)
        [[ $name == polyref--* ]] && continue
        wanted "$name" || continue
        regress_args+=("$name")
        regress_total=$((regress_total + 1))
    done < <(find "$repo/sql" -maxdepth 1 -name '*.sql' | LC_ALL=C sort)
fi
if ((regress_total > 0)); then
    need_cluster
    run_suite regress "$regress_total" "$pg_regress" \
        --inputdir="$repo" --dbname=contrib_regression "${regress_args[@]}"
else
    echo "=== regress: no tests (sql/*.sql), skipped"
fi

# --- isolation tests ---------------------------------------------------------
specs=()
while IFS= read -r f; do
    wanted "$(basename "$f" .spec)" && specs+=("$(basename "$f" .spec)")
done < <(find "$repo/test/specs" -maxdepth 1 -name '*.spec' 2>/dev/null | LC_ALL=C sort)
if ((${#specs[@]} > 0)); then
    # pg_isolation_regress runs the isolationtester that sits beside it.
    if [[ ! -x $(dirname "$pg_isolation_regress")/isolationtester ]]; then
        echo "test/run.sh: isolationtester not found beside $pg_isolation_regress" \
             "(postgresql-server-dev-15; run test/deps.sh)" >&2
        exit 1
    fi
    need_cluster
    run_suite isolation "${#specs[@]}" "$pg_isolation_regress" \
        --inputdir="$repo/test" --dbname=isolation_regression "${specs[@]}"
else
    echo "=== isolation: no specs (test/specs/*.spec), skipped"
fi

# --- TAP tests ---------------------------------------------------------------
taps=()
while IFS= read -r f; do
    wanted "$(basename "$f" .pl)" && taps+=("$(basename "$f")")
done < <(find "$repo/test/t" -maxdepth 1 -name '*.pl' 2>/dev/null | LC_ALL=C sort)
if ((${#taps[@]} > 0)); then
    echo "=== tap: ${#taps[@]} file(s)"
    # The TAP tests run initdb and postgres themselves, so as root prove runs
    # as postgres.  It works in a copy of test/t inside a directory it owns:
    # TESTDIR/tmp_check receives the logs, and the clone itself may be
    # unreadable to postgres (e.g. under /root).  POLYREF_REPO names the clone
    # for tests that want other files from it.  TMPDIR: the framework's short
    # socket directories, which it keeps when a test fails, stay in our
    # scratch directory instead of littering /tmp.
    tap=$work/tap
    mkdir -p "$tap"
    cp -R "$repo/test/t" "$tap/t"
    run_tap=()
    if [[ $(id -u) -eq 0 ]]; then
        chown -R postgres: "$tap"
        run_tap=(runuser -u postgres --)
    fi
    for t in "${taps[@]}"; do
        set +e
        (cd "$tap" && "${run_tap[@]}" env \
            PATH="$PG_BINDIR:$PATH" PG_CONFIG="$PG_CONFIG" \
            TESTDIR="$tap" TMPDIR="$tap" PG_REGRESS="$pg_regress" POLYREF_REPO="$repo" \
            prove -I "$pg_perl_lib" -I "$tap/t" "t/$t" </dev/null 2>&1)
        rc=$?
        set -e
        if ((rc == 0)); then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
            log=$tap/tmp_check/log/regress_log_${t%.pl}
            if [[ -f $log ]]; then
                echo "--- tap: last lines of $log"
                tail -n 60 "$log"
            fi
        fi
    done
else
    echo "=== tap: no files (test/t/*.pl), skipped"
fi

echo "$passed passed, $failed failed"
((failed == 0)) || exit 1
