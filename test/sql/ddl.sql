-- ddl: how associations live through DDL (SPEC, "What is enforced", row DDL):
-- dropping a needed target or column is refused with 2BP01 unless CASCADE,
-- renames of tables, schemas and columns keep enforcement working (also with
-- plans cached before the rename), dropping the source removes its
-- associations, polyref's triggers cannot be dropped by hand, type changes
-- are re-checked, and partitioned sources and targets are enforced.
-- Native foreign keys report RESTRICT apart from NO ACTION from PostgreSQL
-- 18 on (SQLSTATE 23001, "violates RESTRICT setting of foreign key
-- constraint"), and polyref as the server it runs on: this test's output
-- for 18 and later is expected/ddl_1.out, for 15 to 17 expected/ddl.out.
SELECT current_setting('server_version_num')::int >= 180000 AS postgresql_18_or_later;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS polyref;
RESET client_min_messages;
CREATE SCHEMA ddl; SET search_path = ddl, public;

-- polyref's triggers on the tables of this test (ddl and ddl_* schemas);
-- "clone" marks the copies PostgreSQL makes on partitions.
CREATE VIEW polyref_triggers AS
SELECT c.relnamespace::regnamespace::text AS schema, c.relname AS "table",
       t.tgname AS "trigger", t.tgparentid <> 0 AS clone
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE t.tgfoid IN ('polyref.constraint_trigger'::regproc,
                    'polyref.action_trigger'::regproc,
                    'polyref.truncate_trigger'::regproc)
   AND c.relnamespace::regnamespace::text LIKE 'ddl%';

-- Runs one statement and reports its error with the fields ORMs read
-- (schema, table, constraint), or 'ok'.
CREATE FUNCTION try(stmt text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    st text; msg text; det text; sch text; tbl text; con text;
BEGIN
    EXECUTE stmt;
    RAISE NOTICE 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
        det = PG_EXCEPTION_DETAIL, sch = SCHEMA_NAME, tbl = TABLE_NAME,
        con = CONSTRAINT_NAME;
    RAISE NOTICE '% %', st, msg;
    RAISE NOTICE 'detail: %', det;
    RAISE NOTICE 'schema=% table=% constraint=%', sch, tbl, con;
END $$;

-- Runs one statement and reports only whether it failed, and its SQLSTATE
-- (for refusals whose wording the SPEC leaves open).
CREATE FUNCTION outcome(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE stmt;
    RETURN 'done';
EXCEPTION WHEN OTHERS THEN
    RETURN 'refused: ' || SQLSTATE;
END $$;

-- =========================================================================
-- 1. DROP TABLE of a target
-- =========================================================================
CREATE TABLE posts (id bigint PRIMARY KEY, title text);
CREATE TABLE videos (id bigint PRIMARY KEY, title text);
CREATE TABLE comments (id bigint PRIMARY KEY, commentable_type text,
                       commentable_id bigint);
SELECT polyref.declare('comments', 'commentable',
                       targets => ARRAY['posts', 'videos']::regclass[],
                       kinds => ARRAY['Post', 'Video'],
                       on_delete => 'cascade', initially_deferred => false);
INSERT INTO posts VALUES (1, 'p1'), (2, 'p2');
INSERT INTO videos VALUES (1, 'v1'), (2, 'v2');
INSERT INTO comments VALUES (1, 'Post', 1), (2, 'Video', 1), (3, 'Video', 2);

-- A plain DROP of a needed target is refused, as for a native foreign key.
DROP TABLE posts;
\echo :LAST_ERROR_SQLSTATE
-- Nothing changed: the table, the kind, the triggers, the enforcement.
SELECT count(*) AS posts FROM posts;
SELECT source, association, validated, kinds FROM polyref.associations ORDER BY source::text, association;
SELECT * FROM polyref_triggers ORDER BY 1, 2, 3;
INSERT INTO comments VALUES (10, 'Post', 99);
\echo :LAST_ERROR_SQLSTATE

-- Dropping it in a transaction block that rolls back leaves it as well.
BEGIN;
DROP TABLE posts CASCADE;
ROLLBACK;
SELECT source, association, validated, kinds FROM polyref.associations ORDER BY source::text, association;

-- DROP ... CASCADE removes the kind with a NOTICE; a comment of kind Post
-- remains, so the association is marked not validated and orphans lists it.
DROP TABLE posts CASCADE;
SELECT source, association, validated, kinds FROM polyref.associations ORDER BY source::text, association;
SELECT * FROM polyref.targets ORDER BY source::text, association, kind;
SELECT tableoid, kind, id FROM polyref.orphans('comments', 'commentable') ORDER BY kind, id;
SELECT * FROM polyref_triggers ORDER BY 1, 2, 3;
-- The association stays: videos are still enforced, both ways...
INSERT INTO comments VALUES (10, 'Video', 99);
\echo :LAST_ERROR_SQLSTATE
DELETE FROM videos WHERE id = 1;
SELECT * FROM comments ORDER BY id;
-- ...and Post is no longer a declared kind.
INSERT INTO comments VALUES (10, 'Post', 1);
\echo :LAST_ERROR_SQLSTATE

-- With no rows of the dropped kind left, the association stays validated.
DELETE FROM comments WHERE commentable_type = 'Post';
SELECT polyref.validate('comments', 'commentable');
CREATE TABLE posts (id bigint PRIMARY KEY, title text);
SELECT polyref.add_target('comments', 'commentable', 'posts', kind => 'Post');
INSERT INTO posts VALUES (1, 'p1');
SELECT source, association, validated, kinds FROM polyref.associations ORDER BY source::text, association;
DROP TABLE posts CASCADE;
SELECT source, association, validated, kinds FROM polyref.associations ORDER BY source::text, association;
SELECT count(*) AS orphans FROM polyref.orphans('comments', 'commentable');

DROP TABLE comments, videos;

-- =========================================================================
-- 2. Dropping a declared column
-- =========================================================================
CREATE TABLE posts (id bigint PRIMARY KEY, title text);
CREATE TABLE videos (id bigint PRIMARY KEY, title text);
CREATE TABLE comments (id bigint PRIMARY KEY, commentable_type text,
                       commentable_id bigint);
SELECT polyref.declare('comments', 'commentable',
                       targets => ARRAY['posts', 'videos']::regclass[],
                       kinds => ARRAY['Post', 'Video'],
                       on_delete => 'cascade', initially_deferred => false);
INSERT INTO posts VALUES (1, 'p1'), (2, 'p2');
INSERT INTO videos VALUES (1, 'v1');
INSERT INTO comments VALUES (1, 'Post', 1), (2, 'Video', 1);

-- The kind column and the id column of the source are needed.
ALTER TABLE comments DROP COLUMN commentable_type;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE comments DROP COLUMN commentable_id;
\echo :LAST_ERROR_SQLSTATE
-- So is the key column of a target.
ALTER TABLE posts DROP COLUMN id;
\echo :LAST_ERROR_SQLSTATE
-- Nothing changed.
SELECT attrelid::regclass, attname FROM pg_attribute
 WHERE attrelid IN ('comments'::regclass, 'posts'::regclass) AND attnum > 0
   AND NOT attisdropped ORDER BY attrelid::regclass::text, attnum;
SELECT source, association, type_column, id_column, kinds FROM polyref.associations ORDER BY source::text, association;
INSERT INTO comments VALUES (10, 'Post', 99);
\echo :LAST_ERROR_SQLSTATE

-- A non-declared column may be dropped freely.
ALTER TABLE posts DROP COLUMN title;
SELECT source, association, kinds FROM polyref.associations ORDER BY source::text, association;

-- DROP COLUMN id CASCADE on a target removes its kind (the row of kind Post
-- left behind makes the association not validated).
ALTER TABLE posts DROP COLUMN id CASCADE;
SELECT source, association, validated, kinds FROM polyref.associations ORDER BY source::text, association;
SELECT * FROM polyref_triggers ORDER BY 1, 2, 3;
DELETE FROM comments WHERE commentable_type = 'Post';
SELECT polyref.validate('comments', 'commentable');

-- DROP COLUMN ... CASCADE of the kind column removes the association and
-- every trigger it installed, on the source and on the targets.
ALTER TABLE comments DROP COLUMN commentable_type CASCADE;
SELECT count(*) AS associations FROM polyref.associations;
SELECT count(*) AS targets FROM polyref.targets;
SELECT * FROM polyref_triggers ORDER BY 1, 2, 3;
-- No more enforcement: a dangling id goes in, a delete cascades nowhere.
INSERT INTO comments VALUES (10, 99);
DELETE FROM videos WHERE id = 1;
SELECT * FROM comments ORDER BY id;

DROP TABLE comments, posts, videos;

-- =========================================================================
-- 3. Renames: table, schema, source columns, key column, source table.
-- Everything runs in this one session, and every kind of check has run
-- before the first rename, so plans cached under the old names exist.
-- =========================================================================
CREATE SCHEMA ddl_blog;
CREATE TABLE ddl_blog.posts (id bigint PRIMARY KEY, title text);
-- comments cascade, likes are NO ACTION (checked at statement end)
CREATE TABLE ddl_blog.comments (id bigint PRIMARY KEY, commentable_type text,
                                commentable_id bigint);
CREATE TABLE ddl_blog.likes (id bigint PRIMARY KEY, likeable_type text,
                             likeable_id bigint);
SELECT polyref.declare('ddl_blog.comments', 'commentable',
                       targets => ARRAY['ddl_blog.posts']::regclass[],
                       kinds => ARRAY['Post'],
                       on_delete => 'cascade', initially_deferred => false);
SELECT polyref.declare('ddl_blog.likes', 'likeable',
                       targets => ARRAY['ddl_blog.posts']::regclass[],
                       kinds => ARRAY['Post'], initially_deferred => false);
INSERT INTO ddl_blog.posts SELECT g, 'p' || g FROM generate_series(1, 10) g;
INSERT INTO ddl_blog.likes VALUES (1, 'Post', 1);
INSERT INTO ddl_blog.comments VALUES (50, 'Post', 8);

-- Before any rename: each check once (fills the plan cache).
SELECT try($$INSERT INTO ddl_blog.comments VALUES (100, 'Post', 99)$$);
SELECT try($$INSERT INTO ddl_blog.likes VALUES (100, 'Post', 99)$$);
INSERT INTO ddl_blog.comments VALUES (1, 'Post', 2);
DELETE FROM ddl_blog.posts WHERE id = 2;
SELECT try($$DELETE FROM ddl_blog.posts WHERE id = 1$$);
SELECT count(*) AS comments_of_post_2 FROM ddl_blog.comments WHERE commentable_id = 2;

-- 3a. ALTER TABLE posts RENAME TO articles
ALTER TABLE ddl_blog.posts RENAME TO articles;
SELECT * FROM polyref.targets ORDER BY source::text, association, kind;
SELECT try($$INSERT INTO ddl_blog.comments VALUES (100, 'Post', 99)$$);
SELECT try($$INSERT INTO ddl_blog.likes VALUES (100, 'Post', 99)$$);
INSERT INTO ddl_blog.comments VALUES (3, 'Post', 3);
DELETE FROM ddl_blog.articles WHERE id = 3;
SELECT count(*) AS comments_of_post_3 FROM ddl_blog.comments WHERE commentable_id = 3;
SELECT try($$DELETE FROM ddl_blog.articles WHERE id = 1$$);

-- 3b. ALTER SCHEMA ... RENAME: the error fields name the new schema.
ALTER SCHEMA ddl_blog RENAME TO ddl_journal;
SELECT * FROM polyref.associations ORDER BY source::text, association;
SELECT * FROM polyref.targets ORDER BY source::text, association, kind;
SELECT try($$INSERT INTO ddl_journal.comments VALUES (100, 'Post', 99)$$);
SELECT try($$INSERT INTO ddl_journal.likes VALUES (100, 'Post', 99)$$);
INSERT INTO ddl_journal.comments VALUES (4, 'Post', 4);
DELETE FROM ddl_journal.articles WHERE id = 4;
SELECT count(*) AS comments_of_post_4 FROM ddl_journal.comments WHERE commentable_id = 4;
SELECT try($$DELETE FROM ddl_journal.articles WHERE id = 1$$);

-- 3c. RENAME COLUMN of the source's id and kind columns: the catalog and
-- the error DETAIL show the new names.
ALTER TABLE ddl_journal.comments RENAME COLUMN commentable_id TO target_id;
ALTER TABLE ddl_journal.comments RENAME COLUMN commentable_type TO target_type;
SELECT source, association, type_column, id_column FROM polyref.associations ORDER BY source::text, association;
SELECT try($$INSERT INTO ddl_journal.comments VALUES (100, 'Post', 99)$$);
SELECT try($$INSERT INTO ddl_journal.comments (id, target_type, target_id) VALUES (100, 'Post', NULL)$$);
INSERT INTO ddl_journal.comments (id, target_type, target_id) VALUES (5, 'Post', 5);
DELETE FROM ddl_journal.articles WHERE id = 5;
SELECT count(*) AS comments_of_post_5 FROM ddl_journal.comments WHERE target_id = 5;
-- an UPDATE re-pointing a comment is checked too
SELECT try($$UPDATE ddl_journal.comments SET target_id = 99 WHERE id = 50$$);
SELECT * FROM ddl_journal.comments ORDER BY id;

-- 3d. RENAME COLUMN of the target's key column
ALTER TABLE ddl_journal.articles RENAME COLUMN id TO post_id;
SELECT * FROM polyref.targets ORDER BY source::text, association, kind;
SELECT try($$INSERT INTO ddl_journal.comments VALUES (100, 'Post', 99)$$);
SELECT try($$INSERT INTO ddl_journal.likes VALUES (100, 'Post', 99)$$);
INSERT INTO ddl_journal.comments VALUES (6, 'Post', 6);
DELETE FROM ddl_journal.articles WHERE post_id = 6;
SELECT count(*) AS comments_of_post_6 FROM ddl_journal.comments WHERE target_id = 6;
SELECT try($$DELETE FROM ddl_journal.articles WHERE post_id = 1$$);

-- 3e. ALTER TABLE ... RENAME of the source
ALTER TABLE ddl_journal.comments RENAME TO remarks;
SELECT source, association, kinds FROM polyref.associations ORDER BY source::text, association;
SELECT try($$INSERT INTO ddl_journal.remarks VALUES (100, 'Post', 99)$$);
INSERT INTO ddl_journal.remarks VALUES (7, 'Post', 7);
DELETE FROM ddl_journal.articles WHERE post_id = 7;
SELECT count(*) AS remarks_of_post_7 FROM ddl_journal.remarks WHERE target_id = 7;

-- After all that, no dangling row anywhere, and the triggers are the same.
SELECT count(*) AS dangling FROM ddl_journal.remarks r
 WHERE NOT EXISTS (SELECT FROM ddl_journal.articles a WHERE a.post_id = r.target_id);
SELECT count(*) AS dangling FROM ddl_journal.likes l
 WHERE NOT EXISTS (SELECT FROM ddl_journal.articles a WHERE a.post_id = l.likeable_id);
SELECT * FROM polyref_triggers ORDER BY 1, 2, 3;

DROP SCHEMA ddl_journal CASCADE;
SELECT count(*) AS associations FROM polyref.associations;

-- =========================================================================
-- 4. DROP TABLE of the source
-- =========================================================================
CREATE TABLE posts (id bigint PRIMARY KEY, title text);
CREATE TABLE videos (id bigint PRIMARY KEY, title text);
CREATE TABLE comments (id bigint PRIMARY KEY, commentable_type text,
                       commentable_id bigint);
CREATE TABLE likes (id bigint PRIMARY KEY, likeable_type text, likeable_id bigint);
SELECT polyref.declare('comments', 'commentable',
                       targets => ARRAY['posts', 'videos']::regclass[],
                       kinds => ARRAY['Post', 'Video'], on_delete => 'cascade');
SELECT polyref.declare('likes', 'likeable',
                       targets => ARRAY['posts']::regclass[], kinds => ARRAY['Post'],
                       initially_deferred => false);
INSERT INTO posts VALUES (1, 'p1');
INSERT INTO videos VALUES (1, 'v1');
INSERT INTO comments VALUES (1, 'Post', 1), (2, 'Video', 1);
INSERT INTO likes VALUES (1, 'Post', 1);
SELECT * FROM polyref_triggers ORDER BY 1, 2, 3;

-- Dropping the source needs no CASCADE; its association disappears, and so
-- do the triggers it had on the targets (posts keeps likeable's).
DROP TABLE comments;
SELECT source, association, kinds FROM polyref.associations ORDER BY source::text, association;
SELECT * FROM polyref.targets ORDER BY source::text, association, kind;
SELECT * FROM polyref_triggers ORDER BY 1, 2, 3;
SELECT tgrelid::regclass, tgname FROM pg_trigger
 WHERE tgrelid IN ('posts'::regclass, 'videos'::regclass) ORDER BY tgrelid::regclass::text, tgname;
-- videos is free again; posts is still protected by likeable
DELETE FROM videos WHERE id = 1;
DELETE FROM posts WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE

-- Dropping source and target in one command needs no CASCADE either.
DROP TABLE posts, likes;
SELECT count(*) AS associations FROM polyref.associations;
SELECT * FROM polyref_triggers ORDER BY 1, 2, 3;
DROP TABLE videos;

-- =========================================================================
-- 5. DROP TRIGGER of a polyref trigger by hand
-- =========================================================================
CREATE TABLE posts (id bigint PRIMARY KEY, title text);
CREATE TABLE videos (id bigint PRIMARY KEY, title text);
CREATE TABLE comments (id bigint PRIMARY KEY, commentable_type text,
                       commentable_id bigint);
SELECT polyref.declare('comments', 'commentable',
                       targets => ARRAY['posts', 'videos']::regclass[],
                       kinds => ARRAY['Post', 'Video'], on_update => 'cascade');
SELECT * FROM polyref_triggers ORDER BY 1, 2, 3;

-- each one is refused with a hint to use polyref.undeclare
DROP TRIGGER commentable ON comments;
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER commentable ON posts;
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER polyref_actions ON videos;
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER polyref_truncate ON posts;
\echo :LAST_ERROR_SQLSTATE
-- all still there, and still enforcing
SELECT * FROM polyref_triggers ORDER BY 1, 2, 3;
BEGIN;
INSERT INTO comments VALUES (1, 'Post', 99);
COMMIT;
\echo :LAST_ERROR_SQLSTATE

-- A trigger of one's own on the same table may be dropped.
CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$;
CREATE TRIGGER mine AFTER INSERT ON comments FOR EACH ROW EXECUTE FUNCTION noop();
DROP TRIGGER mine ON comments;
-- undeclare is the way to remove them
SELECT polyref.undeclare('comments', 'commentable');
SELECT * FROM polyref_triggers ORDER BY 1, 2, 3;
DROP TABLE comments, posts, videos;
DROP FUNCTION noop();

-- =========================================================================
-- 6. ALTER COLUMN TYPE of a declared column
-- =========================================================================
CREATE TABLE posts (id bigint PRIMARY KEY, title text);
CREATE TABLE videos (id int4 PRIMARY KEY, title text);
-- the id column is int4: it compares with the bigint key (native rules)
CREATE TABLE comments (id bigint PRIMARY KEY, commentable_type text,
                       commentable_id int4);
SELECT polyref.declare('comments', 'commentable',
                       targets => ARRAY['posts', 'videos']::regclass[],
                       kinds => ARRAY['Post', 'Video'],
                       on_delete => 'cascade', initially_deferred => false);
INSERT INTO posts VALUES (1, 'p1'), (2, 'p2'), (5000000000, 'big');
INSERT INTO videos VALUES (1, 'v1');
INSERT INTO comments VALUES (1, 'Post', 1), (2, 'Video', 1);
-- warm the cache with int4 ids
INSERT INTO comments VALUES (10, 'Post', 99);
INSERT INTO comments VALUES (3, 'Post', 2);
DELETE FROM posts WHERE id = 2;

-- An id type the key cannot be compared with is refused (42804) and
-- nothing changes: the column keeps its type and its values.
ALTER TABLE comments ALTER COLUMN commentable_id TYPE uuid USING NULL;
\echo :LAST_ERROR_SQLSTATE
-- the same for a key type the id cannot be compared with
ALTER TABLE posts ALTER COLUMN id TYPE text;
\echo :LAST_ERROR_SQLSTATE
-- and for a kind column of a type no kind column may have
ALTER TABLE comments ALTER COLUMN commentable_type TYPE numeric USING 0;
\echo :LAST_ERROR_SQLSTATE
-- or of a type that cannot read the declared kinds (integer kinds are
-- numbers; 'Post' is none)
ALTER TABLE comments ALTER COLUMN commentable_type TYPE integer USING 0;
\echo :LAST_ERROR_SQLSTATE
SELECT attrelid::regclass, attname, format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid IN ('comments'::regclass, 'posts'::regclass) AND attnum > 0
   AND NOT attisdropped ORDER BY attrelid::regclass::text, attnum;
SELECT * FROM comments ORDER BY id;

-- int4 -> bigint is accepted, and the checks use the new type at once:
-- an id beyond int4 is looked up correctly, both ways.
ALTER TABLE comments ALTER COLUMN commentable_id TYPE bigint;
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 'comments'::regclass AND attname = 'commentable_id';
INSERT INTO comments VALUES (10, 'Post', 5000000001);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO comments VALUES (4, 'Post', 5000000000);
SELECT * FROM comments ORDER BY id;
DELETE FROM posts WHERE id = 5000000000;
SELECT * FROM comments ORDER BY id;
-- a target key int4 -> bigint is accepted too
ALTER TABLE videos ALTER COLUMN id TYPE bigint;
INSERT INTO comments VALUES (10, 'Video', 99);
\echo :LAST_ERROR_SQLSTATE
DELETE FROM videos WHERE id = 1;
SELECT * FROM comments ORDER BY id;

-- bigint -> text is accepted under the text-id rule: the id must then be
-- the key's canonical text form.
ALTER TABLE comments ALTER COLUMN commentable_id TYPE text;
INSERT INTO posts VALUES (7, 'p7');
INSERT INTO comments VALUES (7, 'Post', '7');
INSERT INTO comments VALUES (10, 'Post', '07');
\echo :LAST_ERROR_SQLSTATE
DELETE FROM posts WHERE id = 7;
SELECT * FROM comments ORDER BY id;
SELECT source, association, validated, kinds FROM polyref.associations ORDER BY source::text, association;

DROP TABLE comments, posts, videos;

-- =========================================================================
-- 7. The unique index a kind's key relies on
-- =========================================================================
CREATE TABLE posts (id bigint PRIMARY KEY, title text);
CREATE TABLE comments (id bigint PRIMARY KEY, commentable_type text,
                       commentable_id bigint);
SELECT polyref.declare('comments', 'commentable', targets => ARRAY['posts']::regclass[],
                       kinds => ARRAY['Post']);
-- As with a native foreign key, which depends on the referenced table's
-- unique index, the key's only unique index may not be dropped (2BP01).
-- (In a transaction rolled back, so that a wrong answer cannot leak.)
BEGIN;
SELECT outcome($$ALTER TABLE posts DROP CONSTRAINT posts_pkey$$);
SELECT count(*) AS unique_indexes FROM pg_index
 WHERE indrelid = 'posts'::regclass AND indisunique;
ROLLBACK;
DROP TABLE comments, posts;

-- =========================================================================
-- 8. Partitioned source (hash on id) and partitioned target (range on id)
-- =========================================================================
CREATE TABLE posts (id bigint PRIMARY KEY, title text) PARTITION BY RANGE (id);
CREATE TABLE posts_low PARTITION OF posts FOR VALUES FROM (MINVALUE) TO (100);
CREATE TABLE posts_high PARTITION OF posts FOR VALUES FROM (100) TO (MAXVALUE);
CREATE TABLE comments (id bigint PRIMARY KEY, commentable_type text,
                       commentable_id bigint) PARTITION BY HASH (id);
CREATE TABLE comments_0 PARTITION OF comments FOR VALUES WITH (MODULUS 3, REMAINDER 0);
CREATE TABLE comments_1 PARTITION OF comments FOR VALUES WITH (MODULUS 3, REMAINDER 1);
CREATE TABLE comments_2 PARTITION OF comments FOR VALUES WITH (MODULUS 3, REMAINDER 2);
SELECT polyref.declare('comments', 'commentable', targets => ARRAY['posts']::regclass[],
                       kinds => ARRAY['Post'],
                       on_delete => 'cascade', initially_deferred => false);
-- the triggers are declared on the parents and cloned on every partition
SELECT * FROM polyref_triggers ORDER BY 1, 2, 3;

INSERT INTO posts VALUES (1, 'p1'), (2, 'p2'), (150, 'p150');
-- six comments on post 1 spread over all three source partitions
INSERT INTO comments SELECT g, 'Post', 1 FROM generate_series(1, 6) g;
INSERT INTO comments VALUES (7, 'Post', 150), (8, 'Post', 2);
SELECT tableoid::regclass, count(*) FROM comments
 WHERE commentable_id = 1 GROUP BY 1 ORDER BY tableoid::regclass::text;

-- Dangling references are refused whether inserted through the parent or
-- straight into a partition (id 20 lands in comments_0).
INSERT INTO comments VALUES (20, 'Post', 99);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO comments_0 VALUES (20, 'Post', 99);
\echo :LAST_ERROR_SQLSTATE
-- a reference to a row in either target partition is accepted
INSERT INTO comments_0 VALUES (20, 'Post', 150);

-- Partitions created later are covered too: split comments_2 in two
-- (ids 12 and 11 land in comments_2a and comments_2b).
ALTER TABLE comments DETACH PARTITION comments_2;
CREATE TABLE comments_2a PARTITION OF comments FOR VALUES WITH (MODULUS 6, REMAINDER 2);
CREATE TABLE comments_2b PARTITION OF comments FOR VALUES WITH (MODULUS 6, REMAINDER 5);
INSERT INTO comments SELECT * FROM comments_2;
DROP TABLE comments_2;
SELECT * FROM polyref_triggers WHERE "table" LIKE 'comments_2%' ORDER BY 1, 2, 3;
INSERT INTO comments_2a VALUES (12, 'Post', 99);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO comments_2b VALUES (11, 'Post', 99);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO comments VALUES (12, 'Post', 1), (11, 'Post', 1);
SELECT tableoid::regclass, count(*) FROM comments
 WHERE commentable_id = 1 GROUP BY 1 ORDER BY tableoid::regclass::text;

-- Deleting from a target partition cascades into every source partition.
DELETE FROM posts_low WHERE id = 1;
SELECT tableoid::regclass, * FROM comments ORDER BY id;
-- and a NO ACTION update of a key in a target partition is checked
UPDATE posts_high SET id = 151 WHERE id = 150;
\echo :LAST_ERROR_SQLSTATE

-- A table with a dangling row may not become a partition of the source
-- (native foreign keys validate the rows of an attached partition).
BEGIN;
ALTER TABLE comments DETACH PARTITION comments_1;
INSERT INTO comments_1 VALUES (40, 'Post', 99);
SELECT outcome($$ALTER TABLE comments ATTACH PARTITION comments_1 FOR VALUES WITH (MODULUS 3, REMAINDER 1)$$);
SELECT count(*) AS dangling FROM comments c
 WHERE NOT EXISTS (SELECT FROM posts p WHERE p.id = c.commentable_id);
ROLLBACK;

-- A target partition still referenced may neither be dropped (2BP01, as
-- natively) nor detached (23503, as natively): either would leave comment 7
-- dangling.
BEGIN;
SELECT outcome($$DROP TABLE posts_high$$);
SELECT count(*) AS dangling FROM comments c
 WHERE NOT EXISTS (SELECT FROM posts p WHERE p.id = c.commentable_id);
ROLLBACK;
BEGIN;
SELECT outcome($$ALTER TABLE posts DETACH PARTITION posts_high$$);
SELECT count(*) AS dangling FROM comments c
 WHERE NOT EXISTS (SELECT FROM posts p WHERE p.id = c.commentable_id);
ROLLBACK;

SELECT source, association, validated, kinds FROM polyref.associations ORDER BY source::text, association;
DROP TABLE comments, posts;
SELECT count(*) AS associations FROM polyref.associations;
SELECT * FROM polyref_triggers ORDER BY 1, 2, 3;

-- Partitions made with another layout (a dropped column, another column
-- order) and attached: each keeps its columns at its own positions, and the
-- checks, reports and actions must read them there.
CREATE TABLE posts (id bigint PRIMARY KEY);
INSERT INTO posts VALUES (1), (2);
CREATE TABLE videos (id bigint PRIMARY KEY, title text) PARTITION BY RANGE (id);
CREATE TABLE videos_low PARTITION OF videos FOR VALUES FROM (0) TO (100);
CREATE TABLE videos_high (junk int, title text, id bigint NOT NULL);
ALTER TABLE videos_high DROP COLUMN junk;
ALTER TABLE videos ATTACH PARTITION videos_high FOR VALUES FROM (100) TO (200);
INSERT INTO videos VALUES (5, 'low'), (150, 'high');
CREATE TABLE comments (id int, commentable_type text, commentable_id bigint) PARTITION BY RANGE (id);
CREATE TABLE comments_low PARTITION OF comments FOR VALUES FROM (0) TO (100);
CREATE TABLE comments_high (junk int, commentable_id bigint, junk2 text, commentable_type text, id int);
ALTER TABLE comments_high DROP COLUMN junk, DROP COLUMN junk2;
ALTER TABLE comments ATTACH PARTITION comments_high FOR VALUES FROM (100) TO (200);
SELECT polyref.declare('comments', 'commentable', targets => ARRAY['posts', 'videos'],
                       kinds => ARRAY['Post', 'Video'], initially_deferred => false,
                       on_update => 'cascade', on_delete => 'restrict');
INSERT INTO comments VALUES (1, 'Post', 1), (101, 'Post', 2), (102, 'Video', 150);
INSERT INTO comments VALUES (103, 'Post', 99);
INSERT INTO comments VALUES (104, 'Nope', 1);
UPDATE comments SET commentable_id = 98 WHERE id = 101;
DELETE FROM videos WHERE id = 150;
UPDATE videos SET id = 151 WHERE id = 150;
SELECT * FROM comments ORDER BY id;
DROP TABLE comments, posts, videos;

DROP SCHEMA ddl CASCADE;
