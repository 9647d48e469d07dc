#!/usr/bin/env bash
# polyref benchmark: what an association check costs, next to a native foreign
# key and the usual alternatives, measured side by side in one run on one
# throwaway cluster.  `make bench` calls this after building and installing.
#
# Variants (each lives in its own schema v_<letter>, with its own targets
# posts, videos and photos: bigint ids 1..TARGETS):
#   a  none        comments(commentable_type text, commentable_id bigint) with
#                  an index on (type, id), no integrity at all
#   b  single      comments(post_id bigint) with an index, no foreign key
#   c  FK imm      b + a native FOREIGN KEY (post_id) REFERENCES posts
#   d  FK def      b + the same foreign key DEFERRABLE INITIALLY DEFERRED
#   e  arc         exclusive arc: post_id, video_id, photo_id, each a native
#                  foreign key with its index, + CHECK (exactly one is set)
#   f  plpgsql     a + the trigger Rails trigger gems write: BEFORE INSERT OR
#                  UPDATE FOR EACH ROW, CASE on the type, EXISTS on the target,
#                  RAISE if missing (no row locks, so not even correct under
#                  concurrency); table names schema-qualified, not resolved
#                  through a search_path the function would have to SET
#   g  polyref def a + polyref.declare('comments', 'commentable', targets =>
#                  ARRAY['posts','videos','photos'], kinds => ARRAY['Post',
#                  'Video','Photo'])  (the default: DEFERRABLE INITIALLY DEFERRED)
#   h  polyref imm g declared with initially_deferred => false
#   i  registry    Django's TaggedItem shape: comments(content_type_id integer,
#                  object_id bigint) with an index on (content_type_id,
#                  object_id), and a content_types registry (id, app_label,
#                  model, unique (app_label, model)) of 30 rows, 3 of them
#                  bench.post, bench.video, bench.photo; no integrity
#   j  reg FK      i + the native foreign key Django itself makes:
#                  content_type_id REFERENCES content_types (id), deferred
#   k  polyref reg i + polyref.declare(..., kinds => ARRAY['bench.post',
#                  'bench.video', 'bench.photo'], kind_registry =>
#                  'content_types')  (deferred, as g)
# Scoped variants (issue 15: a tenant column in the key), for workload 7 only;
# their targets have PRIMARY KEY (account_id, id), id 1..TARGETS belonging to
# account 1 + id % ACCOUNTS, and each comment carries its target's account:
#   m  scoped none   a + account_id int, no integrity
#   n  scoped single comments(account_id int, post_id bigint), index on
#                    (account_id, post_id), no foreign key
#   o  composite FK  n + FOREIGN KEY (account_id, post_id) REFERENCES
#                    posts (account_id, id) DEFERRABLE INITIALLY DEFERRED
#   p  polyref scoped m + polyref.declare(..., scope_columns =>
#                    ARRAY['account_id']) (deferred, the default)
# The scoped check's cost is p - m for polyref, o - n for the native key.
# The check's own cost is (c|d) - b for the native key, (g|h) - a for polyref,
# f - a for the trigger, k - i for polyref through a kind registry and j - i
# for Django's native key on content_type_id: same table shape, the check
# being the only difference.  (k - i) / (g - a) is what a registry adds to a
# polyref check (the label map is cached; only the registry row's FOR KEY
# SHARE lock is per row, remembered for the transaction like a target's).
#
# Data, made once with setseed: ROWS comments whose targets are drawn uniformly
# at random (kind among Post/Video/Photo, id in 1..TARGETS).  The single-table
# variants get the same rows with post_id = that id (all posts); the arc puts
# the id in the column of its kind.  Every timed run starts from freshly made
# tables (targets vacuumed and analyzed, CHECKPOINT just before the clock).
#
# Workloads (every one repeated REPEAT times, variants in rotated order within
# each repeat; medians are reported):
#   1 insert   BEGIN; INSERT INTO comments SELECT <ROWS rows>; COMMIT;  (the
#              deferred checks run at COMMIT, inside the measured time)
#   2 copy     BEGIN; COPY comments FROM '<file written once>'; COMMIT;
#   3 pgbench  single-row INSERT transactions (autocommit), 2 clients, for
#              PGBENCH_SECONDS, prepared statements, random existing target;
#              then (pgbench_skew, variants c d g h) the same with half the
#              rows on one per cent of the targets (popular posts)
#   4 cascade  DELETE FROM posts WHERE id <= TARGETS/10, the comments loaded
#              beforehand, all of them on posts in every variant (the same
#              rows on the same posts: equal fan-out, about 10 comments per
#              deleted post); native ON DELETE CASCADE vs polyref on_delete =>
#              'cascade' (a and b: the same DELETE with nothing to cascade)
#   5 validate NOT VALID then VALIDATE CONSTRAINT (native, as d) vs declare(...,
#              validate => false) then polyref.validate() (as g), ROWS rows
#   7 scoped   workload 1 (INSERT ... SELECT of ROWS rows, COMMIT included)
#              on the scoped variants m, n, o, p: polyref's scoped check
#              against a native composite foreign key, as a ratio
#   6 memory   peak RssAnon (private anonymous memory, shared buffers not
#              included) of the backend running workloads 1 and 2, sampled
#              every 50 ms from /proc/<pid>/status
# Times are taken by the server (clock_timestamp() before BEGIN and after
# COMMIT, in the same session), so connecting is not counted.
#
# Environment:
#   POLYREF_BENCH_ROWS             comments per load        (default 1000000)
#   POLYREF_BENCH_TARGETS          rows per target table    (default 100000)
#   POLYREF_BENCH_ACCOUNTS         accounts (tenants) of the scoped variants
#                                  (default 10, at least 2)
#   POLYREF_BENCH_REPEAT           repeats per workload     (default 3)
#   POLYREF_BENCH_PGBENCH_SECONDS  duration of each pgbench (default 20)
#   POLYREF_BENCH_PORT             port of the throwaway cluster (default 54329)
#   POLYREF_BENCH_KEEP_TMP=1       keep the scratch directory (cluster, logs)
#   POLYREF_BENCH_INSN_ROWS        rows per callgrind load (default 20000; see
#   POLYREF_BENCH_INSN_TARGETS     rows per target there   (default 100000)
#                                  test/bench/instructions.sh); POLYREF_BENCH_INSN=0
#                                  skips the instruction counts
# Quick check: POLYREF_BENCH_ROWS=100000 POLYREF_BENCH_REPEAT=1 \
#              POLYREF_BENCH_PGBENCH_SECONDS=5 test/bench/run.sh
#
# Output in test/bench/out/: results.csv (every measurement), instructions.csv
# and instructions.log (the callgrind counts), report.md (the
# tables, the settings, the machine), bench.png (one bar chart per workload),
# errors.log (only if a run failed; the run goes on and its value is missing).
# Beside this script: summary.sql (medians, check costs and the ratios the
# issue sets targets for, as views this script prints) and chart.gp (gnuplot).
# The server settings are listed, with their reasons, at SETTINGS below.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
POLYREF_TEST_PORT=${POLYREF_BENCH_PORT:-54329}
# shellcheck source=test/cluster.sh
source "$repo/test/cluster.sh"

