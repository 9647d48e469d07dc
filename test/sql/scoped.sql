-- scope_columns (SPEC, Scoped associations, release 1.1): a tenant column
-- that takes part in the key.  comments(account_id, commentable_type,
-- commentable_id) may only point at posts(account_id, id) or
-- videos(account_id, id) of the same account (Rails 7.1 composite keys,
-- acts_as_tenant).  Each case runs on the polyref association and on its
-- native twin, a composite foreign key (account_id, post_id) -> posts.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS polyref;
RESET client_min_messages;
CREATE SCHEMA scoped; SET search_path = scoped, public;

CREATE TABLE posts (account_id int, id bigint, title text, PRIMARY KEY (account_id, id));
-- The unique index in the other order serves as well ("in any order").
CREATE TABLE videos (account_id int NOT NULL, id bigint NOT NULL, title text);
CREATE UNIQUE INDEX ON videos (id, account_id);
INSERT INTO posts VALUES (7, 42, 'seven/42'), (8, 42, 'eight/42'), (7, 43, 'seven/43'),
                         (9, 1, 'nine/1');
INSERT INTO videos VALUES (7, 5, 'video seven/5'), (8, 6, 'video eight/6');

CREATE TABLE comments (id int PRIMARY KEY, account_id int, commentable_type text,
                       commentable_id bigint, body text);
CREATE TABLE native_comments (id int PRIMARY KEY, account_id int, post_id bigint, body text,
    CONSTRAINT commentable FOREIGN KEY (account_id, post_id)
        REFERENCES posts (account_id, id) MATCH FULL
        ON DELETE CASCADE ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED);

-- ---------------------------------------------------------------------------
-- Declaring: what a scope needs.
CREATE FUNCTION try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
-- A scope column the source lacks: 42703.
SELECT try($$SELECT polyref.declare('comments', 'commentable', targets => ARRAY['posts']::regclass[],
              scope_columns => ARRAY['tenant_id'])$$);
-- The kind or id column, or a column twice: 22023; an empty list: 22023.
SELECT try($$SELECT polyref.declare('comments', 'commentable', targets => ARRAY['posts']::regclass[],
              scope_columns => ARRAY['commentable_id'])$$);
SELECT try($$SELECT polyref.declare('comments', 'commentable', targets => ARRAY['posts']::regclass[],
              scope_columns => ARRAY['account_id', 'account_id'])$$);
SELECT try($$SELECT polyref.declare('comments', 'commentable', targets => ARRAY['posts']::regclass[],
              scope_columns => '{}')$$);
-- A target whose primary key is not (account_id, <key>) needs key_column;
-- without a unique index on exactly (account_id, id) it is refused: 42830.
CREATE TABLE photos (account_id int, id bigint PRIMARY KEY);
SELECT try($$SELECT polyref.declare('comments', 'commentable', targets => ARRAY['photos']::regclass[],
              scope_columns => ARRAY['account_id'])$$);
-- Nothing was left half-declared.
SELECT count(*) FROM polyref.associations WHERE source = 'comments'::regclass;

-- The default key is the primary key's column besides the scope.
SELECT polyref.declare('comments', 'commentable', targets => ARRAY['posts']::regclass[],
                       kinds => ARRAY['Post'], on_delete => 'cascade', on_update => 'cascade',
                       scope_columns => ARRAY['account_id']);
SELECT try($$SELECT polyref.add_target('comments', 'commentable', 'photos', key_column => 'id')$$);
SELECT polyref.add_target('comments', 'commentable', 'photos', key_column => 'id');
-- A target without the scope column: 42703; of another type: 42804.
CREATE TABLE links (id bigint PRIMARY KEY);
SELECT try($$SELECT polyref.add_target('comments', 'commentable', 'links', key_column => 'id')$$);
CREATE TABLE uuid_posts (account_id uuid, id bigint, PRIMARY KEY (account_id, id));
SELECT try($$SELECT polyref.add_target('comments', 'commentable', 'uuid_posts')$$);
SELECT polyref.add_target('comments', 'commentable', 'videos', kind => 'Video', key_column => 'id');
SELECT association, kinds, match_type, scope_columns FROM polyref.associations
 WHERE source = 'comments'::regclass;
