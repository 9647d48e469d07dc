--
-- errors: every bad call SPEC names, with its SQLSTATE, and after each a
-- look at everything polyref records or installs for this schema's tables,
-- to show that no error leaves anything half-declared.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS polyref;
RESET client_min_messages;
CREATE SCHEMA errors; SET search_path = errors, public;

-- Helpers.  state: the catalog rows, triggers, trigger constraints and
-- non-primary-key indexes of this schema's tables; baseline: the state as
-- last recorded; what_changed(): the difference, or 'nothing changed'.
CREATE VIEW state AS
SELECT format('association %s.%s %s', a.source, a.association,
              row(a.type_column, a.id_column, a.on_delete, a.on_update, a.is_deferrable,
                  a.initially_deferred, a.validated, a.kinds)) AS item
  FROM polyref.associations a
 WHERE a.source IN (SELECT oid FROM pg_class WHERE relnamespace = 'errors'::regnamespace)
UNION ALL
SELECT format('kind %s.%s %s -> %s(%s)', t.source, t.association, t.kind, t.target, t.key_column)
  FROM polyref.targets t
 WHERE t.source IN (SELECT oid FROM pg_class WHERE relnamespace = 'errors'::regnamespace)
UNION ALL
SELECT format('trigger %s.%s', c.relname, t.tgname)
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = 'errors'::regnamespace AND NOT t.tgisinternal
UNION ALL
SELECT format('constraint %s', conname)
  FROM pg_constraint WHERE connamespace = 'errors'::regnamespace AND contype = 't'
UNION ALL
SELECT format('index %s', i.relname)
  FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
 WHERE c.relnamespace = 'errors'::regnamespace AND NOT x.indisprimary;
CREATE TABLE baseline (item text);
CREATE FUNCTION rebaseline() RETURNS void LANGUAGE sql
    AS $$ DELETE FROM baseline; INSERT INTO baseline SELECT item FROM state $$;
CREATE FUNCTION what_changed() RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(change || ' ' || item, E'\n' ORDER BY item, change), 'nothing changed')
      FROM (SELECT '+' AS change, item FROM (SELECT item FROM state EXCEPT ALL SELECT item FROM baseline) n
            UNION ALL
            SELECT '-', item FROM (SELECT item FROM baseline EXCEPT ALL SELECT item FROM state) o) d
$$;

-- Targets.
CREATE TABLE posts (id bigint PRIMARY KEY);
CREATE TABLE videos (id bigint PRIMARY KEY);
CREATE TABLE counters (id int PRIMARY KEY);                 -- int4 key
CREATE TABLE tokens (id uuid PRIMARY KEY);                  -- uuid key
CREATE TABLE logs (line text);                              -- no primary key
CREATE TABLE pairs (a bigint, b bigint, PRIMARY KEY (a, b)); -- two-column primary key
CREATE TABLE people (id bigint PRIMARY KEY, email text UNIQUE, code bigint,
                     badge bigint, serial bigint UNIQUE DEFERRABLE);
CREATE UNIQUE INDEX people_badge ON people (badge) WHERE badge > 0;  -- partial
CREATE VIEW post_view AS SELECT * FROM posts;
INSERT INTO posts VALUES (1), (2);
INSERT INTO counters VALUES (1);
-- Sources.
CREATE TABLE comments (id int PRIMARY KEY, commentable_type text, commentable_id bigint,
                       other_type text);
CREATE TABLE uuid_refs (id int PRIMARY KEY, ref_type text, ref_id uuid);
CREATE TABLE text_refs (id int PRIMARY KEY, ref_type text, ref_id text);
CREATE TABLE int_kinds (id int PRIMARY KEY, ref_type numeric, ref_id bigint);
INSERT INTO comments VALUES (1, 'posts', 1);
SELECT polyref.declare('comments', 'commentable', ARRAY['posts']::regclass[]);
SELECT rebaseline();
SELECT * FROM baseline ORDER BY item;

--
-- 42P01 unknown table: as source, as target, as added target (and, at the
-- end of this file, a table dropped since its OID was taken).
--
SELECT polyref.declare('nosuch', 'commentable');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('comments', 'commentable2', ARRAY['posts', 'nosuch']::regclass[],
                       type_column => 'commentable_type', id_column => 'commentable_id');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.add_target('comments', 'commentable', 'nosuch');
\echo :LAST_ERROR_SQLSTATE
SELECT what_changed();

-- 42809 (as natively): a view is no table, as source or as target.
SELECT polyref.declare('post_view', 'commentable');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.add_target('comments', 'commentable', 'post_view');
\echo :LAST_ERROR_SQLSTATE
SELECT what_changed();

--
-- 42703 unknown column: default columns missing (both, or only the id),
-- an explicit type_column or id_column missing, a missing key_column.
--
SELECT polyref.declare('comments', 'taggable', ARRAY['posts']::regclass[]);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('comments', 'other', ARRAY['posts']::regclass[]);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('comments', 'taggable', ARRAY['posts']::regclass[],
                       type_column => 'nope', id_column => 'commentable_id');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('comments', 'taggable', ARRAY['posts']::regclass[],
                       type_column => 'commentable_type', id_column => 'nope');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.add_target('comments', 'commentable', 'videos', key_column => 'nope');
