-- What is enforced, source side: which rows satisfy an association, the
-- error a violation raises (wording, DETAIL, error fields), when the check
-- runs (deferral, SET CONSTRAINTS), which UPDATEs are checked, replication
-- role, kind and id column types, privileges and row-level security.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS polyref;
RESET client_min_messages;
CREATE SCHEMA enforce; SET search_path = enforce, public;

CREATE TABLE posts (id bigint PRIMARY KEY, title text);
CREATE TABLE videos (id bigint PRIMARY KEY, title text);
CREATE TABLE comments (
    id serial PRIMARY KEY,
    body text,
    commentable_type text,
    commentable_id bigint
);
SELECT polyref.declare('comments', 'commentable',
                       targets => ARRAY['posts', 'videos']::regclass[],
                       kinds   => ARRAY['Post', 'Video']);
INSERT INTO posts VALUES (1, 'post 1'), (2, 'post 2');
INSERT INTO videos VALUES (1, 'video 1'), (3, 'video 3');

-- ---------------------------------------------------------------------------
-- Which rows satisfy the association.

-- Both NULL, and a declared kind with an existing key, pass.
INSERT INTO comments (body, commentable_type, commentable_id) VALUES
    ('no target', NULL, NULL),
    ('on post 1', 'Post', 1),
    ('on video 3', 'Video', 3);

-- Half-NULL pairs are violations (MATCH FULL), whichever half is NULL.
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('half', 'Post', NULL);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('half', NULL, 1);
\echo :LAST_ERROR_SQLSTATE

-- A kind that is not declared.
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('unknown kind', 'Foo', 1);
\echo :LAST_ERROR_SQLSTATE

-- A declared kind whose target has no such key (video 3 exists, post 3 not;
-- post 2 exists, video 2 not: the kind picks the table).
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('missing', 'Post', 42);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('missing', 'Post', 3);
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('missing', 'Video', 2);

-- Kinds are case-sensitive: 'post' and 'POST' are not 'Post'.
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('lower case', 'post', 1);
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('upper case', 'POST', 1);
-- The empty string is not a kind either.
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('empty kind', '', 1);

-- Only the valid rows were kept.
SELECT body, commentable_type, commentable_id FROM comments ORDER BY id;

-- ---------------------------------------------------------------------------
-- Error fields: schema and table of the source, the association as the
-- constraint, as errtableconstraint() gives them for native foreign keys.
BEGIN;
SET CONSTRAINTS commentable IMMEDIATE;
DO $$
DECLARE
    v_schema text; v_table text; v_constraint text; v_column text;
    v_message text; v_detail text;
BEGIN
    INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('x', 'Post', 42);
    RAISE NOTICE 'not reached';
EXCEPTION WHEN foreign_key_violation THEN
    GET STACKED DIAGNOSTICS v_schema = SCHEMA_NAME, v_table = TABLE_NAME,
                            v_constraint = CONSTRAINT_NAME, v_column = COLUMN_NAME,
                            v_message = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL;
    RAISE NOTICE 'schema=% table=% constraint=% column=%',
        v_schema, v_table, v_constraint, nullif(v_column, '');
    RAISE NOTICE 'message=%', v_message;
    RAISE NOTICE 'detail=%', v_detail;
END
$$;
COMMIT;

-- ---------------------------------------------------------------------------
-- Timing.  By default the check runs at COMMIT: the INSERT succeeds, COMMIT
-- fails, and the row is gone afterwards.
BEGIN;
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('dangling', 'Post', 42);
SELECT count(*) AS dangling_rows_in_transaction FROM comments WHERE body = 'dangling';
COMMIT;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS dangling_rows_after_commit FROM comments WHERE body = 'dangling';