ROWS=${POLYREF_BENCH_ROWS:-1000000}
TARGETS=${POLYREF_BENCH_TARGETS:-100000}
REPEAT=${POLYREF_BENCH_REPEAT:-3}
ACCOUNTS=${POLYREF_BENCH_ACCOUNTS:-10}
PGBENCH_SECONDS=${POLYREF_BENCH_PGBENCH_SECONDS:-20}
DELETED=$((TARGETS / 10))     # targets deleted by the cascade workload
for n in ROWS TARGETS REPEAT PGBENCH_SECONDS DELETED ACCOUNTS; do
    if ! [[ ${!n} =~ ^[1-9][0-9]*$ ]]; then
        echo "test/bench/run.sh: $n must be a positive integer (got '${!n}')" >&2
        exit 2
    fi
done

VARIANTS=(a b c d e f g h i j k)
CASCADE_VARIANTS=(a b c d e g h)   # f has no delete side
VALIDATE_VARIANTS=(d g)            # native VALIDATE CONSTRAINT vs polyref.validate()
SKEW_VARIANTS=(c d g h)            # skewed pgbench: native against polyref
SCOPED_VARIANTS=(m n o p)          # workload 7: scoped check vs composite FK
if ((ACCOUNTS < 2)); then
    echo "test/bench/run.sh: ACCOUNTS must be at least 2 (got $ACCOUNTS)" >&2
    exit 2
fi

# Server settings, besides fsync/synchronous_commit/full_page_writes = off from
# test/cluster.sh.  Autovacuum is off because the script vacuums what it loads;
# JIT and parallel query are off so plans and timings do not jitter on 2 cores;
# max_wal_size is large enough that no checkpoint starts inside a measurement
# (one is taken just before each).  polyref is preloaded only to pin the build:
# the postmaster maps the library once at start and every backend inherits it,
# so a `make install` during the run cannot slip another build into the later
# measurements (the per-row paths are the same whether preloaded or not).
SETTINGS=(
    "shared_preload_libraries=polyref"
    "shared_buffers=1GB"
    "work_mem=64MB"
    "maintenance_work_mem=512MB"
    "wal_level=minimal"
    "max_wal_senders=0"
    "wal_buffers=64MB"
    "max_wal_size=16GB"
    "min_wal_size=1GB"
    "checkpoint_timeout=1h"
    "autovacuum=off"
    "jit=off"
    "max_parallel_workers_per_gather=0"
)

out=$here/out
mkdir -p "$out"
rm -f "$out/results.csv" "$out/errors.log" "$out/report.md" "$out/bench.png"
rm -rf "$out/chart"

started_at=$(date +%s)
log() { printf '[%5ds] %s\n' "$(($(date +%s) - started_at))" "$*" >&2; }

# --- gnuplot, for the chart ---------------------------------------------------
# As test/deps.sh: ask dpkg first, touch apt only when something is missing.
have_gnuplot=1
if ! command -v gnuplot >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "installing gnuplot-nox for the chart"
        export DEBIAN_FRONTEND=noninteractive
        if ! { apt-get update >/dev/null &&
               apt-get install -y --no-install-recommends gnuplot-nox >/dev/null; }; then
            echo "test/bench/run.sh: could not install gnuplot-nox; no chart" >&2
            have_gnuplot=
        fi
    else
        echo "test/bench/run.sh: gnuplot is missing (apt-get install gnuplot-nox); no chart" >&2
        have_gnuplot=
    fi
fi

