#!/usr/bin/env bash
# test/bench/instructions.sh: what a check costs per row, in CPU instructions,
# polyref beside native foreign keys, counted by callgrind.
#
# Timings on a shared two-core machine wobble from one run to the next;
# instruction counts do not: the same binary, data and statements give the
# same count whatever else the machine is doing.  So each figure here is
#
#     (I(2N rows) - I(N rows)) / N  for the case,  minus the same for its base
#
# where I is the total instruction count of a `postgres --single` backend that
# starts from a copy of one template cluster, runs one load statement and
# exits.  Everything a backend does once (starting, loading polyref, building
# its catalog, preparing plans) is in both counts and cancels out; the base
# (the same table without integrity) takes away the cost of storing the row
# and its indexes, leaving the check's own cost per row.
#
# Cases (each in schema i_<case>; targets posts/videos/photos of TARGETS rows
# each, bigint keys unless named otherwise; rows drawn by a fixed hash, so every
# run loads the same rows):
#   none, single        bases: polyref's shape / a native FK's shape, no integrity
#   fk_def, fk_imm      native FOREIGN KEY (post_id) REFERENCES posts, deferred
#                       and immediate (base: single)
#   poly_def, poly_imm  polyref.declare over posts, videos, photos (base: none)
#   *_uuid              uuid keys and ids (bases none_uuid / single_uuid)
#   *_text              polyref: a text id column over bigint keys, the
#                       canonical-text rule (base none_text)
#   *_part              targets partitioned by range in 4 partitions (native:
#                       an FK to the partitioned posts)
# Loads: insert (INSERT ... SELECT in one autocommit statement, so deferred
# checks run at its commit) and copy (COPY FROM a file); warm (a LOAD of
# polyref and of the native FK's plan cache come first, in an earlier
# transaction) and first (the load is the backend's first statement: the
# transaction that loads polyref, where pg_restore and psql \copy do their
# bulk work).
#
# Output: one CSV line per figure on stdout (case,load,backend,per_row,
# base_per_row,check_per_row), and, if POLYREF_INSN_REPORT names a file, a
# markdown table there: each polyref check beside its native foreign key's.  Environment: POLYREF_INSN_ROWS (N,
# default 10000), POLYREF_INSN_TARGETS (default 30000), POLYREF_INSN_CASES (a
# space-separated subset, default all), POLYREF_INSN_KEEP_TMP=1.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
POLYREF_TEST_PORT=${POLYREF_INSN_PORT:-54328}
# shellcheck source=test/cluster.sh
source "$repo/test/cluster.sh"

N=${POLYREF_INSN_ROWS:-10000}
TARGETS=${POLYREF_INSN_TARGETS:-30000}
ALL_CASES="none single fk_def fk_imm poly_def poly_imm
           none_uuid single_uuid fk_def_uuid poly_def_uuid
           none_text poly_def_text
           single_part fk_def_part poly_def_part"
CASES=${POLYREF_INSN_CASES:-$ALL_CASES}

if ! command -v valgrind >/dev/null 2>&1; then
    echo "test/bench/instructions.sh: valgrind is missing (apt-get install valgrind)" >&2
    exit 2
fi

work=$(cluster_mktemp polyref-insn)
template=$work/template
files=$work/files
mkdir -p "$files"
[[ $(id -u) -ne 0 ]] || chown postgres: "$files" "$work"
cleanup() {
    cluster_stop "$template"
    if [[ -n ${POLYREF_INSN_KEEP_TMP:-} ]]; then
        echo "test/bench/instructions.sh: kept $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

# The base each case is measured against, and the shape of its table.
base_for() {
    local c=$1 suffix=
    [[ $c == *_uuid ]] && suffix=_uuid
    [[ $c == *_text ]] && suffix=_text
    [[ $c == *_part ]] && suffix=_part
    case $c in
        none* | single*) echo "" ;;
        fk_*) echo "single$suffix" ;;
        poly_*) [[ $suffix == _part ]] && echo "none" || echo "none$suffix" ;;
    esac
}

# The native foreign key a polyref case is compared with.
native_for() {
    case $1 in
        poly_def_text) echo fk_def ;;
        poly_*) echo "fk_${1#poly_}" ;;
    esac
}

