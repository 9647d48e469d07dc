-- Summary of a benchmark run (test/bench/run.sh): reads results.csv into
-- report.results and defines the views the script prints and charts.
--   psql -v rows=<ROWS> -v deleted=<DELETED> -f summary.sql <results.csv
-- Every figure is a median over the repeats; differences and ratios are taken
-- between medians.
\set ON_ERROR_STOP 1
DROP SCHEMA IF EXISTS report CASCADE;
CREATE SCHEMA report;

CREATE TABLE report.results (
    workload text, variant text, repeat int, metric text, value float8, unit text);
\copy report.results FROM pstdin WITH (FORMAT csv, HEADER)

CREATE TABLE report.settings (rows float8, deleted float8);
INSERT INTO report.settings VALUES (:rows, :deleted);

CREATE TABLE report.variant (code text PRIMARY KEY, short text, label text, colour int);
INSERT INTO report.variant VALUES
    ('a', 'a none',        'none: type/id + index',            1),
    ('b', 'b single',      'single table post_id, no FK',      2),
    ('c', 'c FK imm',      'native FK, immediate',             3),
    ('d', 'd FK def',      'native FK, deferred',              4),
    ('e', 'e arc',         'exclusive arc: 3 FKs + CHECK',     5),
    ('f', 'f plpgsql',     'PL/pgSQL trigger',                 6),
    ('g', 'g polyref def', 'polyref, deferred (default)',      7),
    ('h', 'h polyref imm', 'polyref, immediate',               8),
    ('i', 'i registry',    'integer kind + registry, no FK',   9),
    ('j', 'j reg FK',      'native FK on content_type_id',    10),
    ('k', 'k polyref reg', 'polyref via kind registry',       11),
    ('m', 'm scoped none', 'scoped: account_id/type/id + index', 1),
    ('n', 'n scoped single', 'scoped: account_id/post_id, no FK', 2),
    ('o', 'o composite FK', 'native composite FK, deferred',    4),
    ('p', 'p polyref scoped', 'polyref scoped, deferred',       7);

-- med(workload, variant, metric): the median, NULL if never measured.
CREATE FUNCTION report.med(w text, v text, k text) RETURNS float8
LANGUAGE sql STABLE AS $$
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY value)
      FROM report.results WHERE workload = w AND variant = v AND metric = k
$$;

-- num(x, digits): x rounded for display, '-' when missing.
CREATE FUNCTION report.num(x float8, digits int) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(round(x::numeric, digits)::text, '-')
$$;

-- Check cost in µs per row: the variant's median time minus its baseline's.
CREATE FUNCTION report.cost_us(w text, v text, base text) RETURNS float8
LANGUAGE sql STABLE AS $$
    SELECT (report.med(w, v, 'seconds') - report.med(w, base, 'seconds')) * 1e6 / rows
      FROM report.settings
$$;

CREATE VIEW report.main AS
SELECT v.code || ' ' || v.label AS variant,
       report.num(report.med('insert', v.code, 'seconds'), 2) AS "INSERT s",
       report.num(report.med('copy', v.code, 'seconds'), 2) AS "COPY s",
       report.num(report.med('pgbench', v.code, 'tps'), 0) AS "pgbench TPS",
       report.num(report.med('insert', v.code, 'peak_rss_anon_kb') / 1024, 1) AS "INSERT peak MB",
       report.num(report.med('copy', v.code, 'peak_rss_anon_kb') / 1024, 1) AS "COPY peak MB",
       report.num(report.med('cascade', v.code, 'seconds'), 3) AS "cascade s",
       report.num(report.med('cascade', v.code, 'cascaded_rows'), 0) AS "cascaded rows",
       report.num(report.med('cascade', v.code, 'seconds') * 1e6
                  / nullif(report.med('cascade', v.code, 'cascaded_rows'), 0), 2) AS "µs/cascaded row",
       report.num(report.med('cascade', v.code, 'seconds') * 1e6 / s.deleted, 1) AS "µs/deleted target",
       report.num(report.med('validate', v.code, 'seconds'), 3) AS "validate s",
       report.num(report.med('scoped_insert', v.code, 'seconds'), 2) AS "scoped INSERT s"
  FROM report.variant v, report.settings s
 ORDER BY v.code;

