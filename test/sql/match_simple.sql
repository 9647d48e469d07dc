-- match_type => 'simple' (SPEC, What is enforced, release 1.1): a row whose
-- kind or id is NULL is not checked at all, exactly as a native MATCH SIMPLE
-- foreign key.  Each case runs on a GitLab-shaped polyref association
-- (notes.noteable_type/noteable_id -> issues | merge_requests; notes on
-- commits carry 'Commit' with a NULL id) and on its native twin: a MATCH
-- SIMPLE foreign key over (kind, id), the targets having a generated kind
-- column, so both see the same pairs.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS polyref;
RESET client_min_messages;
CREATE SCHEMA match_simple; SET search_path = match_simple, public;

CREATE TABLE issues (id bigint PRIMARY KEY, title text,
                     kind text GENERATED ALWAYS AS ('Issue') STORED,
                     UNIQUE (kind, id));
INSERT INTO issues (id, title) VALUES (1, 'crash'), (2, 'typo'), (3, 'slow');

CREATE TABLE notes (id int PRIMARY KEY, noteable_type text, noteable_id bigint,
                    commit_sha text, body text);
CREATE TABLE native_notes (id int PRIMARY KEY, noteable_type text, noteable_id bigint,
                           commit_sha text, body text,
                           CONSTRAINT noteable FOREIGN KEY (noteable_type, noteable_id)
                               REFERENCES issues (kind, id) MATCH SIMPLE
                               ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED);

-- Rows that were there before the declaration: a commit note (kind, no id),
-- a note with an id and no kind, a note on issue 1.
INSERT INTO notes VALUES (1, 'Commit', NULL, 'abc123', 'on a commit'),
                         (2, NULL, 7, NULL, 'id without kind'),
                         (3, 'Issue', 1, NULL, 'on issue 1');
INSERT INTO native_notes SELECT * FROM notes WHERE noteable_type IS DISTINCT FROM 'Commit';
INSERT INTO native_notes VALUES (1, 'Issue', NULL, 'abc123', 'kind without id');

-- ---------------------------------------------------------------------------
-- Declaring.

-- MATCH FULL (the default) refuses those rows, naming the first.
SELECT polyref.declare('notes', 'noteable', targets => ARRAY['issues']::regclass[],
                       kinds => ARRAY['Issue'], on_delete => 'cascade');
\echo :LAST_ERROR_SQLSTATE
-- Other match types are refused as natively: PARTIAL is not implemented
-- there either; anything else is no match type.
SELECT polyref.declare('notes', 'noteable', targets => ARRAY['issues']::regclass[],
                       kinds => ARRAY['Issue'], match_type => 'partial');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('notes', 'noteable', targets => ARRAY['issues']::regclass[],
                       kinds => ARRAY['Issue'], match_type => 'SIMPLE');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('notes', 'noteable', targets => ARRAY['issues']::regclass[],
                       kinds => ARRAY['Issue'], match_type => NULL);
\echo :LAST_ERROR_SQLSTATE
-- MATCH SIMPLE adopts the table as it is: validated, no orphans.
SELECT polyref.declare('notes', 'noteable', targets => ARRAY['issues']::regclass[],
                       kinds => ARRAY['Issue'], on_delete => 'cascade',
                       match_type => 'simple');
SELECT association, match_type, validated, kinds FROM polyref.associations
 WHERE source = 'notes'::regclass;
SELECT count(*) AS orphans FROM polyref.orphans('notes', 'noteable');
SELECT polyref.validate('notes', 'noteable');

-- ---------------------------------------------------------------------------
-- Which rows are checked: none with a NULL, as natively.
CREATE FUNCTION try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- Each statement on both tables, checked at once, side by side.
CREATE FUNCTION both_ways(stmt text) RETURNS TABLE (polyref text, native text)
LANGUAGE plpgsql AS $$
BEGIN
    SET CONSTRAINTS ALL IMMEDIATE;
    polyref := try(format(stmt, 'notes'));
    native := try(format(stmt, 'native_notes'));
    SET CONSTRAINTS ALL DEFERRED;
    RETURN NEXT;
END $$;