-- SET CONSTRAINTS <name> IMMEDIATE checks the rows still pending when it is
-- run ...
BEGIN;
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('dangling', 'Post', 42);
SET CONSTRAINTS commentable IMMEDIATE;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- ... and later rows at the end of their statement.
BEGIN;
SET CONSTRAINTS commentable IMMEDIATE;
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('dangling', 'Post', 42);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- SET CONSTRAINTS ALL IMMEDIATE as well.
BEGIN;
SET CONSTRAINTS ALL IMMEDIATE;
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('dangling', 'Post', 42);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- Switching back to DEFERRED defers again (and a valid pending row passes
-- when switched to IMMEDIATE).
BEGIN;
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('valid pending', 'Post', 2);
SET CONSTRAINTS commentable IMMEDIATE;
SET CONSTRAINTS commentable DEFERRED;
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('dangling', 'Post', 42);
SELECT body FROM comments WHERE body IN ('valid pending', 'dangling') ORDER BY body;
COMMIT;
SELECT body FROM comments WHERE body IN ('valid pending', 'dangling') ORDER BY body;

-- A reference can be fixed before COMMIT: the comment first, then its post.
BEGIN;
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('on post 7', 'Post', 7);
INSERT INTO posts VALUES (7, 'post 7');
COMMIT;
-- ... or re-pointed before COMMIT.
BEGIN;
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('re-pointed', 'Post', 42);
UPDATE comments SET commentable_id = 2 WHERE body = 're-pointed';
COMMIT;
SELECT body, commentable_type, commentable_id FROM comments
 WHERE body IN ('on post 7', 're-pointed') ORDER BY body;

-- A row inserted and deleted in the same transaction is not checked.
BEGIN;
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('short-lived', 'Post', 42);
DELETE FROM comments WHERE body = 'short-lived';
COMMIT;
SELECT count(*) AS short_lived_rows FROM comments WHERE body = 'short-lived';

-- A row inserted and then updated (another column) in the same transaction
-- is still checked: the update does not hide the insert's violation.
BEGIN;
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('inserted', 'Post', 42);
UPDATE comments SET body = 'inserted, edited' WHERE body = 'inserted';
COMMIT;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS inserted_rows FROM comments WHERE body LIKE 'inserted%';

-- initially_deferred => false: checked at the end of each statement.
CREATE TABLE notes (id serial PRIMARY KEY, notable_type text, notable_id bigint);
SELECT polyref.declare('notes', 'notable',
                       targets => ARRAY['posts', 'videos']::regclass[],
                       kinds   => ARRAY['Post', 'Video'],
                       initially_deferred => false);
BEGIN;
INSERT INTO notes (notable_type, notable_id) VALUES ('Post', 42);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- At the end of the statement, not per row: a post inserted by the same
-- statement (a data-modifying CTE) is found.
WITH p AS (INSERT INTO posts VALUES (8, 'post 8'))
INSERT INTO notes (notable_type, notable_id) VALUES ('Post', 8);
-- SET CONSTRAINTS <name> DEFERRED defers it to COMMIT.
BEGIN;
SET CONSTRAINTS notable DEFERRED;
INSERT INTO notes (notable_type, notable_id) VALUES ('Post', 42);
SELECT notable_type, notable_id FROM notes ORDER BY id;
COMMIT;
\echo :LAST_ERROR_SQLSTATE
SELECT notable_type, notable_id FROM notes ORDER BY id;

-- is_deferrable => false: always at the end of the statement, and SET
-- CONSTRAINTS <name> DEFERRED is refused as for a native NOT DEFERRABLE
-- constraint; SET CONSTRAINTS ALL DEFERRED leaves it alone.
CREATE TABLE pins (id serial PRIMARY KEY, pinnable_type text, pinnable_id bigint);
SELECT polyref.declare('pins', 'pinnable',
                       targets => ARRAY['posts', 'videos']::regclass[],
                       kinds   => ARRAY['Post', 'Video'],
                       is_deferrable => false, initially_deferred => false);
BEGIN;
INSERT INTO pins (pinnable_type, pinnable_id) VALUES ('Post', 42);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SET CONSTRAINTS pinnable DEFERRED;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SET CONSTRAINTS ALL DEFERRED;
INSERT INTO pins (pinnable_type, pinnable_id) VALUES ('Post', 42);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- The native equivalent, for comparison.
CREATE TABLE native_pins (id serial PRIMARY KEY, post_id bigint
    CONSTRAINT native_pin_post REFERENCES posts NOT DEFERRABLE);
BEGIN;
SET CONSTRAINTS native_pin_post DEFERRED;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT count(*) AS pins FROM pins;

