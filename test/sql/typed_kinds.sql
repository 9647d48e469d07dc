-- Integer and char kind columns with literal kinds (SPEC, What is enforced,
-- release 1.1; Hibernate's @Any with @AnyDiscriminatorValue, integer-mapped
-- Rails types): kinds are given as text, read with the column type's input
-- function, and shown as text in the catalog.  Every action, deferral, the
-- join helpers and the catalog, beside a native twin where one exists: a
-- foreign key over (kind, id) to targets with a generated kind column.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS polyref;
RESET client_min_messages;
CREATE SCHEMA typed_kinds; SET search_path = typed_kinds, public;

CREATE TABLE posts (id int PRIMARY KEY, title text,
                    kind smallint GENERATED ALWAYS AS (1) STORED, UNIQUE (kind, id));
CREATE TABLE videos (id bigint PRIMARY KEY, title text,
                     kind smallint GENERATED ALWAYS AS (2) STORED, UNIQUE (kind, id));
INSERT INTO posts (id, title) VALUES (1, 'p1'), (2, 'p2'), (3, 'p3');
INSERT INTO videos (id, title) VALUES (1, 'v1'), (2, 'v2'), (3, 'v3');

-- @Any(discriminator smallint) Commentable: 1 = Post, 2 = Video.
CREATE TABLE comments (id serial PRIMARY KEY, body text,
                       item_type smallint, item_id bigint);
CREATE TABLE native_comments (id serial PRIMARY KEY, body text,
                              item_type smallint, item_id bigint,
                              CONSTRAINT item_posts FOREIGN KEY (item_type, item_id)
                                  REFERENCES posts (kind, id) ON DELETE CASCADE
                                  ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED);

-- ---------------------------------------------------------------------------
-- Declaring: kinds are read with smallint's input ('01' is the kind 1), and
-- the catalog shows them as smallint prints them.
SELECT polyref.declare('comments', 'item', targets => ARRAY['posts', 'videos']::regclass[],
                       kinds => ARRAY['01', '2'], on_delete => 'cascade',
                       on_update => 'cascade');
SELECT source, association, type_column, kinds, kind_registry FROM polyref.associations
 WHERE source = 'comments'::regclass;
SELECT kind, target FROM polyref.targets WHERE source = 'comments'::regclass ORDER BY kind;
-- Text that is no smallint is refused by smallint's input function.
SELECT polyref.add_target('comments', 'item', 'videos', kind => 'Video');
\echo :LAST_ERROR_SQLSTATE
-- The same kind written otherwise is the same kind.
SELECT polyref.add_target('comments', 'item', 'videos', kind => '+2');
\echo :LAST_ERROR_SQLSTATE
-- A kind column of another type is still refused.
CREATE TABLE bad_kinds (id int, item_type numeric, item_id int);
SELECT polyref.declare('bad_kinds', 'item', ARRAY['posts']::regclass[], ARRAY['1']);
\echo :LAST_ERROR_SQLSTATE

-- ---------------------------------------------------------------------------
-- Checks, at commit (the default) and at once.
INSERT INTO comments (body, item_type, item_id) VALUES ('on p1', 1, 1), ('on v2', 2, 2);
INSERT INTO native_comments (body, item_type, item_id) VALUES ('on p1', 1, 1);
INSERT INTO comments (body, item_type, item_id) VALUES ('no such post', 1, 9);
INSERT INTO native_comments (body, item_type, item_id) VALUES ('no such post', 1, 9);
INSERT INTO comments (body, item_type, item_id) VALUES ('no such kind', 3, 1);
INSERT INTO comments (body, item_type, item_id) VALUES ('half', 1, NULL);
BEGIN;
SET CONSTRAINTS item, item_posts IMMEDIATE;
INSERT INTO comments (body, item_type, item_id) VALUES ('at once', 1, 8);
ROLLBACK;
BEGIN;
SET CONSTRAINTS item, item_posts IMMEDIATE;
INSERT INTO native_comments (body, item_type, item_id) VALUES ('at once', 1, 8);
ROLLBACK;
-- Deferred: a reference may be made good before commit.
BEGIN;
INSERT INTO comments (body, item_type, item_id) VALUES ('later', 2, 4);
INSERT INTO videos (id, title) VALUES (4, 'v4');
COMMIT;
SELECT body, item_type, item_id FROM comments ORDER BY id;

-- ---------------------------------------------------------------------------
-- Actions: cascade on delete and on update.
UPDATE posts SET id = 11 WHERE id = 1;
DELETE FROM videos WHERE id = 2;
SELECT body, item_type, item_id FROM comments ORDER BY id;
SELECT body, item_type, item_id FROM native_comments ORDER BY id;

