-- What is enforced, target side: DELETE of a target row and UPDATE of its
-- key under each action (no action, restrict, cascade, set null, set
-- default), for a deferred association (the default) and an immediate one
-- (initially_deferred => false), side by side with native foreign keys on
-- twin tables.
-- Native foreign keys report RESTRICT apart from NO ACTION from PostgreSQL
-- 18 on (SQLSTATE 23001, "violates RESTRICT setting of foreign key
-- constraint"), and polyref as the server it runs on: this test's output
-- for 18 and later is expected/actions_1.out, for 15 to 17 expected/actions.out.
SELECT current_setting('server_version_num')::int >= 180000 AS postgresql_18_or_later;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS polyref;
RESET client_min_messages;
CREATE SCHEMA actions; SET search_path = actions, public;

-- posts and videos are the targets.  comments (association "commentable",
-- deferred) references post 1 and video 1; notes ("notable", immediate)
-- references post 2 and video 2.  Post 3 is not referenced.
CREATE TABLE posts (id bigint PRIMARY KEY, title text);
CREATE TABLE videos (id bigint PRIMARY KEY, title text);
CREATE TABLE comments (
    id int PRIMARY KEY,
    commentable_type text DEFAULT 'Post',
    commentable_id bigint DEFAULT 0
);
CREATE TABLE notes (
    id int PRIMARY KEY,
    notable_type text DEFAULT 'Post',
    notable_id bigint DEFAULT 0
);
-- The native twins: native_comments (deferred) references post 1 and
-- native_notes (immediate) post 2 of native_posts.
CREATE TABLE native_posts (id bigint PRIMARY KEY, title text);
CREATE TABLE native_comments (id int PRIMARY KEY, post_id bigint DEFAULT 0);
CREATE TABLE native_notes (id int PRIMARY KEY, post_id bigint DEFAULT 0);

-- reset(on_delete, on_update): fresh data, both associations and both
-- native foreign keys declared with these actions.
CREATE FUNCTION reset(del text, upd text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM polyref.undeclare(a.source, a.association)
       FROM polyref.associations a
      WHERE a.source IN ('comments'::regclass, 'notes'::regclass);
    ALTER TABLE native_comments DROP CONSTRAINT IF EXISTS native_comments_fk;
    ALTER TABLE native_notes DROP CONSTRAINT IF EXISTS native_notes_fk;
    DELETE FROM comments;
    DELETE FROM notes;
    DELETE FROM native_comments;
    DELETE FROM native_notes;
    DELETE FROM posts;
    DELETE FROM videos;
    DELETE FROM native_posts;
    INSERT INTO posts VALUES (1, 'post 1'), (2, 'post 2'), (3, 'post 3');
    INSERT INTO videos VALUES (1, 'video 1'), (2, 'video 2');
    INSERT INTO comments VALUES (1, 'Post', 1), (2, 'Video', 1), (3, NULL, NULL);
    INSERT INTO notes VALUES (1, 'Post', 2), (2, 'Video', 2);
    INSERT INTO native_posts VALUES (1, 'post 1'), (2, 'post 2'), (3, 'post 3');
    INSERT INTO native_comments VALUES (1, 1);
    INSERT INTO native_notes VALUES (1, 2);
    PERFORM polyref.declare('comments', 'commentable',
                            targets   => ARRAY['posts', 'videos']::regclass[],
                            kinds     => ARRAY['Post', 'Video'],
                            on_delete => del, on_update => upd);
    PERFORM polyref.declare('notes', 'notable',
                            targets   => ARRAY['posts', 'videos']::regclass[],
                            kinds     => ARRAY['Post', 'Video'],
                            on_delete => del, on_update => upd,
                            initially_deferred => false);
    EXECUTE format('ALTER TABLE native_comments ADD CONSTRAINT native_comments_fk'
                   ' FOREIGN KEY (post_id) REFERENCES native_posts'
                   ' ON DELETE %s ON UPDATE %s DEFERRABLE INITIALLY DEFERRED', del, upd);
    EXECUTE format('ALTER TABLE native_notes ADD CONSTRAINT native_notes_fk'
                   ' FOREIGN KEY (post_id) REFERENCES native_posts'
                   ' ON DELETE %s ON UPDATE %s', del, upd);
END
$$;

-- show(): every referencing row, polyref's and native.
CREATE FUNCTION show() RETURNS TABLE (tab text, id int, kind text, ref bigint)
LANGUAGE sql AS $$
    SELECT 'comments', c.id, c.commentable_type, c.commentable_id FROM comments c
    UNION ALL
    SELECT 'notes', n.id, n.notable_type, n.notable_id FROM notes n
    UNION ALL
    SELECT 'native_comments', c.id, NULL, c.post_id FROM native_comments c
    UNION ALL
    SELECT 'native_notes', n.id, NULL, n.post_id FROM native_notes n
    ORDER BY 1, 2
$$;

-- ===========================================================================
-- NO ACTION
SELECT reset('no action', 'no action');
SELECT source, association, on_delete, on_update, is_deferrable, initially_deferred, kinds
  FROM polyref.associations WHERE source IN ('comments'::regclass, 'notes'::regclass)
 ORDER BY source::text;

-- Deferred: the DELETE goes through, COMMIT fails, the post is back.
BEGIN;
DELETE FROM posts WHERE id = 1;
SELECT id FROM posts ORDER BY id;
COMMIT;
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM posts ORDER BY id;
-- native, the same
BEGIN;
DELETE FROM native_posts WHERE id = 1;
SELECT id FROM native_posts ORDER BY id;
COMMIT;
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM native_posts ORDER BY id;

-- Immediate: the DELETE itself fails.
BEGIN;
DELETE FROM posts WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- native, the same
BEGIN;
DELETE FROM native_posts WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- UPDATE of the key: deferred fails at COMMIT, immediate at once.
BEGIN;
UPDATE posts SET id = 10 WHERE id = 1;
COMMIT;
\echo :LAST_ERROR_SQLSTATE
BEGIN;
UPDATE posts SET id = 20 WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
UPDATE native_posts SET id = 10 WHERE id = 1;
COMMIT;
BEGIN;
UPDATE native_posts SET id = 20 WHERE id = 2;
ROLLBACK;
SELECT id FROM posts ORDER BY id;

-- A video with a referenced id may not go either (notes references video 2).
DELETE FROM videos WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
-- An unreferenced post may go.
DELETE FROM posts WHERE id = 3;
SELECT id FROM posts ORDER BY id;

-- The error fields: schema and table of the referencing (source) table and
-- the association as the constraint, as natively.
DO $$
DECLARE
    v_schema text; v_table text; v_constraint text; v_detail text;
BEGIN
    DELETE FROM posts WHERE id = 2;
    RAISE NOTICE 'not reached';
EXCEPTION WHEN foreign_key_violation THEN
    GET STACKED DIAGNOSTICS v_schema = SCHEMA_NAME, v_table = TABLE_NAME,
                            v_constraint = CONSTRAINT_NAME, v_detail = PG_EXCEPTION_DETAIL;
    RAISE NOTICE 'schema=% table=% constraint=% detail=%',
        v_schema, v_table, v_constraint, v_detail;
END
$$;

-- SET CONSTRAINTS <name> IMMEDIATE makes the deferred one fail at once ...
BEGIN;
SET CONSTRAINTS commentable IMMEDIATE;
DELETE FROM posts WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- ... and SET CONSTRAINTS <name> DEFERRED defers the immediate one.
BEGIN;
SET CONSTRAINTS notable DEFERRED;
DELETE FROM posts WHERE id = 2;
COMMIT;
\echo :LAST_ERROR_SQLSTATE

-- Passes when the reference is re-pointed before the check: deferred,
-- before COMMIT ...
SELECT reset('no action', 'no action');
BEGIN;
DELETE FROM posts WHERE id = 1;
UPDATE comments SET commentable_id = 3 WHERE id = 1;
COMMIT;
-- ... immediate, within the statement (a data-modifying CTE), as natively.
WITH d AS (DELETE FROM posts WHERE id = 2)
UPDATE notes SET notable_id = 3 WHERE id = 1;
WITH d AS (DELETE FROM native_posts WHERE id = 2)
UPDATE native_notes SET post_id = 3 WHERE id = 1;
SELECT id FROM posts ORDER BY id;
SELECT * FROM show();

-- Passes when the referencing row is deleted before the check.
SELECT reset('no action', 'no action');
BEGIN;
DELETE FROM posts WHERE id = 1;
DELETE FROM comments WHERE id = 1;
COMMIT;
WITH d AS (DELETE FROM posts WHERE id = 2)
DELETE FROM notes WHERE id = 1;
SELECT id FROM posts ORDER BY id;
SELECT * FROM show();

-- Passes when the key is deleted and re-created before the check, or
-- updated away and back.
SELECT reset('no action', 'no action');
BEGIN;
DELETE FROM posts WHERE id = 1;
INSERT INTO posts VALUES (1, 'post 1 again');
COMMIT;
BEGIN;
UPDATE posts SET id = 10 WHERE id = 1;
UPDATE posts SET id = 1 WHERE id = 10;
COMMIT;
BEGIN;
SET CONSTRAINTS notable DEFERRED;
DELETE FROM posts WHERE id = 2;
INSERT INTO posts VALUES (2, 'post 2 again');
COMMIT;
-- native, the same
BEGIN;
DELETE FROM native_posts WHERE id = 1;
INSERT INTO native_posts VALUES (1, 'post 1 again');
COMMIT;
SELECT * FROM posts ORDER BY id;
SELECT * FROM native_posts ORDER BY id;
SELECT * FROM show();

-- ===========================================================================
-- RESTRICT: an error at the end of the statement, even when the
-- association is deferred; the same message as NO ACTION.
SELECT reset('restrict', 'restrict');
BEGIN;
DELETE FROM posts WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
DELETE FROM native_posts WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
DELETE FROM posts WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
UPDATE posts SET id = 10 WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
UPDATE native_posts SET id = 10 WHERE id = 1;
ROLLBACK;
BEGIN;
UPDATE posts SET id = 20 WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- Deferring the constraint does not defer RESTRICT.
BEGIN;
SET CONSTRAINTS ALL DEFERRED;
DELETE FROM posts WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- Unreferenced rows may go.
DELETE FROM posts WHERE id = 3;
SELECT id FROM posts ORDER BY id;
SELECT * FROM show();

-- ===========================================================================
-- CASCADE: DELETE removes the referencing rows of kinds pointing at that
-- table (comment 2, on video 1, stays), at the end of the statement even
-- when the association is deferred.
SELECT reset('cascade', 'cascade');
INSERT INTO comments VALUES (4, 'Post', 1);
BEGIN;
DELETE FROM posts WHERE id = 1;
DELETE FROM native_posts WHERE id = 1;
SELECT * FROM show();
COMMIT;
DELETE FROM posts WHERE id = 2;
DELETE FROM native_posts WHERE id = 2;
SELECT * FROM show();
-- UPDATE of the key rewrites the id of the referencing rows.
SELECT reset('cascade', 'cascade');
BEGIN;
UPDATE posts SET id = 10 WHERE id = 1;
UPDATE native_posts SET id = 10 WHERE id = 1;
SELECT * FROM show();
COMMIT;
UPDATE posts SET id = 20 WHERE id = 2;
UPDATE native_posts SET id = 20 WHERE id = 2;
-- (a video's key change touches only the rows of kind Video)
UPDATE videos SET id = 11 WHERE id = 1;
SELECT * FROM show();

-- ===========================================================================
-- SET NULL: kind and id become NULL.
SELECT reset('set null', 'set null');
DELETE FROM posts WHERE id = 1;
DELETE FROM native_posts WHERE id = 1;
UPDATE posts SET id = 20 WHERE id = 2;
UPDATE native_posts SET id = 20 WHERE id = 2;
SELECT * FROM show();

-- ===========================================================================
-- SET DEFAULT: kind and id become their column defaults ('Post', 0).  There
-- is no post 0, so the new references fail, at the association's timing:
-- deferred at COMMIT, immediate at the end of the statement; natively the
-- same.
SELECT reset('set default', 'set default');
BEGIN;
DELETE FROM posts WHERE id = 1;
SELECT * FROM show();
COMMIT;
\echo :LAST_ERROR_SQLSTATE
BEGIN;
DELETE FROM native_posts WHERE id = 1;
COMMIT;
\echo :LAST_ERROR_SQLSTATE
BEGIN;
DELETE FROM posts WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
DELETE FROM native_posts WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
UPDATE posts SET id = 20 WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT * FROM show();
-- With a post 0 the defaults satisfy the association.
INSERT INTO posts VALUES (0, 'post 0');
INSERT INTO native_posts VALUES (0, 'post 0');
DELETE FROM posts WHERE id = 1;
DELETE FROM native_posts WHERE id = 1;
UPDATE posts SET id = 20 WHERE id = 2;
UPDATE native_posts SET id = 20 WHERE id = 2;
-- (a deleted video's comment becomes a Post comment too: the kind's default)
DELETE FROM videos WHERE id = 1;
SELECT * FROM show();

-- ===========================================================================
-- An UPDATE that leaves the key unchanged triggers nothing.  A trigger on
-- the referencing tables reports every row the actions touch.
CREATE FUNCTION report_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE '% of % row %', TG_OP, TG_TABLE_NAME, OLD.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER report_update AFTER UPDATE ON comments
    FOR EACH ROW EXECUTE FUNCTION report_update();
CREATE TRIGGER report_update AFTER UPDATE ON notes
    FOR EACH ROW EXECUTE FUNCTION report_update();
-- cascade: SET id = id and an update of the title touch no referencing row;
-- a real key change does.
SELECT reset('cascade', 'cascade');
UPDATE posts SET id = id;
UPDATE posts SET title = 'renamed';
UPDATE posts SET id = id + 100 WHERE id = 1;
SELECT * FROM show();
-- restrict: no error for SET id = id or a title change.
SELECT reset('restrict', 'restrict');
UPDATE posts SET id = id;
UPDATE posts SET title = 'renamed';
UPDATE posts SET id = id + 100 WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
-- no action: no error either.
SELECT reset('no action', 'no action');
UPDATE posts SET id = id;
UPDATE posts SET title = 'renamed';
SELECT * FROM posts ORDER BY id;
DROP TRIGGER report_update ON comments;
DROP TRIGGER report_update ON notes;

-- "Unchanged" means the same bytes: numeric 1.0 -> 1.00 is equal but is a
-- key change, and cascades, as natively.
CREATE TABLE prices (id numeric PRIMARY KEY);
CREATE TABLE price_refs (id int PRIMARY KEY, priceable_type text, priceable_id numeric);
CREATE TABLE native_price_refs (id int PRIMARY KEY,
    price_id numeric REFERENCES prices ON UPDATE CASCADE);
SELECT polyref.declare('price_refs', 'priceable',
                       targets => ARRAY['prices']::regclass[], kinds => ARRAY['Price'],
                       on_update => 'cascade');
INSERT INTO prices VALUES (1.0);
INSERT INTO price_refs VALUES (1, 'Price', 1.0);
INSERT INTO native_price_refs VALUES (1, 1.0);
UPDATE prices SET id = 1.00 WHERE id = 1;
SELECT priceable_type, priceable_id FROM price_refs;
SELECT price_id FROM native_price_refs;

-- ===========================================================================
-- Different actions for DELETE and UPDATE.
-- on_delete cascade, on_update restrict:
SELECT reset('cascade', 'restrict');
UPDATE posts SET id = 10 WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
UPDATE native_posts SET id = 10 WHERE id = 1;
DELETE FROM posts WHERE id = 1;
DELETE FROM native_posts WHERE id = 1;
SELECT * FROM show();
-- on_delete restrict, on_update cascade:
SELECT reset('restrict', 'cascade');
DELETE FROM posts WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM native_posts WHERE id = 1;
UPDATE posts SET id = 10 WHERE id = 1;
UPDATE native_posts SET id = 10 WHERE id = 1;
SELECT * FROM show();
-- on_delete set null, on_update no action (deferred):
SELECT reset('set null', 'no action');
BEGIN;
UPDATE posts SET id = 10 WHERE id = 1;
COMMIT;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM posts WHERE id = 1;
SELECT * FROM show();

-- ===========================================================================
-- Associations with different actions on one target: posts already has an
-- action trigger for DELETE (comments and notes: on_delete set null); a
-- third association adds UPDATE (on_update cascade), then goes again.
CREATE TABLE pins (id int PRIMARY KEY, pinnable_type text, pinnable_id bigint);
INSERT INTO pins VALUES (1, 'Post', 3);
SELECT polyref.declare('pins', 'pinnable',
                       targets   => ARRAY['posts']::regclass[], kinds => ARRAY['Post'],
                       on_update => 'cascade');
SELECT association, on_delete, on_update FROM polyref.associations
 WHERE source = 'pins'::regclass;
UPDATE posts SET id = 30 WHERE id = 3;
SELECT * FROM pins;
SELECT polyref.undeclare('pins', 'pinnable');
SELECT count(*) AS pins_associations FROM polyref.associations
 WHERE source = 'pins'::regclass;
-- comments and notes still work: set null on DELETE, no action on UPDATE
DELETE FROM posts WHERE id = 2;
UPDATE posts SET id = 3 WHERE id = 30;
SELECT * FROM show();

-- ===========================================================================
-- A self-referential association: a comment on a post or on another
-- comment, with cascade; deleting an article removes the whole thread.
CREATE TABLE articles (id bigint PRIMARY KEY);
CREATE TABLE discussion (
    id bigint PRIMARY KEY,
    commentable_type text,
    commentable_id bigint
);
SELECT polyref.declare('discussion', 'commentable',
                       targets   => ARRAY['articles', 'discussion']::regclass[],
                       kinds     => ARRAY['Article', 'Comment'],
                       on_delete => 'cascade', on_update => 'cascade');
INSERT INTO articles VALUES (3), (7);
INSERT INTO discussion VALUES (1, 'Article', 7), (2, 'Comment', 1), (3, 'Comment', 2),
                              (4, 'Article', 3), (5, 'Comment', 4);
-- a reply inserted before the comment it answers, in one transaction
BEGIN;
INSERT INTO discussion VALUES (6, 'Comment', 7);
INSERT INTO discussion VALUES (7, 'Comment', 1);
COMMIT;
-- a row that references itself
INSERT INTO discussion VALUES (8, 'Comment', 8);
-- a dangling reply is refused
INSERT INTO discussion VALUES (9, 'Comment', 99);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM discussion ORDER BY id;
-- a key change cascades to the replies
UPDATE discussion SET id = 40 WHERE id = 4;
SELECT * FROM discussion ORDER BY id;
-- deleting article 7 removes comment 1 and, recursively, its replies 2, 3,
-- 7 and 6; the thread on article 3 and the self-referencing row stay
DELETE FROM articles WHERE id = 7;
SELECT * FROM discussion ORDER BY id;
-- deleting a comment removes its replies; a row referencing itself goes
DELETE FROM discussion WHERE id = 40;
DELETE FROM discussion WHERE id = 8;
SELECT * FROM discussion ORDER BY id;

-- ===========================================================================
SET client_min_messages = warning;
DROP SCHEMA actions CASCADE;
RESET client_min_messages;