SELECT kind, target, key_column FROM polyref.targets
 WHERE source = 'comments'::regclass ORDER BY kind;

-- ---------------------------------------------------------------------------
-- The check: the same account's row, as the native composite key.
CREATE FUNCTION both_ways(on_polyref text, on_native text) RETURNS TABLE (polyref text, native text)
LANGUAGE plpgsql AS $$
BEGIN
    SET CONSTRAINTS ALL IMMEDIATE;
    polyref := try(on_polyref);
    native := try(on_native);
    SET CONSTRAINTS ALL DEFERRED;
    RETURN NEXT;
END $$;
SELECT * FROM both_ways($$INSERT INTO comments VALUES (1, 7, 'Post', 42, 'seven on seven/42')$$,
                        $$INSERT INTO native_comments VALUES (1, 7, 42, 'seven on seven/42')$$);
SELECT * FROM both_ways($$INSERT INTO comments VALUES (2, 8, 'Post', 42, 'eight on eight/42')$$,
                        $$INSERT INTO native_comments VALUES (2, 8, 42, 'eight on eight/42')$$);
-- Another account's post: refused (posts(9, 43) does not exist; (7, 43) does).
SELECT * FROM both_ways($$INSERT INTO comments VALUES (3, 9, 'Post', 43, 'nine on seven/43')$$,
                        $$INSERT INTO native_comments VALUES (3, 9, 43, 'nine on seven/43')$$);
-- The DETAIL names every column (checked at the COMMIT of each statement).
INSERT INTO comments VALUES (3, 9, 'Post', 43, 'nine on seven/43');
INSERT INTO native_comments VALUES (3, 9, 43, 'nine on seven/43');
INSERT INTO comments VALUES (3, 8, 'Video', 5, 'eight on video seven/5');
SELECT * FROM both_ways($$INSERT INTO comments VALUES (4, 7, 'Video', 5, 'seven on video seven/5')$$,
                        $$SELECT 'no video twin'$$);
-- Moving a comment to another account is a new reference, checked.
SELECT * FROM both_ways($$UPDATE comments SET account_id = 9 WHERE id = 1$$,
                        $$UPDATE native_comments SET account_id = 9 WHERE id = 1$$);
SELECT * FROM both_ways($$UPDATE comments SET account_id = 8 WHERE id = 1$$,
                        $$UPDATE native_comments SET account_id = 8 WHERE id = 1$$);
SELECT * FROM both_ways($$UPDATE comments SET account_id = 7 WHERE id = 1$$,
                        $$UPDATE native_comments SET account_id = 7 WHERE id = 1$$);

-- NULLs (MATCH FULL): a row pointing nowhere keeps its tenant (where the
-- SPEC parts from a native MATCH FULL composite key, which refuses a tenant
-- without a post); a set reference needs its scope; half a pair is refused
-- as before.
SELECT * FROM both_ways($$INSERT INTO comments VALUES (10, 7, NULL, NULL, 'tenant, no reference')$$,
                        $$INSERT INTO native_comments VALUES (10, 7, NULL, 'tenant, no reference')$$);
SELECT * FROM both_ways($$INSERT INTO comments VALUES (11, NULL, 'Post', 42, 'reference, no tenant')$$,
                        $$INSERT INTO native_comments VALUES (11, NULL, 42, 'reference, no tenant')$$);
SELECT * FROM both_ways($$INSERT INTO comments VALUES (12, NULL, NULL, NULL, 'nothing')$$,
                        $$INSERT INTO native_comments VALUES (12, NULL, NULL, 'nothing')$$);
SELECT * FROM both_ways($$INSERT INTO comments VALUES (13, 7, 'Post', NULL, 'kind, no id')$$,
                        $$SELECT 'no kind twin'$$);
