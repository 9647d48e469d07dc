#!/usr/bin/env bash
# Run every polyref test; `make test` calls this after building and installing.
#
#   regression  test/sql/<name>.sql -> test/expected/<name>.out
#   isolation   test/specs/<name>.spec -> test/expected/<name>.out
#               (both drivers read <inputdir>/sql|specs and <inputdir>/expected,
#               and inputdir is test/)
#   TAP         test/t/*.pl, each run by prove; each builds its own clusters
#               with PostgreSQL::Test::Cluster
#
# The lists are the Makefile's REGRESS, ISOLATION and PROVE_TESTS (`make
# print-tests`), the ones `make installcheck` runs against a running server;
# each suite runs in that order (byte order of the names).
#
# Regression and isolation tests share one throwaway cluster started here;
# pg_regress creates a fresh database for each suite (contrib_regression,
# isolation_regression) with C locale settings.  The extension is not
# preloaded: tests CREATE EXTENSION polyref themselves (a spec in its setup).
#
# Prints "N passed, N failed" (one per regression test, isolation test and TAP
# file; ", N skipped" after it for TAP files that skipped themselves, saying
# why) as its last line; exits 1 if anything failed.  Works as root (the
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
skipped=0
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

# The Makefile's lists, read once: a make that fails stops the run here rather
# than leaving every suite empty.  The parent make's flags (its jobserver) are
# not passed on to this one.
test_lists=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
    make -s --no-print-directory -C "$repo" print-tests)

# suite_list SUITE: the names listed for SUITE ("regress", "isolation", "tap"),
# one a line, but those POLYREF_ONLY leaves out.
suite_list() {
    local name
    for name in $(sed -n "s/^$1: //p" <<<"$test_lists"); do
        if wanted "${name%.pl}"; then echo "$name"; fi
    done
}

# --- regression tests --------------------------------------------------------
mapfile -t regress < <(suite_list regress)
if ((${#regress[@]} > 0)); then
    need_cluster
    run_suite regress "${#regress[@]}" "$pg_regress" \
        --inputdir="$repo/test" --dbname=contrib_regression "${regress[@]}"
else
    echo "=== regress: no tests (test/sql/*.sql), skipped"
fi

# --- isolation tests ---------------------------------------------------------
mapfile -t specs < <(suite_list isolation)
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
mapfile -t taps < <(suite_list tap)
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
            prove -I "$pg_perl_lib" -I "$tap/t" "t/$t" </dev/null 2>&1) |
            tee "$work/tap-${t%.pl}.out"
        rc=${PIPESTATUS[0]}
        set -e
        if ((rc == 0)) && grep -q "^t/$t \.*[[:space:]]*skipped:" "$work/tap-${t%.pl}.out"; then
            skipped=$((skipped + 1))    # plan skip_all: it says why above
        elif ((rc == 0)); then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
            for log in "$tap/tmp_check/log/regress_log_${t%.pl}" "$tap/log/regress_log_${t%.pl}"; do
                if [[ -f $log ]]; then
                    echo "--- tap: last lines of $log"
                    tail -n 60 "$log"
                fi
            done
        fi
    done
else
    echo "=== tap: no files (test/t/*.pl), skipped"
fi

if ((skipped > 0)); then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
((failed == 0)) || exit 1