\echo :LAST_ERROR_SQLSTATE
SELECT what_changed();

--
-- 42704 unknown association, for every function that takes one (also a
-- name declared on another table), and unknown kind (case matters).
--
SELECT polyref.add_target('comments', 'nosuch', 'videos');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.drop_target('comments', 'nosuch', 'posts');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.undeclare('comments', 'nosuch');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.undeclare('text_refs', 'commentable');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.validate('comments', 'nosuch');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM polyref.orphans('comments', 'nosuch');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.rename_kind('comments', 'nosuch', 'posts', 'Post');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.drop_target('comments', 'commentable', 'videos');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.drop_target('comments', 'commentable', 'Posts');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.rename_kind('comments', 'commentable', 'videos', 'Video');
\echo :LAST_ERROR_SQLSTATE
SELECT what_changed();

--
-- 42804 id and key types not comparable: a uuid id with a bigint key, a
-- bigint id with a uuid key or a text key, a kind column of type integer.
--
SELECT polyref.declare('uuid_refs', 'ref', ARRAY['posts']::regclass[]);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.add_target('comments', 'commentable', 'tokens');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.add_target('comments', 'commentable', 'people', key_column => 'email');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('int_kinds', 'ref', ARRAY['posts']::regclass[]);
\echo :LAST_ERROR_SQLSTATE
SELECT what_changed();