SELECT * FROM both_ways($$INSERT INTO %I VALUES (10, 'Issue', NULL, NULL, 'kind, no id')$$);
SELECT * FROM both_ways($$INSERT INTO %I VALUES (11, NULL, 99, NULL, 'id, no kind')$$);
SELECT * FROM both_ways($$INSERT INTO %I VALUES (12, NULL, NULL, NULL, 'neither')$$);
SELECT * FROM both_ways($$INSERT INTO %I VALUES (13, 'Issue', 2, NULL, 'on issue 2')$$);
SELECT * FROM both_ways($$INSERT INTO %I VALUES (14, 'Issue', 99, NULL, 'dangling')$$);
-- polyref only: an undeclared kind with a NULL id is not checked either (a
-- native twin can name no kind outside its one target).
INSERT INTO notes VALUES (15, 'Commit', NULL, 'def456', 'commit');
INSERT INTO notes VALUES (16, 'Commit', 5, NULL, 'commit with an id');
\echo :LAST_ERROR_SQLSTATE

-- UPDATEs: filling in the missing half is checked, emptying one is not.
SELECT * FROM both_ways($$UPDATE %I SET noteable_id = 99 WHERE id = 10$$);
SELECT * FROM both_ways($$UPDATE %I SET noteable_id = 3 WHERE id = 10$$);
SELECT * FROM both_ways($$UPDATE %I SET noteable_id = NULL WHERE id = 13$$);
SELECT * FROM both_ways($$UPDATE %I SET noteable_type = 'Issue' WHERE id = 11$$);

-- Deferred (as declared): nothing with a NULL is checked at COMMIT either.
BEGIN;
INSERT INTO notes VALUES (20, 'Issue', NULL, NULL, 'deferred, no id');
INSERT INTO native_notes VALUES (20, 'Issue', NULL, NULL, 'deferred, no id');
COMMIT;
BEGIN;
INSERT INTO notes VALUES (21, 'Issue', 98, NULL, 'deferred, dangling');
COMMIT;
\echo :LAST_ERROR_SQLSTATE

-- ---------------------------------------------------------------------------
-- Actions: cascade reaches the rows that point at the key, and no row with a
-- NULL, as natively.
SELECT id, noteable_type, noteable_id FROM notes ORDER BY id;
SELECT id, noteable_type, noteable_id FROM native_notes ORDER BY id;
DELETE FROM issues WHERE id = 3;
SELECT id, noteable_type, noteable_id FROM notes ORDER BY id;
SELECT id, noteable_type, noteable_id FROM native_notes ORDER BY id;

-- NO ACTION (and RESTRICT, which words it otherwise from PostgreSQL 18 on:
-- see actions) sees no row with a NULL id: issue 2 may go once the one note
-- naming it has its id emptied.
SELECT polyref.undeclare('notes', 'noteable');
SELECT polyref.declare('notes', 'noteable', targets => ARRAY['issues']::regclass[],
                       kinds => ARRAY['Issue'], initially_deferred => false,
                       match_type => 'simple');
INSERT INTO notes VALUES (30, 'Issue', 2, NULL, 'on issue 2');
DELETE FROM issues WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
UPDATE notes SET noteable_id = NULL WHERE id = 30;
DELETE FROM issues WHERE id = 2;
SELECT id, noteable_type, noteable_id FROM notes WHERE id = 30;

-- ---------------------------------------------------------------------------
-- validate and orphans follow it: a dangling pair is an orphan, no row with
-- a NULL is, whether its kind is declared or not.
SELECT polyref.undeclare('notes', 'noteable');
INSERT INTO notes VALUES (40, 'Issue', 97, NULL, 'dangling, undeclared time');
SELECT polyref.declare('notes', 'noteable', targets => ARRAY['issues']::regclass[],
                       kinds => ARRAY['Issue'], match_type => 'simple', validate => false);
SELECT n.id, o.kind, o.id FROM polyref.orphans('notes', 'noteable') o
  JOIN notes n ON n.ctid = o.ctid ORDER BY n.id;
SELECT polyref.validate('notes', 'noteable');
\echo :LAST_ERROR_SQLSTATE
DELETE FROM notes WHERE id = 40;
SELECT polyref.validate('notes', 'noteable');
SELECT validated FROM polyref.associations WHERE source = 'notes'::regclass;
-- The same orphans without the one-pass scan (text ids take the queries).
CREATE TABLE text_notes (id int PRIMARY KEY, noteable_type text, noteable_id text);
INSERT INTO text_notes VALUES (1, 'Issue', NULL), (2, NULL, '1'), (3, 'Issue', '1'),
                              (4, 'Issue', '96'), (5, 'Commit', NULL);
SELECT polyref.declare('text_notes', 'noteable', targets => ARRAY['issues']::regclass[],
                       kinds => ARRAY['Issue'], match_type => 'simple', validate => false);
SELECT t.id, o.kind, o.id FROM polyref.orphans('text_notes', 'noteable') o
  JOIN text_notes t ON t.ctid = o.ctid ORDER BY t.id;