CREATE VIEW report.cost AS
SELECT c.label AS "check",
       c.formula AS "=",
       report.num(report.cost_us(c.w, c.v, c.base), 3) AS "INSERT µs/row",
       report.num(report.cost_us('copy', c.v, c.base), 3) AS "COPY µs/row"
  FROM (VALUES
        (1, 'native FK immediate', 'c - b', 'c', 'b', 'insert'),
        (2, 'native FK deferred', 'd - b', 'd', 'b', 'insert'),
        (3, 'polyref immediate', 'h - a', 'h', 'a', 'insert'),
        (4, 'polyref deferred', 'g - a', 'g', 'a', 'insert'),
        (5, 'PL/pgSQL trigger', 'f - a', 'f', 'a', 'insert'),
        (6, 'exclusive arc (3 FKs, CHECK and 2 more indexes)', 'e - b', 'e', 'b', 'insert'),
        (7, 'polyref through a kind registry, deferred', 'k - i', 'k', 'i', 'insert'),
        (8, 'native FK on content_type_id (Django), deferred', 'j - i', 'j', 'i', 'insert'),
        (9, 'native composite FK deferred (scoped INSERT)', 'o - n', 'o', 'n', 'scoped_insert'),
        (10, 'polyref scoped, deferred (scoped INSERT)', 'p - m', 'p', 'm', 'scoped_insert'))
       AS c(n, label, formula, v, base, w)
 ORDER BY c.n;

-- ratio(value, target, higher_is_better) -> met?  NULL value: not measurable.
CREATE FUNCTION report.met(x float8, target float8, at_least boolean) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN x IS NULL THEN 'n/a'
                WHEN target IS NULL THEN '(info)'
                WHEN at_least AND x >= target OR NOT at_least AND x <= target THEN 'yes'
                ELSE 'NO' END
$$;

-- ratio of two check costs; NULL when the denominator is not positive (the
-- check cost drowned in noise) or missing.
CREATE FUNCTION report.div(x float8, y float8) RETURNS float8
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN y > 0 THEN x / y END
$$;

CREATE VIEW report.ratio_values AS
SELECT n, what, formula, value, target, at_least
  FROM (VALUES
    (1, 'bulk INSERT: check cost per row, polyref / native, deferred', '(g-a)/(d-b)',
        report.div(report.cost_us('insert', 'g', 'a'), report.cost_us('insert', 'd', 'b')), 0.25, false),
    (2, 'bulk INSERT: check cost per row, polyref / native, immediate', '(h-a)/(c-b)',
        report.div(report.cost_us('insert', 'h', 'a'), report.cost_us('insert', 'c', 'b')), 0.25, false),
    (3, 'COPY: check cost per row, polyref / native, deferred', '(g-a)/(d-b)',
        report.div(report.cost_us('copy', 'g', 'a'), report.cost_us('copy', 'd', 'b')), 0.25, false),
    (4, 'COPY: check cost per row, polyref / native, immediate', '(h-a)/(c-b)',
        report.div(report.cost_us('copy', 'h', 'a'), report.cost_us('copy', 'c', 'b')), 0.25, false),
    (5, 'single-row TPS, polyref / native, deferred', 'g/d',
        report.div(report.med('pgbench', 'g', 'tps'), report.med('pgbench', 'd', 'tps')), 0.95, true),
    (6, 'single-row TPS, polyref / native, immediate', 'h/c',
        report.div(report.med('pgbench', 'h', 'tps'), report.med('pgbench', 'c', 'tps')), 0.95, true),
    (7, 'cascade DELETE time per cascaded row, polyref / native', 'g/d',
        report.div(report.med('cascade', 'g', 'seconds') / report.med('cascade', 'g', 'cascaded_rows'),
                   report.med('cascade', 'd', 'seconds') / report.med('cascade', 'd', 'cascaded_rows')), 1, false),
    (8, 'cascade DELETE time per deleted target, polyref / native', 'g/d',
        report.div(report.med('cascade', 'g', 'seconds'), report.med('cascade', 'd', 'seconds')), NULL, false),
    (9, 'peak private memory of the INSERT backend, polyref / native, deferred', 'g/d',
        report.div(report.med('insert', 'g', 'peak_rss_anon_kb'), report.med('insert', 'd', 'peak_rss_anon_kb')), 1, false),
    (10, 'peak private memory of the INSERT backend, polyref / native, immediate', 'h/c',
        report.div(report.med('insert', 'h', 'peak_rss_anon_kb'), report.med('insert', 'c', 'peak_rss_anon_kb')), 1, false),
    (11, 'validate, polyref.validate() / VALIDATE CONSTRAINT', 'g/d',
        report.div(report.med('validate', 'g', 'seconds'), report.med('validate', 'd', 'seconds')), 1, false),
    (12, 'bulk INSERT: PL/pgSQL trigger cost / polyref cost, immediate', '(f-a)/(h-a)',
        report.div(report.cost_us('insert', 'f', 'a'), report.cost_us('insert', 'h', 'a')), 5, true),
    (13, 'bulk INSERT: PL/pgSQL trigger cost / polyref cost, deferred', '(f-a)/(g-a)',
        report.div(report.cost_us('insert', 'f', 'a'), report.cost_us('insert', 'g', 'a')), 5, true),
    (14, 'COPY: PL/pgSQL trigger cost / polyref cost, immediate', '(f-a)/(h-a)',
        report.div(report.cost_us('copy', 'f', 'a'), report.cost_us('copy', 'h', 'a')), 5, true),
    (15, 'COPY: PL/pgSQL trigger cost / polyref cost, deferred', '(f-a)/(g-a)',
        report.div(report.cost_us('copy', 'f', 'a'), report.cost_us('copy', 'g', 'a')), 5, true),
    (16, 'skewed single-row TPS (1% of posts draw half), polyref / native, deferred', 'g/d',
        report.div(report.med('pgbench_skew', 'g', 'tps'), report.med('pgbench_skew', 'd', 'tps')), 1, true),
    (17, 'skewed single-row TPS (1% of posts draw half), polyref / native, immediate', 'h/c',
        report.div(report.med('pgbench_skew', 'h', 'tps'), report.med('pgbench_skew', 'c', 'tps')), 1, true),
    -- Kind registries (issue 13): a check through the registry costs what a
    -- text-kind check costs (within 10 %).
    (18, 'bulk INSERT: check cost per row, registry / text kinds, deferred', '(k-i)/(g-a)',
        report.div(report.cost_us('insert', 'k', 'i'), report.cost_us('insert', 'g', 'a')), 1.1, false),
    (19, 'COPY: check cost per row, registry / text kinds, deferred', '(k-i)/(g-a)',
        report.div(report.cost_us('copy', 'k', 'i'), report.cost_us('copy', 'g', 'a')), 1.1, false),
    (20, 'single-row TPS, registry / text kinds, deferred', 'k/g',
        report.div(report.med('pgbench', 'k', 'tps'), report.med('pgbench', 'g', 'tps')), 0.95, true),
    (21, 'bulk INSERT: polyref via registry / native FK on content_type_id', '(k-i)/(j-i)',
        report.div(report.cost_us('insert', 'k', 'i'), report.cost_us('insert', 'j', 'i')), NULL, false),
    (22, 'scoped bulk INSERT: check cost per row, polyref scoped / native composite FK, deferred', '(p-m)/(o-n)',
        report.div(report.cost_us('scoped_insert', 'p', 'm'), report.cost_us('scoped_insert', 'o', 'n')), 0.25, false))
    AS r(n, what, formula, value, target, at_least);