# --- the cluster ----------------------------------------------------------------
work=$(cluster_mktemp polyref-bench)
cluster=$work/cluster
files=$work/files      # COPY files, written and read by the server
client=$work/client    # the scripts' scratch files
mkdir -p "$files" "$client"
if [[ $(id -u) -eq 0 ]]; then chown postgres: "$files"; fi
cluster_started=
cleanup() {
    if [[ -n $cluster_started ]]; then cluster_stop "$cluster"; fi
    if [[ -n ${POLYREF_BENCH_KEEP_TMP:-} ]]; then
        echo "test/bench/run.sh: kept $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "starting a cluster in $cluster (port $POLYREF_TEST_PORT)"
cluster_started=1
cluster_start "$cluster"
psql_base=("$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1)
for s in "${SETTINGS[@]}"; do
    "${psql_base[@]}" -c "ALTER SYSTEM SET ${s%%=*} = '${s#*=}'"
done
# The library measured: the one the restarted postmaster preloads.
library=$("$PG_CONFIG" --pkglibdir)/polyref.so
library_md5() { md5sum "$library" 2>/dev/null | cut -d' ' -f1; }
library_at_start=$(library_md5)
library_mtime=$(stat -c '%y' "$library" | cut -d. -f1)
as_pg "$PG_BINDIR/pg_ctl" -D "$cluster/data" -l "$cluster/log" -w -t 120 restart >/dev/null
export PGOPTIONS='-c client_min_messages=warning'
"${psql_base[@]}" -c 'CREATE DATABASE bench'
export PGDATABASE=bench
psql_bench=("${psql_base[@]}" -d bench)

# sql: run the statements on stdin, one by one (so VACUUM may be among them).
sql() { "${psql_bench[@]}" -f -; }
# sql_value QUERY: print the single value QUERY returns.
sql_value() { "${psql_bench[@]}" -At -c "$1"; }

# --- the data, made once ----------------------------------------------------------
log "making $ROWS comments over 3 x $TARGETS targets (setseed), and the COPY files"
sql >/dev/null <<SQL
CREATE EXTENSION polyref;
CREATE SCHEMA bench;
SELECT setseed(0.4242);
CREATE TABLE bench.src_poly AS
    SELECT g::bigint AS id,
           (ARRAY['Post', 'Video', 'Photo'])[1 + floor(random() * 3)::int] AS commentable_type,
           1 + floor(random() * $TARGETS)::bigint AS commentable_id,
           'comment ' || g AS body
      FROM generate_series(1, $ROWS) g;
CREATE TABLE bench.src_single AS
    SELECT id, commentable_id AS post_id, body FROM bench.src_poly ORDER BY id;
CREATE TABLE bench.src_arc AS
    SELECT id,
           CASE commentable_type WHEN 'Post'  THEN commentable_id END AS post_id,
           CASE commentable_type WHEN 'Video' THEN commentable_id END AS video_id,
           CASE commentable_type WHEN 'Photo' THEN commentable_id END AS photo_id,
           body
      FROM bench.src_poly ORDER BY id;
-- the scoped variants' rows: the same targets, each with its account
CREATE TABLE bench.src_scoped AS
    SELECT id, 1 + commentable_id % $ACCOUNTS AS account_id, commentable_type,
           commentable_id, body
      FROM bench.src_poly ORDER BY id;
CREATE TABLE bench.src_scoped_single AS
    SELECT id, account_id, commentable_id AS post_id, body
      FROM bench.src_scoped ORDER BY id;
VACUUM ANALYZE bench.src_poly, bench.src_single, bench.src_arc,
               bench.src_scoped, bench.src_scoped_single;
COPY bench.src_poly   (id, commentable_type, commentable_id, body) TO '$files/poly.copy';
COPY bench.src_single (id, post_id, body) TO '$files/single.copy';
CREATE TABLE bench.src_reg AS
    SELECT id,
           CASE commentable_type WHEN 'Post' THEN 1 WHEN 'Video' THEN 2 ELSE 3 END
               AS content_type_id,
           commentable_id AS object_id,
           body
      FROM bench.src_poly ORDER BY id;
VACUUM ANALYZE bench.src_reg;
COPY bench.src_arc    (id, post_id, video_id, photo_id, body) TO '$files/arc.copy';
COPY bench.src_reg    (id, content_type_id, object_id, body) TO '$files/reg.copy';
SQL


shape_of() {
    case $1 in
        a | f | g | h) echo poly ;;
        b | c | d) echo single ;;
        e) echo arc ;;
        i | j | k) echo reg ;;
        m | p) echo scoped ;;
        n | o) echo scoped_single ;;
    esac
}
columns_of() {
    case $(shape_of "$1") in
        poly) echo "id, commentable_type, commentable_id, body" ;;
        single) echo "id, post_id, body" ;;
        arc) echo "id, post_id, video_id, photo_id, body" ;;
        reg) echo "id, content_type_id, object_id, body" ;;
        scoped) echo "id, account_id, commentable_type, commentable_id, body" ;;
        scoped_single) echo "id, account_id, post_id, body" ;;
    esac
}

# setup_schema V: schema v_V made afresh: targets (filled, vacuumed, analyzed)
# and an empty comments table of V's shape, with its indexes, no integrity.
setup_schema() {
    local v=$1
    local s=v_$v
    case $(shape_of "$v") in
        scoped | scoped_single) setup_scoped_schema "$v"; return ;;
    esac
    {
        cat <<SQL
DROP SCHEMA IF EXISTS $s CASCADE;
CREATE SCHEMA $s;
SET search_path = $s;
CREATE TABLE posts  (id bigint PRIMARY KEY, title text NOT NULL);
CREATE TABLE videos (id bigint PRIMARY KEY, title text NOT NULL);
CREATE TABLE photos (id bigint PRIMARY KEY, title text NOT NULL);
INSERT INTO posts  SELECT g, 'post '  || g FROM generate_series(1, $TARGETS) g;
INSERT INTO videos SELECT g, 'video ' || g FROM generate_series(1, $TARGETS) g;
INSERT INTO photos SELECT g, 'photo ' || g FROM generate_series(1, $TARGETS) g;
VACUUM ANALYZE posts, videos, photos;
SQL
        case $(shape_of "$v") in
            poly) cat <<SQL
CREATE TABLE comments (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    commentable_type text,
    commentable_id bigint,
    body text);
CREATE INDEX ON comments (commentable_type, commentable_id);
SQL
            ;;
            single) cat <<SQL
CREATE TABLE comments (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    post_id bigint,
    body text);
CREATE INDEX ON comments (post_id);
SQL
            ;;
            arc) cat <<SQL
CREATE TABLE comments (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    post_id bigint,
    video_id bigint,
    photo_id bigint,
    body text);
CREATE INDEX ON comments (post_id);
CREATE INDEX ON comments (video_id);
CREATE INDEX ON comments (photo_id);
SQL
            ;;
            reg) cat <<SQL
CREATE TABLE content_types (id integer PRIMARY KEY, app_label text NOT NULL,
                            model text NOT NULL, UNIQUE (app_label, model));