key_type_for() { [[ $1 == *_uuid ]] && echo uuid || echo bigint; }
id_type_for() {
    case $1 in
        *_uuid) echo uuid ;;
        *_text) echo text ;;
        *) echo bigint ;;
    esac
}

# The value of row g's id, of the key type (the targets hold keys 1..TARGETS,
# or their uuid images).
id_expr() {
    local hashed="(1 + (g::bigint * 2654435761) % $TARGETS)"
    case $1 in
        *_uuid) echo "md5($hashed::text)::uuid" ;;
        *_text) echo "$hashed::text" ;;
        *) echo "$hashed" ;;
    esac
}
key_expr() {
    case $1 in
        *_uuid) echo "md5(g::text)::uuid" ;;
        *) echo "g" ;;
    esac
}

targets_sql() {
    local c=$1 kt
    kt=$(key_type_for "$c")
    for t in posts videos photos; do
        if [[ $c == *_part ]]; then
            echo "CREATE TABLE $t (id bigint PRIMARY KEY, title text NOT NULL) PARTITION BY RANGE (id);"
            local step=$(((TARGETS + 3) / 4)) p
            for p in 0 1 2 3; do
                echo "CREATE TABLE ${t}_$p PARTITION OF $t FOR VALUES FROM ($((p * step + 1))) TO ($(((p + 1) * step + 1)));"
            done
        else
            echo "CREATE TABLE $t (id $kt PRIMARY KEY, title text NOT NULL);"
        fi
        echo "INSERT INTO $t SELECT $(key_expr "$c"), '$t ' || g FROM generate_series(1, $TARGETS) g;"
    done
    echo "VACUUM ANALYZE posts, videos, photos;"
}

case_sql() {
    local c=$1 it
    it=$(id_type_for "$c")
    echo "CREATE SCHEMA i_$c; SET search_path = i_$c;"
    targets_sql "$c"
    case $c in
        none* | poly_*)
            echo "CREATE TABLE comments (id bigint PRIMARY KEY, commentable_type text, commentable_id $it, body text);"
            echo "CREATE INDEX ON comments (commentable_type, commentable_id);" ;;
        single* | fk_*)
            echo "CREATE TABLE comments (id bigint PRIMARY KEY, post_id $it, body text);"
            echo "CREATE INDEX ON comments (post_id);" ;;
    esac
    case $c in
        fk_def*) echo "ALTER TABLE comments ADD FOREIGN KEY (post_id) REFERENCES posts DEFERRABLE INITIALLY DEFERRED;" ;;
        fk_imm*) echo "ALTER TABLE comments ADD FOREIGN KEY (post_id) REFERENCES posts;" ;;
        poly_def*) echo "SELECT polyref.declare('comments', 'commentable', targets => '{posts,videos,photos}', kinds => '{Post,Video,Photo}');" ;;
        poly_imm*) echo "SELECT polyref.declare('comments', 'commentable', targets => '{posts,videos,photos}', kinds => '{Post,Video,Photo}', initially_deferred => false);" ;;
    esac
    echo "RESET search_path;"
}

# The rows of a load of n rows, as a SELECT.
rows_select() {
    local c=$1 n=$2 id
    id=$(id_expr "$c")
    case $c in
        none* | poly_*)
            echo "SELECT g, (ARRAY['Post','Video','Photo'])[1 + g % 3], $id, 'comment ' || g FROM generate_series(1, $n) g" ;;
        *)
            echo "SELECT g, $id, 'comment ' || g FROM generate_series(1, $n) g" ;;
    esac
}

# Every base a case is measured against is made too.
for c in $CASES; do
    for b in $(native_for "$c") $(base_for "$c") $(base_for "$(native_for "$c")"); do
        [[ " $CASES " == *" $b "* ]] || CASES="$b $CASES"
    done
done
CASES=$(echo $CASES)