CREATE VIEW report.ratios AS
SELECT what AS ratio, formula AS "=", report.num(value, 2) AS value,
       CASE WHEN target IS NULL THEN '-'
            ELSE CASE WHEN at_least THEN '>= ' ELSE '<= ' END || target END AS target,
       report.met(value, target, at_least) AS met
  FROM report.ratio_values ORDER BY n;

CREATE VIEW report.spread AS
SELECT r.workload, v.short AS variant, r.metric, count(*) AS n,
       report.num(min(r.value), CASE r.metric WHEN 'seconds' THEN 3 ELSE 0 END) AS min,
       report.num(percentile_cont(0.5) WITHIN GROUP (ORDER BY r.value),
                  CASE r.metric WHEN 'seconds' THEN 3 ELSE 0 END) AS median,
       report.num(max(r.value), CASE r.metric WHEN 'seconds' THEN 3 ELSE 0 END) AS max
  FROM report.results r JOIN report.variant v ON v.code = r.variant
 WHERE r.metric IN ('seconds', 'tps', 'peak_rss_anon_kb')
 GROUP BY r.workload, v.short, r.metric
 ORDER BY array_position(ARRAY['insert', 'copy', 'pgbench', 'pgbench_skew', 'cascade', 'validate', 'scoped_insert'], r.workload),
          r.metric, v.short;

-- One row per bar: panel, x label, height, colour index.
CREATE VIEW report.chart AS
SELECT p.panel, v.short AS label, report.med(p.workload, v.code, p.metric) * p.scale AS value, v.colour
  FROM (VALUES ('insert_s', 'insert', 'seconds', 1.0),
               ('copy_s', 'copy', 'seconds', 1.0),
               ('pgbench_tps', 'pgbench', 'tps', 1.0),
               ('insert_mb', 'insert', 'peak_rss_anon_kb', 1.0 / 1024),
               ('cascade_s', 'cascade', 'seconds', 1.0),
               ('validate_s', 'validate', 'seconds', 1.0)) AS p(panel, workload, metric, scale)
 CROSS JOIN report.variant v
 WHERE report.med(p.workload, v.code, p.metric) IS NOT NULL;