INSERT INTO content_types VALUES (1, 'bench', 'post'), (2, 'bench', 'video'),
                                 (3, 'bench', 'photo');
INSERT INTO content_types SELECT g, 'other', 'model' || g FROM generate_series(4, 30) g;
VACUUM ANALYZE content_types;
CREATE TABLE comments (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    content_type_id integer,
    object_id bigint,
    body text);
CREATE INDEX ON comments (content_type_id, object_id);
SQL
            ;;
        esac
    } | sql
}

# setup_scoped_schema V: setup_schema for the scoped variants: targets keyed
# by (account_id, id), comments with account_id.
setup_scoped_schema() {
    local v=$1
    local s=v_$v
    {
        cat <<SQL
DROP SCHEMA IF EXISTS $s CASCADE;
CREATE SCHEMA $s;
SET search_path = $s;
CREATE TABLE posts  (account_id int, id bigint, title text NOT NULL, PRIMARY KEY (account_id, id));
CREATE TABLE videos (account_id int, id bigint, title text NOT NULL, PRIMARY KEY (account_id, id));
CREATE TABLE photos (account_id int, id bigint, title text NOT NULL, PRIMARY KEY (account_id, id));
INSERT INTO posts  SELECT 1 + g % $ACCOUNTS, g, 'post '  || g FROM generate_series(1, $TARGETS) g;
INSERT INTO videos SELECT 1 + g % $ACCOUNTS, g, 'video ' || g FROM generate_series(1, $TARGETS) g;
INSERT INTO photos SELECT 1 + g % $ACCOUNTS, g, 'photo ' || g FROM generate_series(1, $TARGETS) g;
VACUUM ANALYZE posts, videos, photos;
SQL
        case $(shape_of "$v") in
            scoped) cat <<SQL
CREATE TABLE comments (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    account_id int,
    commentable_type text,
    commentable_id bigint,
    body text);
CREATE INDEX ON comments (commentable_type, commentable_id);
SQL
            ;;
            scoped_single) cat <<SQL
CREATE TABLE comments (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    account_id int,
    post_id bigint,
    body text);
CREATE INDEX ON comments (account_id, post_id);
SQL
            ;;
        esac
    } | sql
}

# add_integrity V [cascade|novalidate]: the integrity that makes variant V.
# cascade: ON DELETE CASCADE / on_delete => 'cascade' (workload 4);
# novalidate: NOT VALID / validate => false (workload 5).
add_integrity() {
    local v=$1 mode=${2:-}
    local s=v_$v fk_opts="" polyref_opts=""
    if [[ $mode == cascade ]]; then
        fk_opts=" ON DELETE CASCADE"
        polyref_opts=", on_delete => 'cascade'"
    elif [[ $mode == novalidate ]]; then
        polyref_opts=", validate => false"
    fi
    local not_valid=""
    [[ $mode == novalidate ]] && not_valid=" NOT VALID"
    {
        echo "SET search_path = $s;"
        case $v in
            a | b) ;;
            c) echo "ALTER TABLE comments ADD CONSTRAINT comments_post_id_fkey
                   FOREIGN KEY (post_id) REFERENCES posts (id)$fk_opts$not_valid;" ;;
            d) echo "ALTER TABLE comments ADD CONSTRAINT comments_post_id_fkey
                   FOREIGN KEY (post_id) REFERENCES posts (id)$fk_opts
                   DEFERRABLE INITIALLY DEFERRED$not_valid;" ;;
            e) cat <<SQL
ALTER TABLE comments ADD CONSTRAINT comments_post_id_fkey
    FOREIGN KEY (post_id) REFERENCES posts (id)$fk_opts$not_valid;
ALTER TABLE comments ADD CONSTRAINT comments_video_id_fkey
    FOREIGN KEY (video_id) REFERENCES videos (id)$fk_opts$not_valid;
ALTER TABLE comments ADD CONSTRAINT comments_photo_id_fkey
    FOREIGN KEY (photo_id) REFERENCES photos (id)$fk_opts$not_valid;
ALTER TABLE comments ADD CONSTRAINT comments_exactly_one_target
    CHECK (num_nonnulls(post_id, video_id, photo_id) = 1)$not_valid;
SQL
            ;;
            f) cat <<SQL
CREATE FUNCTION check_commentable() RETURNS trigger LANGUAGE plpgsql AS \$fn\$
BEGIN
    IF NEW.commentable_type IS NULL AND NEW.commentable_id IS NULL THEN
        RETURN NEW;
    END IF;
    CASE NEW.commentable_type
        WHEN 'Post' THEN
            IF NOT EXISTS (SELECT 1 FROM $s.posts WHERE id = NEW.commentable_id) THEN
                RAISE EXCEPTION 'Post % does not exist', NEW.commentable_id
                    USING ERRCODE = 'foreign_key_violation';
            END IF;
        WHEN 'Video' THEN
            IF NOT EXISTS (SELECT 1 FROM $s.videos WHERE id = NEW.commentable_id) THEN
                RAISE EXCEPTION 'Video % does not exist', NEW.commentable_id
                    USING ERRCODE = 'foreign_key_violation';
            END IF;
        WHEN 'Photo' THEN
            IF NOT EXISTS (SELECT 1 FROM $s.photos WHERE id = NEW.commentable_id) THEN
                RAISE EXCEPTION 'Photo % does not exist', NEW.commentable_id
                    USING ERRCODE = 'foreign_key_violation';
            END IF;
        ELSE
            RAISE EXCEPTION 'unknown commentable_type %', NEW.commentable_type
                USING ERRCODE = 'foreign_key_violation';
    END CASE;
    RETURN NEW;
END
\$fn\$;
CREATE TRIGGER check_commentable BEFORE INSERT OR UPDATE ON comments
    FOR EACH ROW EXECUTE FUNCTION check_commentable();