-- Deferred, as declared: at COMMIT.
BEGIN;
INSERT INTO comments VALUES (14, 8, 'Post', 43, 'eight on seven/43');
INSERT INTO comments VALUES (15, 9, 'Post', 1, 'nine on nine/1');
COMMIT;
BEGIN;
INSERT INTO comments VALUES (15, 9, 'Post', 1, 'nine on nine/1');
INSERT INTO native_comments VALUES (15, 9, 1, 'nine on nine/1');
COMMIT;

-- A bulk INSERT goes through the batched probe (sorted by (account_id, id)):
-- the first bad row in firing order is the one named, as natively.
\set VERBOSITY default
CREATE FUNCTION detail_of(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text;
BEGIN
    SET CONSTRAINTS ALL IMMEDIATE;
    EXECUTE sql;
    SET CONSTRAINTS ALL DEFERRED;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    RETURN d;
END $$;
SELECT detail_of($$INSERT INTO comments
                    SELECT 1000 + g, CASE g WHEN 37 THEN 10 WHEN 45 THEN 9 ELSE 7 + g % 2 END,
                           'Post', 42, 'bulk' FROM generate_series(1, 50) g$$);
SELECT detail_of($$INSERT INTO native_comments
                    SELECT 1000 + g, CASE g WHEN 37 THEN 10 WHEN 45 THEN 9 ELSE 7 + g % 2 END,
                           42, 'bulk' FROM generate_series(1, 50) g$$);
SELECT * FROM both_ways(
  $$INSERT INTO comments SELECT 100 + g, CASE WHEN g IN (150, 170) THEN 9 ELSE 7 END, 'Post',
                                CASE WHEN g % 2 = 0 THEN 42 ELSE 43 END, 'bulk'
      FROM generate_series(1, 200) g$$,
  $$INSERT INTO native_comments SELECT 100 + g, CASE WHEN g IN (150, 170) THEN 9 ELSE 7 END,
                                CASE WHEN g % 2 = 0 THEN 42 ELSE 43 END, 'bulk'
      FROM generate_series(1, 200) g$$);
SELECT * FROM both_ways(
  $$INSERT INTO comments SELECT 100 + g, 7 + g % 2, 'Post', 42, 'bulk' FROM generate_series(1, 200) g$$,
  $$INSERT INTO native_comments SELECT 100 + g, 7 + g % 2, 42, 'bulk' FROM generate_series(1, 200) g$$);
SELECT account_id, count(*) FROM comments WHERE id > 100 GROUP BY 1 ORDER BY 1;
DELETE FROM comments WHERE id > 100;
DELETE FROM native_comments WHERE id > 100;

-- ---------------------------------------------------------------------------
-- Actions stay inside the scope.  Cascade: deleting posts(7, 42) takes the
-- comments of account 7 on post 42, not those of account 8.
SELECT id, account_id, commentable_type, commentable_id FROM comments ORDER BY id;
DELETE FROM posts WHERE account_id = 7 AND id = 42;
SELECT id, account_id, commentable_type, commentable_id FROM comments ORDER BY id;
SELECT id, account_id, post_id FROM native_comments ORDER BY id;
-- on_update cascade: a new id follows; so does a new account, as a native
-- composite key carries every column.
UPDATE posts SET id = 420 WHERE account_id = 8 AND id = 42;
UPDATE posts SET account_id = 10 WHERE account_id = 9 AND id = 1;
SELECT id, account_id, commentable_type, commentable_id FROM comments ORDER BY id;
SELECT id, account_id, post_id FROM native_comments ORDER BY id;

-- NO ACTION and RESTRICT name the target's whole key, as natively.
CREATE TABLE notes (id int PRIMARY KEY, account_id int, subject_type text, subject_id bigint);
CREATE TABLE native_notes (id int PRIMARY KEY, account_id int, post_id bigint,
    CONSTRAINT subject FOREIGN KEY (account_id, post_id) REFERENCES posts (account_id, id)
        DEFERRABLE INITIALLY DEFERRED);
SELECT polyref.declare('notes', 'subject', targets => ARRAY['posts']::regclass[],
                       kinds => ARRAY['Post'], scope_columns => ARRAY['account_id']);
-- First polyref's reference alone, then the native one alone (native
-- checks fire first at COMMIT).
INSERT INTO notes VALUES (1, 7, 'Post', 43);
DELETE FROM posts WHERE account_id = 7 AND id = 43;
-- A new account for the post takes its key away too.
UPDATE posts SET account_id = 11 WHERE account_id = 7 AND id = 43;
-- A non-key change is no removal.
UPDATE posts SET title = 'retitled' WHERE account_id = 7 AND id = 43;
DELETE FROM notes;
INSERT INTO native_notes VALUES (1, 7, 43);
DELETE FROM posts WHERE account_id = 7 AND id = 43;
UPDATE posts SET account_id = 11 WHERE account_id = 7 AND id = 43;
INSERT INTO notes VALUES (1, 7, 'Post', 43);
-- Deleted and made again before the check: passes, as natively.
BEGIN;
DELETE FROM posts WHERE account_id = 7 AND id = 43;
INSERT INTO posts VALUES (7, 43, 'again');
COMMIT;

