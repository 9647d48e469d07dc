-- validate() and orphans() over many rows: the one-pass reader (integer ids
-- and keys, plain tables) must find exactly what a hand-written anti-join
-- finds, whether a target's keys are dense (kept as a bitmap) or sparse (a
-- sorted array), negative, or of another integer width than the ids; text
-- ids go through the queries and must agree as well.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS polyref;
RESET client_min_messages;
CREATE SCHEMA validation; SET search_path = validation, public;

CREATE TABLE posts (id bigint PRIMARY KEY);           -- dense: 1..5000 but every 7th
CREATE TABLE videos (id int PRIMARY KEY);             -- sparse, negative and huge
CREATE TABLE photos (id smallint PRIMARY KEY);        -- another width
INSERT INTO posts SELECT g FROM generate_series(1, 5000) g WHERE g % 7 <> 0;
INSERT INTO videos VALUES (-2147483648), (-5), (0), (17), (2147483647);
INSERT INTO photos SELECT g FROM generate_series(-100, 100, 3) g;
CREATE TABLE comments (id serial PRIMARY KEY, commentable_type text, commentable_id bigint);
SELECT polyref.declare('comments', 'commentable', targets => ARRAY['posts', 'videos', 'photos'],
                       kinds => ARRAY['Post', 'Video', 'Photo'], validate => false);
-- Rows of every kind, present and missing keys, undeclared kinds, half-NULL
-- pairs and NULL pairs, written with the checks off.
SET session_replication_role = replica;
INSERT INTO comments (commentable_type, commentable_id)
SELECT (ARRAY['Post', 'Video', 'Photo', 'Nope', NULL])[1 + g % 5],
       CASE g % 5
           WHEN 0 THEN g % 5100                                  -- posts: some multiples of 7, some > 5000
           WHEN 1 THEN (ARRAY[-2147483648, -5, 0, 17, 2147483647, 18, -4, 9999999999])[1 + g % 8]
           WHEN 2 THEN -110 + g % 230                            -- photos: every third, some out of range
           WHEN 3 THEN g
           ELSE CASE WHEN g % 2 = 0 THEN g END                   -- NULL kind: half-NULL or NULL pair
       END
  FROM generate_series(1, 20000) g;
INSERT INTO comments (commentable_type, commentable_id) VALUES ('Post', NULL);
RESET session_replication_role;

CREATE VIEW expected AS
SELECT c.ctid, c.commentable_type AS kind, c.commentable_id::text AS id
  FROM comments c
 WHERE (c.commentable_type IS NULL) <> (c.commentable_id IS NULL)
    OR (c.commentable_type IS NOT NULL AND c.commentable_type NOT IN ('Post', 'Video', 'Photo'))
    OR (c.commentable_type = 'Post' AND NOT EXISTS (SELECT FROM posts p WHERE p.id = c.commentable_id))
    OR (c.commentable_type = 'Video' AND NOT EXISTS (SELECT FROM videos v WHERE v.id = c.commentable_id))
    OR (c.commentable_type = 'Photo' AND NOT EXISTS (SELECT FROM photos p WHERE p.id = c.commentable_id));
SELECT count(*) AS expected_orphans FROM expected;
SELECT count(*) AS orphans FROM polyref.orphans('comments', 'commentable');
-- Both ways, nothing differs.
(SELECT ctid, kind, id FROM polyref.orphans('comments', 'commentable') EXCEPT ALL SELECT * FROM expected)
UNION ALL
(SELECT * FROM expected EXCEPT ALL SELECT ctid, kind, id FROM polyref.orphans('comments', 'commentable'));
-- validate() names the first violation (half-NULL pairs and undeclared
-- kinds first, as the queries do) and refuses.
SELECT polyref.validate('comments', 'commentable');
-- Without the bad rows it passes and marks the association validated.
DELETE FROM comments c USING expected e WHERE c.ctid = e.ctid;
SELECT polyref.validate('comments', 'commentable');
SELECT validated FROM polyref.associations WHERE association = 'commentable';

-- Text ids (the canonical rule) take the queries; the same answer.
CREATE TABLE notes (id serial PRIMARY KEY, notable_type text, notable_id text);
SELECT polyref.declare('notes', 'notable', targets => ARRAY['posts', 'videos'],
                       kinds => ARRAY['Post', 'Video'], validate => false);
SET session_replication_role = replica;
INSERT INTO notes (notable_type, notable_id)
SELECT (ARRAY['Post', 'Video'])[1 + g % 2], CASE WHEN g % 11 = 0 THEN '0' || g ELSE (g % 40 - 20)::text END
  FROM generate_series(1, 2000) g;
RESET session_replication_role;
SELECT count(*) AS orphans FROM polyref.orphans('notes', 'notable');
SELECT count(*) AS expected_orphans FROM notes n
 WHERE NOT EXISTS (SELECT FROM posts p WHERE n.notable_type = 'Post' AND p.id::text = n.notable_id)
   AND NOT EXISTS (SELECT FROM videos v WHERE n.notable_type = 'Video' AND v.id::text = n.notable_id);

DROP SCHEMA validation CASCADE;