SQL
            ;;
            g) echo "SELECT polyref.declare('comments', 'commentable',
                   targets => ARRAY['posts', 'videos', 'photos']::regclass[],
                   kinds => ARRAY['Post', 'Video', 'Photo']$polyref_opts);" ;;
            h) echo "SELECT polyref.declare('comments', 'commentable',
                   targets => ARRAY['posts', 'videos', 'photos']::regclass[],
                   kinds => ARRAY['Post', 'Video', 'Photo'],
                   initially_deferred => false$polyref_opts);" ;;
            i) ;;
            j) echo "ALTER TABLE comments ADD CONSTRAINT comments_content_type_id_fkey
                   FOREIGN KEY (content_type_id) REFERENCES content_types (id)
                   DEFERRABLE INITIALLY DEFERRED;" ;;
            k) echo "SELECT polyref.declare('comments', 'content_object',
                   targets => ARRAY['posts', 'videos', 'photos']::regclass[],
                   kinds => ARRAY['bench.post', 'bench.video', 'bench.photo'],
                   type_column => 'content_type_id', id_column => 'object_id',
                   kind_registry => 'content_types');" ;;
            m | n) ;;
            o) echo "ALTER TABLE comments ADD CONSTRAINT comments_post_fkey
                   FOREIGN KEY (account_id, post_id) REFERENCES posts (account_id, id)$fk_opts
                   DEFERRABLE INITIALLY DEFERRED$not_valid;" ;;
            p) echo "SELECT polyref.declare('comments', 'commentable',
                   targets => ARRAY['posts', 'videos', 'photos']::regclass[],
                   kinds => ARRAY['Post', 'Video', 'Photo'],
                   scope_columns => ARRAY['account_id']$polyref_opts);" ;;
        esac
    } | sql >/dev/null
}

# load_untimed V [posts_only]: fill v_V.comments with the ROWS rows, checks
# off (replica mode skips foreign key and polyref triggers alike), then vacuum
# and analyze.  posts_only: every row points at the post the single-table data
# names (kind Post, the arc's post_id), so that every variant has the same
# comments on the same posts (the cascade's equal fan-out).
load_untimed() {
    local v=$1 cols select
    cols=$(columns_of "$v")
    select="SELECT $cols FROM bench.src_$(shape_of "$v")"
    if [[ ${2:-} == posts_only ]]; then
        case $(shape_of "$v") in
            poly) select="SELECT id, 'Post', post_id, body FROM bench.src_single" ;;
            arc) select="SELECT id, post_id, NULL, NULL, body FROM bench.src_single" ;;
        esac
    fi
    sql <<SQL
SET session_replication_role = replica;
INSERT INTO v_$v.comments ($cols) $select;
RESET session_replication_role;
VACUUM ANALYZE v_$v.comments;
SQL
}

count_comments() { sql_value "SELECT count(*) FROM v_$1.comments"; }

# --- recording ------------------------------------------------------------------
echo "workload,variant,repeat,metric,value,unit" >"$out/results.csv"
record() {   # record WORKLOAD VARIANT REPEAT METRIC VALUE UNIT
    echo "$1,$2,$3,$4,$5,$6" >>"$out/results.csv"
}
failed_runs=0
fail() {     # fail WORKLOAD VARIANT REPEAT MESSAGE-FILE
    failed_runs=$((failed_runs + 1))
    {
        echo "=== $1 / variant $2 / repeat $3"
        cat "$4"
        echo
    } >>"$out/errors.log"
    log "ERROR in $1, variant $2, repeat $3 (see $out/errors.log):"
    sed 's/^/    /' "$4" >&2
    # A crashed server restarts on its own: wait until it accepts connections.
    local i
    for ((i = 0; i < 120; i++)); do
        "$PG_BINDIR/pg_isready" -q && return 0
        sleep 1
    done
    echo "test/bench/run.sh: the server does not come back" >&2
    exit 1
}

# RssAnon of process $1 in kB, into RSS_KB (empty if unreadable), without forking.
read_rss_anon() {
    RSS_KB=
    local key value rest
    [[ -r /proc/$1/status ]] || return 0
    while read -r key value rest; do
        if [[ $key == RssAnon: ]]; then RSS_KB=$value; return 0; fi
    done 2>/dev/null <"/proc/$1/status" || true
}

# timed WORKLOAD VARIANT REPEAT BODY [memory]: run BODY (SQL statements) in
# one psql session and record its duration as measured by the server; with
# "memory", also the peak RssAnon of the backend, sampled every 50 ms.  Sets
# TIMED_SECONDS and TIMED_PEAK_KB.
timed() {
    local workload=$1 v=$2 r=$3 body=$4 sample=${5:-}
    local script=$client/timed.sql pidfile=$client/backend.pid
    local stdout=$client/timed.out stderr=$client/timed.err
    rm -f "$pidfile"
    cat >"$script" <<SQL
\\o $pidfile
SELECT pg_backend_pid();
\\o
CHECKPOINT;
SELECT clock_timestamp() AS bench_t0 \\gset
$body
SELECT round(extract(epoch FROM clock_timestamp() - :'bench_t0'::timestamptz)::numeric, 4)
    AS bench_elapsed \\gset
\\echo BENCH_ELAPSED :bench_elapsed
SQL
    "${psql_bench[@]}" -At -f "$script" >"$stdout" 2>"$stderr" &
    local psql_pid=$! backend='' peak=0 first=''
    while kill -0 "$psql_pid" 2>/dev/null; do
        if [[ -z $backend && -s $pidfile ]]; then
            read -r backend <"$pidfile" || backend=
        fi
        if [[ -n $sample && -n $backend ]]; then
            read_rss_anon "$backend"
            if [[ -n $RSS_KB ]]; then
                [[ -z $first ]] && first=$RSS_KB
                ((RSS_KB > peak)) && peak=$RSS_KB
            fi
        fi
        sleep 0.05
    done
    if ! wait "$psql_pid"; then
        fail "$workload" "$v" "$r" "$stderr"
        return 1
    fi
    local elapsed
    elapsed=$(sed -n 's/^BENCH_ELAPSED //p' "$stdout")
    record "$workload" "$v" "$r" seconds "$elapsed" s
    if ((peak > 0)); then
        record "$workload" "$v" "$r" peak_rss_anon_kb "$peak" kB
        record "$workload" "$v" "$r" start_rss_anon_kb "$first" kB
    fi
    TIMED_SECONDS=$elapsed
    TIMED_PEAK_KB=$peak
    return 0
}