-- ---------------------------------------------------------------------------
-- UPDATE on the source.  A change of the kind or the id is checked.
UPDATE comments SET commentable_id = 42 WHERE body = 'on post 1';
\echo :LAST_ERROR_SQLSTATE
UPDATE comments SET commentable_type = 'Foo' WHERE body = 'on post 1';
\echo :LAST_ERROR_SQLSTATE
UPDATE comments SET commentable_type = NULL WHERE body = 'on post 1';
\echo :LAST_ERROR_SQLSTATE
-- (video 1 exists: a valid change passes)
UPDATE comments SET commentable_type = 'Video' WHERE body = 'on post 1';
UPDATE comments SET commentable_type = 'Post' WHERE body = 'on post 1';
SELECT body, commentable_type, commentable_id FROM comments
 WHERE body = 'on post 1';

-- An UPDATE that leaves kind and id unchanged is not re-checked.  A dangling
-- row is loaded with the checks off (session_replication_role = replica) ...
SET session_replication_role = replica;
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('loaded', 'Post', 99);
RESET session_replication_role;
-- ... then an unrelated column, and kind or id set to the same value, pass ...
UPDATE comments SET body = 'loaded, edited' WHERE body = 'loaded';
UPDATE comments SET commentable_id = commentable_id WHERE body = 'loaded, edited';
UPDATE comments SET commentable_type = 'Post' WHERE body = 'loaded, edited';
-- ... but a change of the kind or the id is checked.
UPDATE comments SET commentable_type = 'Video' WHERE body = 'loaded, edited';
\echo :LAST_ERROR_SQLSTATE
UPDATE comments SET commentable_id = 98 WHERE body = 'loaded, edited';
\echo :LAST_ERROR_SQLSTATE
SELECT body, commentable_type, commentable_id FROM comments
 WHERE body LIKE 'loaded%';
DELETE FROM comments WHERE body LIKE 'loaded%';

-- ---------------------------------------------------------------------------
-- session_replication_role = replica skips the checks, as it skips native
-- foreign keys: both accept a dangling row.
CREATE TABLE native_comments (id serial PRIMARY KEY, post_id bigint REFERENCES posts);
SET session_replication_role = replica;
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('replica', 'Post', 99);
INSERT INTO native_comments (post_id) VALUES (99);
RESET session_replication_role;
SELECT body, commentable_type, commentable_id FROM comments WHERE body = 'replica';
SELECT post_id FROM native_comments;
-- Back in origin, both check again.
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('origin', 'Post', 99);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO native_comments (post_id) VALUES (99);
\echo :LAST_ERROR_SQLSTATE
DELETE FROM comments WHERE body = 'replica';
DELETE FROM native_comments;

-- ---------------------------------------------------------------------------
-- Kind column types: text (above), varchar, citext and an enum.

-- varchar
CREATE TABLE vc_comments (id serial PRIMARY KEY, ref_type varchar(20), ref_id bigint);
SELECT polyref.declare('vc_comments', 'vc_ref',
                       targets => ARRAY['posts', 'videos']::regclass[],
                       kinds   => ARRAY['Post', 'Video'],
                       type_column => 'ref_type', id_column => 'ref_id');
INSERT INTO vc_comments (ref_type, ref_id) VALUES ('Post', 1), ('Video', 3);
INSERT INTO vc_comments (ref_type, ref_id) VALUES ('Post', 42);
INSERT INTO vc_comments (ref_type, ref_id) VALUES ('post', 1);
SELECT ref_type, ref_id FROM vc_comments ORDER BY id;

-- citext: kinds still compare exactly, although citext's = ignores case.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS citext;
RESET client_min_messages;
CREATE TABLE ci_comments (id serial PRIMARY KEY, ref_type citext, ref_id bigint);
SELECT polyref.declare('ci_comments', 'ci_ref',
                       targets => ARRAY['posts', 'videos']::regclass[],
                       kinds   => ARRAY['Post', 'Video'],
                       type_column => 'ref_type', id_column => 'ref_id');