-- ---------------------------------------------------------------------------
-- A schema-only dump carries it: the declaration in the constraint trigger
-- names match_type=simple (MATCH FULL ones do not name it), read back as a
-- restore reads it; creating the trigger again from its definition, with the
-- configuration gone, declares it MATCH SIMPLE again (what a restore does).
SELECT a FROM pg_trigger t,
       unnest(string_to_array(rtrim(encode(t.tgargs, 'escape'), '\000'), '\000')) a
 WHERE t.tgrelid = 'notes'::regclass AND t.tgname = 'noteable' AND a LIKE 'match_type%';
SELECT DISTINCT source, association, match_type FROM polyref.carried_declarations()
 WHERE source IN ('notes'::regclass, 'text_notes'::regclass) ORDER BY 1;
SELECT pg_get_triggerdef(oid) AS notes_def FROM pg_trigger
 WHERE tgrelid = 'notes'::regclass AND tgname = 'noteable' \gset
ALTER EVENT TRIGGER polyref_sql_drop DISABLE;
DROP TRIGGER noteable ON notes;
ALTER EVENT TRIGGER polyref_sql_drop ENABLE;
DELETE FROM polyref.config_kind WHERE source = 'notes'::regclass;
DELETE FROM polyref.config_association WHERE source = 'notes'::regclass;
:notes_def;
SELECT association, match_type, validated, kinds FROM polyref.associations
 WHERE source = 'notes'::regclass;
INSERT INTO notes VALUES (41, 'Issue', NULL, NULL, 'after the restore');
-- A carried match_type that is neither full nor simple fails the load.
ALTER EVENT TRIGGER polyref_sql_drop DISABLE;
DROP TRIGGER noteable ON notes;
ALTER EVENT TRIGGER polyref_sql_drop ENABLE;
DELETE FROM polyref.config_kind WHERE source = 'notes'::regclass;
DELETE FROM polyref.config_association WHERE source = 'notes'::regclass;
SELECT replace(:'notes_def', 'match_type=simple', 'match_type=partial') AS bad_def \gset
:bad_def;
\echo :LAST_ERROR_SQLSTATE
:notes_def;

-- ---------------------------------------------------------------------------
-- The join helpers find nothing for a row with a NULL.
SELECT polyref.resolve('notes', 'noteable', 'Issue', NULL::bigint) IS NULL AS no_row;
SELECT polyref.resolve('notes', 'noteable', 'Issue', 1::bigint)->>'title' AS title;

-- ---------------------------------------------------------------------------
-- discover() proposes MATCH SIMPLE for data with kinds stored with NULL ids,
-- and the proposal adopts the table without orphans.
CREATE SCHEMA gitlab;
CREATE TABLE gitlab.issues (id bigint PRIMARY KEY);
CREATE TABLE gitlab.notes (id int PRIMARY KEY, noteable_type text, noteable_id bigint,
                           commit_id text);
INSERT INTO gitlab.issues VALUES (1), (2);
INSERT INTO gitlab.notes VALUES (1, 'Issue', 1, NULL), (2, 'Issue', 2, NULL),
                                (3, 'Commit', NULL, 'abc'), (4, 'Commit', NULL, 'def');
SELECT association, kind, target, rows, orphans, declaration
  FROM polyref.discover(ARRAY['gitlab']) ORDER BY kind;
DO $$
BEGIN
    EXECUTE (SELECT declaration FROM polyref.discover(ARRAY['gitlab']) LIMIT 1);
END $$;
SELECT source, association, match_type, validated, kinds FROM polyref.associations
 WHERE source = 'gitlab.notes'::regclass;
INSERT INTO gitlab.notes VALUES (5, 'Commit', NULL, 'fed');
INSERT INTO gitlab.notes VALUES (6, 'Issue', 9, NULL);
\echo :LAST_ERROR_SQLSTATE

-- ---------------------------------------------------------------------------
-- 'full' stays the default, and says so.
CREATE TABLE full_notes (id int PRIMARY KEY, noteable_type text, noteable_id bigint);
SELECT polyref.declare('full_notes', 'noteable', targets => ARRAY['issues']::regclass[],
                       kinds => ARRAY['Issue']);
SELECT match_type FROM polyref.associations WHERE source = 'full_notes'::regclass;
INSERT INTO full_notes VALUES (1, 'Issue', NULL);
\echo :LAST_ERROR_SQLSTATE

DROP SCHEMA match_simple, gitlab CASCADE;