# rotated R LIST...: LIST rotated left by R-1, so each variant takes each
# position in turn over the repeats.
rotated() {
    local r=$1
    shift
    local list=("$@") n=$# i
    for ((i = 0; i < n; i++)); do
        printf '%s ' "${list[$(((i + r - 1) % n))]}"
    done
}

# --- smoke test: every variant with integrity refuses a dangling reference --------
log "smoke test: a dangling reference must be refused by c..h, j, k, o, p and accepted by a, b, i, m, n"
for v in "${VARIANTS[@]}" "${SCOPED_VARIANTS[@]}"; do
    setup_schema "$v"
    add_integrity "$v"
    case $(shape_of "$v") in
        poly) row="(commentable_type, commentable_id) VALUES ('Post', $((TARGETS + 1)))" ;;
        single) row="(post_id) VALUES ($((TARGETS + 1)))" ;;
        arc) row="(post_id) VALUES ($((TARGETS + 1)))" ;;
        # no content type 99: j refuses it natively, k as no declared kind
        reg) row="(content_type_id, object_id) VALUES (99, $((TARGETS + 1)))" ;;
        # post 1 of the wrong account: present, but not in this scope
        scoped) row="(account_id, commentable_type, commentable_id) VALUES ($((1 + (2 % ACCOUNTS))), 'Post', 1)" ;;
        scoped_single) row="(account_id, post_id) VALUES ($((1 + (2 % ACCOUNTS))), 1)" ;;
    esac
    state=$("${psql_bench[@]}" -At -v ON_ERROR_STOP=0 2>/dev/null <<SQL
BEGIN;
INSERT INTO v_$v.comments $row;
COMMIT;
\\echo :LAST_ERROR_SQLSTATE
SQL
    ) || true
    case $v in
        a | b | i | m | n) want=00000 ;;
        *) want=23503 ;;
    esac
    if [[ $state != "$want" ]]; then
        echo "test/bench/run.sh: variant $v: a dangling reference gave SQLSTATE '$state', expected $want" >&2
        exit 1
    fi
done

# --- the measurements -------------------------------------------------------------
# pgbench_script V [skewed]: the single-row INSERT for V's shape; skewed: one
# per cent of the targets draw half the rows (popular posts), so concurrent
# transactions lock the same rows FOR KEY SHARE.
pgbench_script() {
    local s=v_$1
    echo "\\set k random(1, 3)"
    if [[ ${2:-} == skewed ]]; then
        echo "\\set t CASE WHEN random(1, 2) = 1 THEN random(1, $(((TARGETS + 99) / 100))) ELSE random(1, $TARGETS) END"
    else
        echo "\\set t random(1, $TARGETS)"
    fi
    case $(shape_of "$1") in
        poly) echo "INSERT INTO $s.comments (commentable_type, commentable_id, body) VALUES ((ARRAY['Post', 'Video', 'Photo'])[:k::int], :t::bigint, 'pgbench');" ;;
        single) echo "INSERT INTO $s.comments (post_id, body) VALUES (:t::bigint, 'pgbench');" ;;
        arc) echo "INSERT INTO $s.comments (post_id, video_id, photo_id, body) VALUES (CASE WHEN :k::int = 1 THEN :t::bigint END, CASE WHEN :k::int = 2 THEN :t::bigint END, CASE WHEN :k::int = 3 THEN :t::bigint END, 'pgbench');" ;;
        reg) echo "INSERT INTO $s.comments (content_type_id, object_id, body) VALUES (:k::int, :t::bigint, 'pgbench');" ;;
    esac
}

# run_pgbench WORKLOAD V R [skewed]: 2 clients of single-row INSERTs into V.
run_pgbench() {
    local workload=$1 v=$2 r=$3
    setup_schema "$v"
    add_integrity "$v"
    pgbench_script "$v" "${4:-}" >"$client/pgbench.sql"
    sql_value "CHECKPOINT" >/dev/null
    if "$PG_BINDIR/pgbench" -n -M prepared -c 2 -j 2 -T "$PGBENCH_SECONDS" \
            --random-seed=4242 -f "$client/pgbench.sql" bench \
            >"$client/pgbench.out" 2>"$client/pgbench.err"; then
        tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' "$client/pgbench.out")
        failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$client/pgbench.out")
        if [[ -z $tps || ${failed:-0} != 0 ]]; then
            cat "$client/pgbench.out" >>"$client/pgbench.err"
            fail "$workload" "$v" "$r" "$client/pgbench.err"
        else
            record "$workload" "$v" "$r" tps "$tps" tps
            log "repeat $r $workload $v: $tps TPS"
        fi
    else
        cat "$client/pgbench.out" >>"$client/pgbench.err"
        fail "$workload" "$v" "$r" "$client/pgbench.err"
    fi
}

for ((r = 1; r <= REPEAT; r++)); do
    # 1. INSERT ... SELECT in one transaction, COMMIT included.
    for v in $(rotated "$r" "${VARIANTS[@]}"); do
        setup_schema "$v"
        add_integrity "$v"
        cols=$(columns_of "$v")
        if timed insert "$v" "$r" "BEGIN;