-- Accepted: an int4 key with a bigint id (compared across types, so an id
-- beyond int4 is simply not found) ...
SELECT polyref.add_target('comments', 'commentable', 'counters');
INSERT INTO comments VALUES (2, 'counters', 1);
INSERT INTO comments VALUES (3, 'counters', 5000000000);
\echo :LAST_ERROR_SQLSTATE
-- ... and a text id with bigint and uuid keys (the text-id rule: the id is
-- the key's canonical text form).
SELECT polyref.declare('text_refs', 'ref', ARRAY['posts', 'tokens']::regclass[]);
INSERT INTO text_refs VALUES (1, 'posts', '1');
INSERT INTO text_refs VALUES (2, 'posts', '01');
\echo :LAST_ERROR_SQLSTATE
SELECT what_changed();
SELECT rebaseline();

--
-- 42830 key without a unique index: a target without a primary key, or
-- with a two-column one; a key_column with no unique index, with only a
-- partial one, or with a deferrable unique constraint (as natively).
--
SELECT polyref.add_target('comments', 'commentable', 'logs');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('comments', 'commentable2', ARRAY['posts', 'logs']::regclass[],
                       type_column => 'commentable_type', id_column => 'commentable_id');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.add_target('comments', 'commentable', 'pairs');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.add_target('comments', 'commentable', 'people', key_column => 'code');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.add_target('comments', 'commentable', 'people', key_column => 'badge');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.add_target('comments', 'commentable', 'people', key_column => 'serial');
\echo :LAST_ERROR_SQLSTATE
SELECT what_changed();

--
-- 42710 already declared: the association; a kind (again, for another
-- table, twice in one declare with or without kinds); rename_kind to an
-- existing kind; and an association of the same name touching the same
-- table with another deferral (they would share one constraint trigger).
--
SELECT polyref.declare('comments', 'commentable', ARRAY['videos']::regclass[]);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.add_target('comments', 'commentable', 'posts');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.add_target('comments', 'commentable', 'videos', kind => 'posts');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('comments', 'commentable2', ARRAY['posts', 'videos']::regclass[],
                       kinds => ARRAY['Item', 'Item'],
                       type_column => 'commentable_type', id_column => 'commentable_id');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('comments', 'commentable2', ARRAY['posts', 'posts']::regclass[],
                       type_column => 'commentable_type', id_column => 'commentable_id');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.rename_kind('comments', 'commentable', 'posts', 'counters');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('text_refs', 'commentable', ARRAY['posts']::regclass[],
                       type_column => 'ref_type', id_column => 'ref_id', initially_deferred => false);
\echo :LAST_ERROR_SQLSTATE
SELECT what_changed();

--
-- 42501 not allowed: a role that does not own the source, though it holds
-- REFERENCES on the target (more in the privileges test).
--
CREATE ROLE regress_errors_stranger;
GRANT USAGE ON SCHEMA errors TO regress_errors_stranger;
GRANT REFERENCES ON posts, videos TO regress_errors_stranger;
SET ROLE regress_errors_stranger;
SELECT polyref.declare('comments', 'commentable2', ARRAY['posts']::regclass[],
                       type_column => 'commentable_type', id_column => 'commentable_id');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.add_target('comments', 'commentable', 'videos');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.undeclare('comments', 'commentable');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT what_changed();

--
-- 22004 NULL for a required argument, for each function and argument, and
-- a NULL element in targets or kinds.
--
SELECT polyref.declare(NULL, 'commentable2');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('comments', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('text_refs', 'ref2', type_column => 'ref_type', id_column => 'ref_id',
                       on_delete => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('text_refs', 'ref2', type_column => 'ref_type', id_column => 'ref_id',
                       on_update => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('text_refs', 'ref2', type_column => 'ref_type', id_column => 'ref_id',
                       is_deferrable => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('text_refs', 'ref2', type_column => 'ref_type', id_column => 'ref_id',
                       initially_deferred => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('text_refs', 'ref2', type_column => 'ref_type', id_column => 'ref_id',
                       validate => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('text_refs', 'ref2', type_column => 'ref_type', id_column => 'ref_id',
                       create_index => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('text_refs', 'ref2', ARRAY['posts', NULL]::regclass[],
                       type_column => 'ref_type', id_column => 'ref_id');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('text_refs', 'ref2', ARRAY['posts', 'videos']::regclass[], ARRAY['Post', NULL],
                       type_column => 'ref_type', id_column => 'ref_id');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.add_target(NULL, 'commentable', 'videos');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.add_target('comments', NULL, 'videos');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.add_target('comments', 'commentable', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.drop_target(NULL, 'commentable', 'posts');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.drop_target('comments', NULL, 'posts');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.drop_target('comments', 'commentable', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.undeclare(NULL, 'commentable');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.undeclare('comments', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.validate(NULL, 'commentable');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.validate('comments', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM polyref.orphans(NULL, 'commentable');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM polyref.orphans('comments', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.rename_kind(NULL, 'commentable', 'posts', 'Post');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.rename_kind('comments', NULL, 'posts', 'Post');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.rename_kind('comments', 'commentable', NULL, 'Post');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.rename_kind('comments', 'commentable', 'posts', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT what_changed();

--
-- 22023 other invalid values: an unknown action; initially_deferred
-- without is_deferrable (also by default); targets and kinds of different
-- lengths (also kinds without targets); a multi-dimensional array; an
-- empty kind (declare, add_target, rename_kind); an empty or too long
-- association name.
--
SELECT polyref.declare('text_refs', 'ref2', type_column => 'ref_type', id_column => 'ref_id',
                       on_delete => 'cascades');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('text_refs', 'ref2', type_column => 'ref_type', id_column => 'ref_id',
                       on_update => 'nothing');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('text_refs', 'ref2', type_column => 'ref_type', id_column => 'ref_id',
                       is_deferrable => false, initially_deferred => true);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('text_refs', 'ref2', type_column => 'ref_type', id_column => 'ref_id',
                       is_deferrable => false);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('text_refs', 'ref2', ARRAY['posts', 'videos']::regclass[], ARRAY['Post'],
                       type_column => 'ref_type', id_column => 'ref_id');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('text_refs', 'ref2', kinds => ARRAY['Post'],
                       type_column => 'ref_type', id_column => 'ref_id');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('text_refs', 'ref2', ARRAY[['posts'], ['videos']]::regclass[],
                       type_column => 'ref_type', id_column => 'ref_id');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('text_refs', 'ref2', ARRAY['posts']::regclass[], ARRAY[''],
                       type_column => 'ref_type', id_column => 'ref_id');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.add_target('comments', 'commentable', 'videos', kind => '');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.rename_kind('comments', 'commentable', 'posts', '');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('comments', '', type_column => 'commentable_type', id_column => 'commentable_id');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('comments', repeat('x', 64),
                       type_column => 'commentable_type', id_column => 'commentable_id');
\echo :LAST_ERROR_SQLSTATE
SELECT what_changed();

--
-- 0A000 TRUNCATE of a referenced target; truncating the source in the
-- same command succeeds, and so does truncating a target no row points at.
--
TRUNCATE posts;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS posts FROM posts;
TRUNCATE videos;
-- text_refs points at posts too.
TRUNCATE posts, comments;
\echo :LAST_ERROR_SQLSTATE
TRUNCATE posts, comments, text_refs;
SELECT (SELECT count(*) FROM posts) AS posts, (SELECT count(*) FROM comments) AS comments,
       (SELECT count(*) FROM text_refs) AS text_refs;
SELECT what_changed();

--
-- 42P01 for a table dropped since its OID was taken, as source, as target
-- with and without a kind.  (Messages name the OID: only the SQLSTATE is
-- shown.)
--
CREATE TABLE gone (id bigint PRIMARY KEY);
SELECT 'gone'::regclass::oid AS gone \gset
DROP TABLE gone;
\set VERBOSITY sqlstate
SELECT polyref.declare(:gone, 'commentable');
SELECT polyref.declare('comments', 'commentable2', ARRAY[:gone::oid]::regclass[], ARRAY['Gone'],
                       type_column => 'commentable_type', id_column => 'commentable_id');
SELECT polyref.add_target('comments', 'commentable', :gone, kind => 'Gone');
SELECT polyref.declare('comments', 'commentable2', ARRAY[:gone::oid]::regclass[],
                       type_column => 'commentable_type', id_column => 'commentable_id');
SELECT polyref.add_target('comments', 'commentable', :gone);
\set VERBOSITY default
SELECT what_changed();

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA errors CASCADE;
RESET client_min_messages;
DROP ROLE regress_errors_stranger;