-- set null, set default, restrict and no action on a second association.
CREATE TABLE likes (id serial PRIMARY KEY, liked_type integer DEFAULT 2,
                    liked_id bigint DEFAULT 3);
SELECT polyref.declare('likes', 'liked', ARRAY['posts', 'videos']::regclass[], ARRAY['1', '2'],
                       on_delete => 'set default', on_update => 'set null');
INSERT INTO likes (liked_type, liked_id) VALUES (1, 2), (1, 3);
DELETE FROM posts WHERE id = 2;
UPDATE posts SET id = 13 WHERE id = 3;
SELECT liked_type, liked_id FROM likes ORDER BY id;
SELECT polyref.undeclare('likes', 'liked');
SELECT polyref.declare('likes', 'liked', ARRAY['posts', 'videos']::regclass[], ARRAY['1', '2'],
                       on_delete => 'restrict');
-- (RESTRICT is 23503 before PostgreSQL 18 and 23001 from 18 on, as natively.)
DO $$
BEGIN
    DELETE FROM typed_kinds.videos WHERE id = 3;
    RAISE NOTICE 'deleted';
EXCEPTION WHEN foreign_key_violation OR restrict_violation THEN
    RAISE NOTICE 'refused at once';
END $$;
SELECT polyref.undeclare('likes', 'liked');
SELECT polyref.declare('likes', 'liked', ARRAY['posts', 'videos']::regclass[], ARRAY['1', '2']);
-- no action: passes when the key is back before the check, else refused.
BEGIN;
DELETE FROM videos WHERE id = 3;
INSERT INTO videos (id, title) VALUES (3, 'v3 again');
COMMIT;
DELETE FROM videos WHERE id = 3;
\echo :LAST_ERROR_SQLSTATE

-- ---------------------------------------------------------------------------
-- The join helpers and the catalog speak the kinds as text.
SELECT polyref.resolve('comments', 'item', '1', 11);
SELECT * FROM polyref.resolve_many('comments', 'item', ARRAY['1', '2', '2'], ARRAY[11, 4, 99])
 ORDER BY kind, id;
SELECT source, association, ref->>'body' AS body FROM polyref.referrers('videos', 4);
SELECT polyref.create_join_view('comments', 'item');
SELECT body, target_kind, target->>'title' AS title FROM comments_item ORDER BY id;
SELECT polyref.diagram('aml');
-- rename_kind rewrites the rows: kind 2 becomes 20.
SELECT polyref.rename_kind('comments', 'item', '2', '20');
SELECT body, item_type, item_id FROM comments ORDER BY id;
SELECT body, target_kind FROM comments_item ORDER BY id;
-- validate and orphans read the kinds as the column holds them.
ALTER TABLE comments DISABLE TRIGGER ALL;
INSERT INTO comments (body, item_type, item_id) VALUES ('orphan', 20, 77), ('unknown', 5, 1);
ALTER TABLE comments ENABLE TRIGGER ALL;
SELECT kind, id FROM polyref.orphans('comments', 'item') ORDER BY kind, id;
SELECT polyref.validate('comments', 'item');
\echo :LAST_ERROR_SQLSTATE
DELETE FROM comments WHERE body IN ('orphan', 'unknown');
SELECT polyref.validate('comments', 'item');

-- ---------------------------------------------------------------------------
-- char(1) and "char" discriminators (@DiscriminatorType.CHAR): 'P', 'V'.
CREATE TABLE marks (id serial PRIMARY KEY, m_type char(1), m_id bigint,
                    c_type "char", c_id bigint);
SELECT polyref.declare('marks', 'm', ARRAY['posts', 'videos']::regclass[], ARRAY['P', 'V']);
SELECT polyref.declare('marks', 'c', ARRAY['posts', 'videos']::regclass[], ARRAY['P', 'V'],
                       initially_deferred => false);
SELECT association, kinds FROM polyref.associations WHERE source = 'marks'::regclass
 ORDER BY 1;
INSERT INTO marks (m_type, m_id, c_type, c_id) VALUES ('P', 11, 'V', 1);
INSERT INTO marks (m_type, m_id, c_type, c_id) VALUES ('P', 11, 'V', 2);
INSERT INTO marks (m_type, m_id, c_type, c_id) VALUES ('X', 11, 'V', 1);
INSERT INTO marks (m_type, m_id, c_type, c_id) VALUES ('V', 11, 'V', 1);
SELECT polyref.resolve('marks', 'c', 'V', 1);
SELECT m_type, c_type, ref IS NOT NULL AS found FROM marks,
       LATERAL (SELECT ref FROM polyref.referrers('videos', 1)
                 WHERE association = 'c') r ORDER BY 1;
DELETE FROM videos WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE

DROP SCHEMA typed_kinds CASCADE;