INSERT INTO v_$v.comments ($cols) SELECT $cols FROM bench.src_$(shape_of "$v");
COMMIT;" memory; then
            n=$(count_comments "$v")
            log "repeat $r insert $v: $TIMED_SECONDS s, peak RssAnon $((TIMED_PEAK_KB / 1024)) MB, $n rows"
            [[ $n == "$ROWS" ]] || { echo "variant $v: $n rows after the load, expected $ROWS" >&2; exit 1; }
        fi
    done

    # 2. COPY from a server-side file, in one transaction, COMMIT included.
    for v in $(rotated "$r" "${VARIANTS[@]}"); do
        setup_schema "$v"
        add_integrity "$v"
        if timed copy "$v" "$r" "BEGIN;
COPY v_$v.comments ($(columns_of "$v")) FROM '$files/$(shape_of "$v").copy';
COMMIT;" memory; then
            n=$(count_comments "$v")
            log "repeat $r copy $v: $TIMED_SECONDS s, peak RssAnon $((TIMED_PEAK_KB / 1024)) MB, $n rows"
            [[ $n == "$ROWS" ]] || { echo "variant $v: $n rows after COPY, expected $ROWS" >&2; exit 1; }
        fi
    done

    # 3. pgbench: single-row INSERT transactions, 2 clients; then the same
    #    with skewed targets, native against polyref only.
    for v in $(rotated "$r" "${VARIANTS[@]}"); do
        run_pgbench pgbench "$v" "$r"
    done
    for v in $(rotated "$r" "${SKEW_VARIANTS[@]}"); do
        run_pgbench pgbench_skew "$v" "$r" skewed
    done

    # 4. DELETE of TARGETS/10 posts, cascading to their comments.
    for v in $(rotated "$r" "${CASCADE_VARIANTS[@]}"); do
        setup_schema "$v"
        add_integrity "$v" cascade
        load_untimed "$v" posts_only
        before=$(count_comments "$v")
        if timed cascade "$v" "$r" "BEGIN;
DELETE FROM v_$v.posts WHERE id <= $DELETED;
COMMIT;"; then
            after=$(count_comments "$v")
            record cascade "$v" "$r" cascaded_rows $((before - after)) rows
            record cascade "$v" "$r" deleted_targets "$DELETED" rows
            log "repeat $r cascade $v: $TIMED_SECONDS s, $((before - after)) comments cascaded"
            case $v in
                a | b) ;;
                *) if ((before - after == 0)); then
                       echo "variant $v: the DELETE cascaded to no comment" >&2; exit 1
                   fi ;;
            esac
        fi
    done

    # 5. Validation of ROWS existing rows.
    for v in $(rotated "$r" "${VALIDATE_VARIANTS[@]}"); do
        setup_schema "$v"
        load_untimed "$v"
        add_integrity "$v" novalidate
        case $v in
            d) body="ALTER TABLE v_d.comments VALIDATE CONSTRAINT comments_post_id_fkey;"
               check="SELECT convalidated FROM pg_constraint WHERE conname = 'comments_post_id_fkey' AND conrelid = 'v_d.comments'::regclass" ;;
            g) body="SELECT polyref.validate('v_g.comments', 'commentable');"
               check="SELECT validated FROM polyref.associations WHERE source = 'v_g.comments'::regclass" ;;
        esac
        [[ $(sql_value "$check") == f ]] || { echo "variant $v: not NOT VALID before validating" >&2; exit 1; }
        if timed validate "$v" "$r" "$body"; then
            log "repeat $r validate $v: $TIMED_SECONDS s"
            [[ $(sql_value "$check") == t ]] || { echo "variant $v: not validated after validating" >&2; exit 1; }
        fi
    done

    # 7. The scoped bulk INSERT: polyref's scoped check vs a composite FK.
    for v in $(rotated "$r" "${SCOPED_VARIANTS[@]}"); do
        setup_schema "$v"
        add_integrity "$v"
        cols=$(columns_of "$v")
        if timed scoped_insert "$v" "$r" "BEGIN;
INSERT INTO v_$v.comments ($cols) SELECT $cols FROM bench.src_$(shape_of "$v");
COMMIT;" memory; then
            n=$(count_comments "$v")
            log "repeat $r scoped insert $v: $TIMED_SECONDS s, peak RssAnon $((TIMED_PEAK_KB / 1024)) MB, $n rows"
            [[ $n == "$ROWS" ]] || { echo "variant $v: $n rows after the load, expected $ROWS" >&2; exit 1; }
        fi
    done
done

# --- instructions per row (callgrind) ------------------------------------------------
# Deterministic where the times above wobble: test/bench/instructions.sh, on a
# cluster of its own, after every timed run (callgrind would slow them down).
INSN_ROWS=${POLYREF_BENCH_INSN_ROWS:-20000}
INSN_TARGETS=${POLYREF_BENCH_INSN_TARGETS:-100000}
insn_done=
if [[ ${POLYREF_BENCH_INSN:-1} != 0 ]]; then
    if ! command -v valgrind >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]]; then
        log "installing valgrind for the instruction counts"
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends valgrind >/dev/null ||
            echo "test/bench/run.sh: could not install valgrind" >&2
    fi
    log "counting instructions per row with callgrind ($INSN_ROWS and $((2 * INSN_ROWS)) rows, 3 x $INSN_TARGETS targets)"
    if POLYREF_INSN_ROWS=$INSN_ROWS POLYREF_INSN_TARGETS=$INSN_TARGETS \
        POLYREF_INSN_REPORT=$out/instructions.md "$here/instructions.sh" \
        >"$out/instructions.csv" 2>"$out/instructions.log"; then
        insn_done=1
    else
        echo "test/bench/run.sh: the instruction counts failed (see $out/instructions.log)" >&2
    fi
fi