-- set null leaves the tenant: kind and id only, as a native
-- ON DELETE SET NULL (post_id).
CREATE TABLE tags (id int PRIMARY KEY, account_id int NOT NULL, taggable_type text,
                   taggable_id bigint);
CREATE TABLE native_tags (id int PRIMARY KEY, account_id int NOT NULL, post_id bigint,
    FOREIGN KEY (account_id, post_id) REFERENCES posts (account_id, id)
        ON DELETE SET NULL (post_id));
SELECT polyref.declare('tags', 'taggable', targets => ARRAY['posts']::regclass[],
                       kinds => ARRAY['Post'], on_delete => 'set null',
                       scope_columns => ARRAY['account_id']);
INSERT INTO posts VALUES (7, 50, 'to go'), (8, 50, 'stays');
INSERT INTO tags VALUES (1, 7, 'Post', 50), (2, 8, 'Post', 50);
INSERT INTO native_tags VALUES (1, 7, 50), (2, 8, 50);
DELETE FROM posts WHERE account_id = 7 AND id = 50;
SELECT * FROM tags ORDER BY id;
SELECT * FROM native_tags ORDER BY id;
-- set default: kind and id to their defaults, which must satisfy it.
ALTER TABLE tags ALTER taggable_type SET DEFAULT 'Post', ALTER taggable_id SET DEFAULT 1;
SELECT polyref.undeclare('tags', 'taggable');
SELECT polyref.declare('tags', 'taggable', targets => ARRAY['posts']::regclass[],
                       kinds => ARRAY['Post'], on_delete => 'set default',
                       scope_columns => ARRAY['account_id'], validate => false);
INSERT INTO posts VALUES (8, 1, 'default of eight');
DELETE FROM posts WHERE account_id = 8 AND id = 50;
SELECT * FROM tags ORDER BY id;
-- Account 7 has no post 1: the default is refused there.
INSERT INTO posts VALUES (7, 51, 'no default');
INSERT INTO tags VALUES (3, 7, 'Post', 51);
DELETE FROM posts WHERE account_id = 7 AND id = 51;

-- TRUNCATE of a referenced target: refused.
TRUNCATE videos;
BEGIN;
TRUNCATE videos, comments;
ROLLBACK;

-- ---------------------------------------------------------------------------
-- validate and orphans: rows loaded with triggers off, pointing at another
-- account's post, or with a NULL tenant.
ALTER TABLE comments DISABLE TRIGGER ALL;
INSERT INTO comments VALUES (20, 8, 'Post', 43, 'eight on seven/43'),
                            (21, NULL, 'Post', 43, 'no tenant'),
                            (22, 7, 'Video', 6, 'seven on video eight/6');
ALTER TABLE comments ENABLE TRIGGER ALL;
SELECT c.id, o.kind, o.id FROM polyref.orphans('comments', 'commentable') o
  JOIN comments c ON c.ctid = o.ctid ORDER BY c.id;