INSERT INTO ci_comments (ref_type, ref_id) VALUES ('Post', 1), ('Video', 3);
INSERT INTO ci_comments (ref_type, ref_id) VALUES ('post', 1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO ci_comments (ref_type, ref_id) VALUES ('VIDEO', 3);
INSERT INTO ci_comments (ref_type, ref_id) VALUES ('Post', 42);
SELECT ref_type, ref_id FROM ci_comments ORDER BY id;
-- and a change of case only is a change of kind.
UPDATE ci_comments SET ref_type = 'POST' WHERE ref_type = 'Post';
\echo :LAST_ERROR_SQLSTATE
-- The target side compares kinds exactly too: deleting the referenced
-- post 1 is refused, while a row of kind 'post' (lower case, loaded under
-- replica) would not hold it; an unreferenced post goes.
BEGIN;
SET CONSTRAINTS ci_ref IMMEDIATE;
DELETE FROM posts WHERE id = 1;
ROLLBACK;
INSERT INTO posts VALUES (77);
DELETE FROM posts WHERE id = 77;
SELECT count(*) AS post_77 FROM posts WHERE id = 77;

-- enum: kinds must be labels of the type; enforcement works as for text,
-- and a label that is not a declared kind is refused.
CREATE TYPE ref_kind AS ENUM ('Post', 'Video', 'Photo');
CREATE TABLE enum_comments (id serial PRIMARY KEY, ref_type ref_kind, ref_id bigint);
SELECT polyref.declare('enum_comments', 'enum_ref',
                       targets => ARRAY['posts', 'videos']::regclass[],
                       kinds   => ARRAY['Post', 'Clip'],
                       type_column => 'ref_type', id_column => 'ref_id');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS declared FROM polyref.associations WHERE association = 'enum_ref';
SELECT polyref.declare('enum_comments', 'enum_ref',
                       targets => ARRAY['posts', 'videos']::regclass[],
                       kinds   => ARRAY['Post', 'Video'],
                       type_column => 'ref_type', id_column => 'ref_id');
INSERT INTO enum_comments (ref_type, ref_id) VALUES ('Post', 1), ('Video', 3), (NULL, NULL);
INSERT INTO enum_comments (ref_type, ref_id) VALUES ('Post', 42);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO enum_comments (ref_type, ref_id) VALUES ('Photo', 1);
\echo :LAST_ERROR_SQLSTATE
UPDATE enum_comments SET ref_type = 'Video' WHERE ref_type = 'Post';
SELECT ref_type, ref_id FROM enum_comments ORDER BY id;

-- ---------------------------------------------------------------------------
-- Id and key types.

-- An int4 key and a bigint id compare with the cross-type =; an id beyond
-- int4's range is simply not present.
CREATE TABLE small_posts (id int4 PRIMARY KEY);
INSERT INTO small_posts VALUES (1);
CREATE TABLE small_refs (id serial PRIMARY KEY, ref_type text, ref_id bigint);
SELECT polyref.declare('small_refs', 'small_ref',
                       targets => ARRAY['small_posts']::regclass[],
                       kinds   => ARRAY['SmallPost'],
                       type_column => 'ref_type', id_column => 'ref_id');
INSERT INTO small_refs (ref_type, ref_id) VALUES ('SmallPost', 1);
INSERT INTO small_refs (ref_type, ref_id) VALUES ('SmallPost', 2);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO small_refs (ref_type, ref_id) VALUES ('SmallPost', 5000000000);
\echo :LAST_ERROR_SQLSTATE
SELECT ref_type, ref_id FROM small_refs ORDER BY id;

-- A text id column pointing at a bigint key and at a uuid key: the id must
-- be the key's canonical text form.
CREATE TABLE big_posts (id bigint PRIMARY KEY);
CREATE TABLE uuid_videos (id uuid PRIMARY KEY);
INSERT INTO big_posts VALUES (42), (43);
INSERT INTO uuid_videos VALUES ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
                               ('b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12');
CREATE TABLE attachments (
    id serial PRIMARY KEY,
    attachable_type text,
    attachable_id text
);
SELECT polyref.declare('attachments', 'attachable',
                       targets   => ARRAY['big_posts', 'uuid_videos']::regclass[],
                       kinds     => ARRAY['BigPost', 'UuidVideo'],
                       on_delete => 'cascade', on_update => 'cascade');
INSERT INTO attachments (attachable_type, attachable_id) VALUES
    ('BigPost', '42'),
    ('BigPost', '43'),
    ('UuidVideo', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
    ('UuidVideo', 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12');
-- not canonical: leading zero, leading space, plus sign, trailing space
INSERT INTO attachments (attachable_type, attachable_id) VALUES ('BigPost', '042');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO attachments (attachable_type, attachable_id) VALUES ('BigPost', ' 42');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO attachments (attachable_type, attachable_id) VALUES ('BigPost', '+42');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO attachments (attachable_type, attachable_id) VALUES ('BigPost', '42 ');
\echo :LAST_ERROR_SQLSTATE
-- not a bigint at all: a violation, not an input syntax error
INSERT INTO attachments (attachable_type, attachable_id) VALUES ('BigPost', 'abc');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO attachments (attachable_type, attachable_id) VALUES ('BigPost', '99999999999999999999');
\echo :LAST_ERROR_SQLSTATE
-- uuid: canonical lower case passes; upper case, no hyphens or braces fail
INSERT INTO attachments (attachable_type, attachable_id) VALUES ('UuidVideo', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO attachments (attachable_type, attachable_id) VALUES ('UuidVideo', 'a0eebc999c0b4ef8bb6d6bb9bd380a11');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO attachments (attachable_type, attachable_id) VALUES ('UuidVideo', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}');
\echo :LAST_ERROR_SQLSTATE
SELECT attachable_type, attachable_id FROM attachments ORDER BY id;
-- Cascades from the target side find the text ids, and an updated key is
-- written back in its canonical text form.
DELETE FROM big_posts WHERE id = 43;
UPDATE big_posts SET id = 4200 WHERE id = 42;
DELETE FROM uuid_videos WHERE id = 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12';
UPDATE uuid_videos SET id = 'C0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A13'
 WHERE id = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11';
SELECT attachable_type, attachable_id FROM attachments ORDER BY id;
SELECT count(*) AS orphans FROM polyref.orphans('attachments', 'attachable');

-- A key type polyref does not parse itself (here a domain over integer) is
-- parsed by its input function in a subtransaction.  Only a data error
-- (class 22) there means "not canonical"; any other error is raised as it
-- was: a cancel while the input function runs stays a cancel (57014).
CREATE FUNCTION slow_key_ok(v integer) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('polyref_test.slow', true) = 'on' THEN
        PERFORM pg_sleep(10);
    END IF;
    RETURN true;
END $$;
CREATE DOMAIN slow_key AS integer CHECK (slow_key_ok(VALUE));
CREATE TABLE slow_posts (id slow_key PRIMARY KEY);
INSERT INTO slow_posts VALUES (7);
CREATE TABLE slow_refs (id serial PRIMARY KEY, ref_type text, ref_id text);
SELECT polyref.declare('slow_refs', 'slow_ref',
                       targets => ARRAY['slow_posts']::regclass[],
                       kinds => ARRAY['SlowPost'],
                       type_column => 'ref_type', id_column => 'ref_id',
                       initially_deferred => false);
INSERT INTO slow_refs (ref_type, ref_id) VALUES ('SlowPost', '7');
-- not canonical: the input function rejects it (22P02), or prints it otherwise
INSERT INTO slow_refs (ref_type, ref_id) VALUES ('SlowPost', 'seven');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO slow_refs (ref_type, ref_id) VALUES ('SlowPost', '07');
\echo :LAST_ERROR_SQLSTATE
-- cancelled by statement_timeout inside the input function
SET polyref_test.slow = on;
SET statement_timeout = '100ms';
INSERT INTO slow_refs (ref_type, ref_id) VALUES ('SlowPost', '7');
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
RESET polyref_test.slow;
SELECT ref_type, ref_id FROM slow_refs ORDER BY id;

-- ---------------------------------------------------------------------------
-- Privileges: as natively, DETAIL leaves the key values out when the user
-- may not SELECT them from the source table.
CREATE ROLE regress_enforce_writer;
GRANT USAGE ON SCHEMA enforce TO regress_enforce_writer;
GRANT INSERT ON comments TO regress_enforce_writer;
GRANT USAGE ON SEQUENCE comments_id_seq TO regress_enforce_writer;
SET ROLE regress_enforce_writer;
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('no select', 'Post', 42);
\echo :LAST_ERROR_SQLSTATE
-- (the other DETAILs name no key values and are kept)
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('no select', 'Post', NULL);
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('no select', 'Foo', 1);
-- a valid row passes: the check does not need the user's rights on posts
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('no select', 'Post', 1);
RESET ROLE;
-- SELECT on the two key columns is enough to see the values.
GRANT SELECT (commentable_type, commentable_id) ON comments TO regress_enforce_writer;
SET ROLE regress_enforce_writer;
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('column select', 'Post', 42);
RESET ROLE;
SELECT body, commentable_type, commentable_id FROM comments
 WHERE body IN ('no select', 'column select') ORDER BY id;

-- ---------------------------------------------------------------------------
-- Row-level security: the check sees rows that policies hide from the user
-- (it reads as the target's owner, past even FORCE ROW LEVEL SECURITY),
-- exactly as a native foreign key does.
CREATE ROLE regress_enforce_owner;
GRANT USAGE ON SCHEMA enforce TO regress_enforce_owner;
CREATE TABLE rls_posts (id bigint PRIMARY KEY);
INSERT INTO rls_posts VALUES (1);
ALTER TABLE rls_posts OWNER TO regress_enforce_owner;
ALTER TABLE rls_posts ENABLE ROW LEVEL SECURITY;
ALTER TABLE rls_posts FORCE ROW LEVEL SECURITY;
CREATE POLICY hide_all ON rls_posts USING (false);
GRANT SELECT ON rls_posts TO regress_enforce_writer;
CREATE TABLE rls_comments (id serial PRIMARY KEY, ref_type text, ref_id bigint);
SELECT polyref.declare('rls_comments', 'rls_ref',
                       targets => ARRAY['rls_posts']::regclass[],
                       kinds   => ARRAY['Post'],
                       type_column => 'ref_type', id_column => 'ref_id');
CREATE TABLE native_rls_comments (id serial PRIMARY KEY, post_id bigint REFERENCES rls_posts);
GRANT INSERT ON rls_comments, native_rls_comments TO regress_enforce_writer;
GRANT USAGE ON SEQUENCE rls_comments_id_seq, native_rls_comments_id_seq TO regress_enforce_writer;
SET ROLE regress_enforce_writer;
SELECT count(*) AS visible_rls_posts FROM rls_posts;
INSERT INTO rls_comments (ref_type, ref_id) VALUES ('Post', 1);
INSERT INTO native_rls_comments (post_id) VALUES (1);
-- and a missing key is still refused by both
INSERT INTO rls_comments (ref_type, ref_id) VALUES ('Post', 2);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO native_rls_comments (post_id) VALUES (2);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT ref_type, ref_id FROM rls_comments ORDER BY id;
SELECT post_id FROM native_rls_comments ORDER BY id;
-- With SELECT on the source the key values are shown; once row-level
-- security is enabled on the source they are left out again, by both.
GRANT SELECT ON rls_comments, native_rls_comments TO regress_enforce_writer;
SET ROLE regress_enforce_writer;
INSERT INTO rls_comments (ref_type, ref_id) VALUES ('Post', 2);
INSERT INTO native_rls_comments (post_id) VALUES (2);
RESET ROLE;
ALTER TABLE rls_comments ENABLE ROW LEVEL SECURITY;
ALTER TABLE native_rls_comments ENABLE ROW LEVEL SECURITY;
CREATE POLICY see_all ON rls_comments USING (true);
CREATE POLICY see_all ON native_rls_comments USING (true);
SET ROLE regress_enforce_writer;
INSERT INTO rls_comments (ref_type, ref_id) VALUES ('Post', 2);
INSERT INTO native_rls_comments (post_id) VALUES (2);
RESET ROLE;

-- ---------------------------------------------------------------------------
SET client_min_messages = warning;
DROP SCHEMA enforce CASCADE;
RESET client_min_messages;
DROP ROLE regress_enforce_writer;
DROP ROLE regress_enforce_owner;