# --- the report ---------------------------------------------------------------------
log "summarising"
# Machine facts, for the report.
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
mem_total=$(awk '/^MemTotal:/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo)
pg_version=$(sql_value "SELECT version()")
polyref_version=$(sql_value "SELECT extversion FROM pg_extension WHERE extname = 'polyref'")
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$repo" status --porcelain -- src sql 2>/dev/null) ]]; then commit="$commit (src/ or sql/ modified)"; fi
settings_now=$(sql_value "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name)
    FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'maintenance_work_mem', 'wal_level',
        'wal_buffers', 'max_wal_size', 'checkpoint_timeout', 'autovacuum', 'jit',
        'max_parallel_workers_per_gather', 'fsync', 'synchronous_commit', 'full_page_writes',
        'shared_preload_libraries')")
load_now=$(cut -d' ' -f1-3 /proc/loadavg)
library_facts="$library, installed $library_mtime, md5 $library_at_start"
if [[ $(library_md5) != "$library_at_start" ]]; then
    library_facts="$library_facts (reinstalled during the run, md5 now $(library_md5); the run kept measuring the preloaded build)"
    echo "test/bench/run.sh: note: $library was reinstalled during the run; the preloaded build was measured throughout" >&2
fi
elapsed_total=$(($(date +%s) - started_at))

"${psql_bench[@]}" -v rows="$ROWS" -v deleted="$DELETED" \
    -f "$here/summary.sql" <"$out/results.csv" >/dev/null

# render VIEW [quiet]: the view as a markdown table in the report and, unless
# quiet, as an aligned table on stdout.
render() {
    [[ -n ${2:-} ]] || "${psql_bench[@]}" -P footer=off -c "TABLE report.$1"
    "${psql_bench[@]}" -A -F $'\t' -P footer=off -c "TABLE report.$1" | awk -F'\t' '
        NR == 1 { line = "|"; sep = "|"
                  for (i = 1; i <= NF; i++) { line = line " " $i " |"; sep = sep "---|" }
                  print line; print sep; next }
        { line = "|"; for (i = 1; i <= NF; i++) line = line " " $i " |"; print line }' >>"$out/report.md"
    echo >>"$out/report.md"
}

{
    echo "# polyref benchmark"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit, polyref $polyref_version;" \
         "$ROWS comments, 3 x $TARGETS targets, $REPEAT repeat(s), pgbench ${PGBENCH_SECONDS} s;" \
         "the run took $((elapsed_total / 60)) min $((elapsed_total % 60)) s."
    echo
    echo "- machine: $(nproc) CPUs ($cpu_model), $mem_total RAM, Linux $(uname -r); load average at the end: $load_now (other work shares this machine)"
    echo "- server: $pg_version"
    echo "- polyref library measured: $library_facts"
    echo "- settings: $settings_now"
    echo "- run: \`POLYREF_BENCH_ROWS=$ROWS POLYREF_BENCH_TARGETS=$TARGETS POLYREF_BENCH_ACCOUNTS=$ACCOUNTS POLYREF_BENCH_REPEAT=$REPEAT POLYREF_BENCH_PGBENCH_SECONDS=$PGBENCH_SECONDS test/bench/run.sh\` (or \`make bench\` for the defaults)"
    echo
    echo "Variants, workloads and method: see the comment at the top of test/bench/run.sh."
    echo "Every figure is the median over the repeats; raw values in results.csv."
    echo
    echo "## Times per variant"
    echo
} >"$out/report.md"

echo
echo "== Medians: $ROWS comments, 3 x $TARGETS targets, $REPEAT repeat(s) =="
render main
echo "== The check's own cost (variant minus the same table without it) =="
{ echo "## The check's own cost per row"; echo; } >>"$out/report.md"
render cost
echo "== Ratios the issue asks for =="
{ echo "## Ratios against the targets"; echo; } >>"$out/report.md"
render ratios
if [[ -n $insn_done ]]; then
    { echo "## Instructions per check (callgrind)"; echo; cat "$out/instructions.md"; echo; } >>"$out/report.md"
    echo "== Instructions per check (callgrind) =="
    cat "$out/instructions.md"
fi
{
    echo "## Spread over the repeats"
    echo
} >>"$out/report.md"
render spread quiet
{
    echo "Cascade: every variant deletes the same $DELETED posts, and for this workload"
    echo "every variant holds the same comments on the same posts (kind Post for the"
    echo "polymorphic tables, post_id for the arc), so the cascades delete the same rows."
    echo
    echo "pgbench: its 2 client threads share the 2 CPUs with the 2 backends, so a fixed"
    echo "client cost sits in every variant's TPS and pulls the TPS ratios towards 1."
    echo
    echo "Memory: peak RssAnon (private anonymous memory) of the backend, sampled every"
    echo "50 ms; it leaves out shared buffers, which every backend shares."
    echo
} >>"$out/report.md"
if [[ -s $out/errors.log ]]; then
    { echo "## Failed runs: $failed_runs (see errors.log)"; echo; } >>"$out/report.md"
fi

# --- the chart ----------------------------------------------------------------------
if [[ -n $have_gnuplot ]]; then
    mkdir -p "$out/chart"
    for panel in insert_s copy_s pgbench_tps insert_mb cascade_s validate_s; do
        "${psql_bench[@]}" -At -F $'\t' -c "SELECT label, value, colour FROM report.chart
            WHERE panel = '$panel' ORDER BY label" >"$out/chart/$panel.dat"
    done
    if gnuplot -e "dir='$out/chart'; outfile='$out/bench.png'; rows='$ROWS'; deleted='$DELETED'; pgbench_seconds='$PGBENCH_SECONDS'" \
            "$here/chart.gp" 2>"$client/gnuplot.err"; then
        echo "![bench](bench.png)" >>"$out/report.md"
    else
        echo "test/bench/run.sh: gnuplot failed:" >&2
        cat "$client/gnuplot.err" >&2
    fi
fi

log "done: $out/results.csv, $out/report.md$([[ -f $out/bench.png ]] && echo ", $out/bench.png")"
if ((failed_runs > 0)); then
    echo "test/bench/run.sh: $failed_runs run(s) failed, see $out/errors.log" >&2
    exit 1
fi