SELECT polyref.validate('comments', 'commentable');
DELETE FROM comments WHERE id = 21;
SELECT polyref.validate('comments', 'commentable');
DELETE FROM comments WHERE id IN (20, 22);
SELECT polyref.validate('comments', 'commentable');
SELECT validated FROM polyref.associations WHERE source = 'comments'::regclass;

-- MATCH SIMPLE: a NULL anywhere, the scope too, is not checked.
CREATE TABLE likes (id int PRIMARY KEY, account_id int, likeable_type text, likeable_id bigint);
INSERT INTO likes VALUES (1, NULL, 'Post', 99), (2, 7, 'Post', NULL), (3, 7, 'Post', 43);
SELECT polyref.declare('likes', 'likeable', targets => ARRAY['posts']::regclass[],
                       kinds => ARRAY['Post'], match_type => 'simple',
                       scope_columns => ARRAY['account_id']);
INSERT INTO likes VALUES (4, NULL, 'Post', 12345);
INSERT INTO likes VALUES (5, 8, 'Post', 43);
SELECT count(*) AS orphans FROM polyref.orphans('likes', 'likeable');

-- ---------------------------------------------------------------------------
-- The helpers.  resolve and resolve_many take the scope values last.
SELECT polyref.resolve('comments', 'commentable', 'Post', 43, ARRAY[7])->>'title' AS seven_43;
SELECT polyref.resolve('comments', 'commentable', 'Post', 43, ARRAY[8]) IS NULL AS none_for_8;
SELECT polyref.resolve('comments', 'commentable', 'Video', 6, ARRAY['8'])->>'title' AS as_text;
SELECT polyref.resolve('comments', 'commentable', 'Post', 43, ARRAY[NULL::int]) IS NULL AS null_scope;
SELECT try($$SELECT polyref.resolve('comments', 'commentable', 'Post', 43)$$);
SELECT try($$SELECT polyref.resolve('comments', 'commentable', 'Post', 43, ARRAY[7, 8])$$);
-- The unscoped signature still works on an unscoped association.
CREATE TABLE plain (id int PRIMARY KEY, post_type text, post_id bigint);
SELECT polyref.declare('plain', 'post', targets => ARRAY['links']::regclass[], kinds => ARRAY['Link']);
INSERT INTO links VALUES (1);
SELECT polyref.resolve('plain', 'post', 'Link', 1);
SELECT * FROM polyref.resolve_many('comments', 'commentable', ARRAY['Post', 'Post', 'Video', 'Post'],
                                   ARRAY[43, 43, 6, 420], ARRAY[7, 8, 8, 8])
 ORDER BY kind, id, target->>'account_id';
-- Two scope values per pair would be a two-dimensional array.
SELECT try($$SELECT * FROM polyref.resolve_many('comments', 'commentable', ARRAY['Post'],
                                   ARRAY[43], ARRAY[[7, 8]])$$);
-- referrers: the rows that point at a post with that id, each in its own account.
INSERT INTO posts VALUES (8, 43, 'eight/43');
INSERT INTO comments VALUES (30, 8, 'Post', 43, 'eight on eight/43');
SELECT source, association, ref->>'id' AS comment, ref->>'account_id' AS account
  FROM polyref.referrers('posts', 43::bigint) ORDER BY 1, 2, 3;
-- The join view joins on the scope too.
SELECT polyref.create_join_view('comments', 'commentable');
SELECT id, account_id, target_kind, target->>'title' AS title
  FROM comments_commentable ORDER BY id;
SELECT pg_get_viewdef('comments_commentable'::regclass) LIKE '%account_id%account_id%' AS joins_scope;
DROP VIEW comments_commentable;

-- ---------------------------------------------------------------------------
-- DDL: a scope column stays while declared, and keeps its name.
ALTER TABLE comments DROP COLUMN account_id;
ALTER TABLE comments RENAME account_id TO tenant_id;
ALTER TABLE posts RENAME account_id TO tenant_id;
ALTER TABLE videos DROP COLUMN account_id;