echo "--- template cluster: $TARGETS rows per target, loads of $N and $((2 * N)) rows" >&2
cluster_start "$template"
export PGOPTIONS='-c client_min_messages=warning'
psql_t=("$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1)
"${psql_t[@]}" -c 'CREATE EXTENSION polyref' >/dev/null
for c in $CASES; do
    case_sql "$c" | "${psql_t[@]}" >/dev/null
    for n in "$N" $((2 * N)); do
        "${psql_t[@]}" -c "COPY ($(rows_select "$c" "$n")) TO '$files/$c.$n.copy'"
    done
done
"${psql_t[@]}" -c 'CHECKPOINT' >/dev/null
cluster_stop "$template"

# count CASE LOAD BACKEND ROWS: instructions of one backend's run.
count() {
    local c=$1 load=$2 backend=$3 n=$4
    local run=$work/run out=$work/callgrind.out
    rm -rf "$run" "$out"
    as_pg cp -a "$template/data" "$run"
    local statement
    if [[ $load == insert ]]; then
        statement="INSERT INTO i_$c.comments $(rows_select "$c" "$n")"
    else
        statement="COPY i_$c.comments FROM '$files/$c.$n.copy'"
    fi
    {
        if [[ $backend == warm ]]; then
            # polyref loaded, the native check's plan made, in earlier transactions.
            echo "LOAD 'polyref'"
            echo "BEGIN"
            echo "INSERT INTO i_$c.comments $(rows_select "$c" 1)"
            echo "ROLLBACK"
        fi
        echo "$statement"
    } >"$work/script"
    chmod 644 "$work/script"
    as_pg valgrind --tool=callgrind --callgrind-out-file="$out" \
        "$PG_BINDIR/postgres" --single -D "$run" -c shared_buffers=256MB \
        -c fsync=off -c full_page_writes=off -c jit=off -c max_parallel_workers_per_gather=0 \
        -c autovacuum=off -c client_min_messages=warning postgres \
        <"$work/script" >"$work/single.log" 2>&1 || {
        cat "$work/single.log" >&2
        return 1
    }
    if grep -q 'ERROR' "$work/single.log"; then
        cat "$work/single.log" >&2
        return 1
    fi
    awk '/^summary:/ { print $2 }' "$out"
}

# per_row CASE LOAD BACKEND: instructions per row of the load.
per_row() {
    local small large
    small=$(count "$1" "$2" "$3" "$N")
    large=$(count "$1" "$2" "$3" $((2 * N)))
    echo $(((large - small) / N))
}

declare -A figure
echo "case,load,backend,per_row,base_per_row,check_per_row"
for c in $CASES; do
    for load in insert copy; do
        backends="warm"
        [[ $c == poly_* ]] && backends="warm first"
        for backend in $backends; do
            figure[$c.$load.$backend]=$(per_row "$c" "$load" "$backend")
            base=$(base_for "$c")
            if [[ -n $base ]]; then
                b=${figure[$base.$load.warm]:-}
                if [[ -z $b ]]; then
                    b=$(per_row "$base" "$load" warm)
                    figure[$base.$load.warm]=$b
                fi
                echo "$c,$load,$backend,${figure[$c.$load.$backend]},$b,$((figure[$c.$load.$backend] - b))"
            else
                echo "$c,$load,$backend,${figure[$c.$load.$backend]},,"
            fi
            echo "  $c $load $backend: ${figure[$c.$load.$backend]} per row" >&2
        done
    done
done

# The report: each polyref figure beside its native foreign key's (warm).
if [[ -n ${POLYREF_INSN_REPORT:-} ]]; then
    {
        echo "| polyref case | load | backend | polyref check / row | native | native check / row | ratio |"
        echo "|---|---|---|---|---|---|---|"
        for c in $CASES; do
            [[ $c == poly_* ]] || continue
            n=$(native_for "$c")
            for load in insert copy; do
                for backend in warm first; do
                    p=$((figure[$c.$load.$backend] - figure[$(base_for "$c").$load.warm]))
                    q=$((figure[$n.$load.warm] - figure[$(base_for "$n").$load.warm]))
                    echo "| $c | $load | $backend | $p | $n | $q | $(awk -v p="$p" -v q="$q" 'BEGIN { printf "%.2f", p / q }') |"
                done
            done
        done
        echo
        echo "Instructions counted by callgrind in a \`postgres --single\` backend: (loading $((2 * N)) rows - loading $N) / $N, minus the same for the table without integrity; 3 x $TARGETS targets. *first*: the load is the backend's first statement, in the transaction that loads polyref."
    } >"$POLYREF_INSN_REPORT"
fi