-- ---------------------------------------------------------------------------
-- A schema-only dump carries the scope: scope_column= arguments, read back
-- as a restore reads them; made again from its definition with the
-- configuration gone, the trigger declares the scope again.
SELECT a FROM pg_trigger t,
       unnest(string_to_array(rtrim(encode(t.tgargs, 'escape'), '\000'), '\000')) a
 WHERE t.tgrelid = 'comments'::regclass AND t.tgname = 'commentable' AND a LIKE 'scope%';
SELECT DISTINCT source, association, scope_columns FROM polyref.carried_declarations()
 WHERE source IN ('comments'::regclass, 'plain'::regclass) ORDER BY 1;
SELECT pg_get_triggerdef(oid) AS comments_def FROM pg_trigger
 WHERE tgrelid = 'comments'::regclass AND tgname = 'commentable' \gset
ALTER EVENT TRIGGER polyref_sql_drop DISABLE;
DROP TRIGGER commentable ON comments;
ALTER EVENT TRIGGER polyref_sql_drop ENABLE;
DELETE FROM polyref.config_join_view WHERE source = 'comments'::regclass;
DELETE FROM polyref.config_kind WHERE source = 'comments'::regclass;
DELETE FROM polyref.config_association WHERE source = 'comments'::regclass;
:comments_def;
SELECT association, kinds, scope_columns, validated FROM polyref.associations
 WHERE source = 'comments'::regclass;
INSERT INTO comments VALUES (40, 9, 'Post', 43, 'refused after the restore');
-- A scope column named twice fails the load.
ALTER EVENT TRIGGER polyref_sql_drop DISABLE;
DROP TRIGGER commentable ON comments;
ALTER EVENT TRIGGER polyref_sql_drop ENABLE;
DELETE FROM polyref.config_join_view WHERE source = 'comments'::regclass;
DELETE FROM polyref.config_kind WHERE source = 'comments'::regclass;
DELETE FROM polyref.config_association WHERE source = 'comments'::regclass;
SELECT replace(:'comments_def', '''scope_column=account_id''',
               '''scope_column=account_id'', ''scope_column=account_id''') AS bad_def \gset
:bad_def;
\echo :LAST_ERROR_SQLSTATE
:comments_def;

-- ---------------------------------------------------------------------------
-- discover() proposes scope_columns where the pair sits beside a tenant
-- column that the targets' primary keys share.
CREATE SCHEMA tenants;
CREATE TABLE tenants.posts (account_id int, id bigint, PRIMARY KEY (account_id, id));
CREATE TABLE tenants.comments (account_id int, id bigint, commentable_type text,
                               commentable_id bigint, PRIMARY KEY (account_id, id));
INSERT INTO tenants.posts VALUES (1, 10), (2, 20);
INSERT INTO tenants.comments VALUES (1, 1, 'Post', 10), (2, 2, 'Post', 20), (1, 3, 'Post', 20);
SELECT association, kind, target, rows, orphans, declaration
  FROM polyref.discover(ARRAY['tenants']);
SET search_path = tenants, scoped, public;
SELECT polyref.declare('tenants.comments', 'commentable', targets => ARRAY['tenants.posts']::regclass[],
                       kinds => ARRAY['Post'], validate => false, scope_columns => ARRAY['account_id']::name[]);
SELECT c.id, o.kind, o.id FROM polyref.orphans('tenants.comments', 'commentable') o
  JOIN tenants.comments c ON c.ctid = o.ctid;
SET search_path = scoped, public;

-- ---------------------------------------------------------------------------
-- undeclare removes everything, and unscoped declarations read NULL.
SELECT polyref.undeclare('comments', 'commentable');
SELECT source, association, scope_columns FROM polyref.associations
 WHERE source IN ('plain'::regclass, 'comments'::regclass);

RESET search_path;
DROP SCHEMA scoped CASCADE;
DROP SCHEMA tenants CASCADE;
