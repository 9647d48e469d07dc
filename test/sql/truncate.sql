-- What is enforced: TRUNCATE of a target is refused while rows reference
-- it, unless the referencing tables are truncated in the same command; as
-- natively, SQLSTATE 0A000.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS polyref;
RESET client_min_messages;
CREATE SCHEMA truncate; SET search_path = truncate, public;

-- comments references posts (kinds Post and Article, two aliases of one
-- table) and videos; likes references posts only.
CREATE TABLE posts (id bigint PRIMARY KEY);
CREATE TABLE videos (id bigint PRIMARY KEY);
CREATE TABLE comments (id int PRIMARY KEY, commentable_type text, commentable_id bigint);
CREATE TABLE likes (id int PRIMARY KEY, likeable_type text, likeable_id bigint);
SELECT polyref.declare('comments', 'commentable',
                       targets => ARRAY['posts', 'posts', 'videos']::regclass[],
                       kinds   => ARRAY['Post', 'Article', 'Video']);
SELECT polyref.declare('likes', 'likeable',
                       targets => ARRAY['posts']::regclass[], kinds => ARRAY['Post']);
-- The native twin.
CREATE TABLE native_posts (id bigint PRIMARY KEY);
CREATE TABLE native_comments (id int PRIMARY KEY, post_id bigint REFERENCES native_posts);

-- fill(): posts 1-2, videos 1-2, comment 1 on post 1; the native twin alike.
CREATE FUNCTION fill() RETURNS void LANGUAGE sql AS $$
    DELETE FROM comments; DELETE FROM likes; DELETE FROM native_comments;
    DELETE FROM posts; DELETE FROM videos; DELETE FROM native_posts;
    INSERT INTO posts VALUES (1), (2);
    INSERT INTO videos VALUES (1), (2);
    INSERT INTO comments VALUES (1, 'Post', 1);
    INSERT INTO native_posts VALUES (1), (2);
    INSERT INTO native_comments VALUES (1, 1);
$$;
-- counts(): the rows of every table.
CREATE FUNCTION counts() RETURNS TABLE (posts bigint, videos bigint, comments bigint,
                                        likes bigint, native_posts bigint,
                                        native_comments bigint)
LANGUAGE sql AS $$
    SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM videos),
           (SELECT count(*) FROM comments), (SELECT count(*) FROM likes),
           (SELECT count(*) FROM native_posts), (SELECT count(*) FROM native_comments)
$$;

-- A referenced target cannot be truncated alone: 0A000, as natively.
SELECT fill();
TRUNCATE posts;
\echo :LAST_ERROR_SQLSTATE
TRUNCATE native_posts;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM counts();

-- Target and source truncated together: allowed, in either order.
TRUNCATE posts, comments;
TRUNCATE native_posts, native_comments;
SELECT * FROM counts();
SELECT fill();
TRUNCATE comments, posts;
SELECT * FROM counts();

-- A target no row references can be truncated (videos: comment 1 is on a
-- post; rows whose kind and id are both NULL reference nothing).
SELECT fill();
INSERT INTO comments VALUES (2, NULL, NULL);
TRUNCATE videos;
SELECT * FROM counts();

-- The source alone can always be truncated.
SELECT fill();
TRUNCATE comments;
TRUNCATE native_comments;
SELECT * FROM counts();

-- A target referenced only by rows of another kind, pointing elsewhere, can
-- be truncated: comment 1 is on video 1, and posts has an id 1 too.
SELECT fill();
UPDATE comments SET commentable_type = 'Video' WHERE id = 1;
TRUNCATE posts;
SELECT * FROM counts();
SELECT commentable_type, commentable_id FROM comments;

-- Every kind naming the target counts: a comment on 'Article' 1 (an alias of
-- posts) keeps posts from being truncated.
SELECT fill();
UPDATE comments SET commentable_type = 'Article' WHERE id = 1;
TRUNCATE posts;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM counts();

-- Every source counts: with a like on post 2, truncating posts with
-- comments is refused; with likes too it is allowed.
SELECT fill();
INSERT INTO likes VALUES (1, 'Post', 2);
TRUNCATE posts, comments;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM counts();
TRUNCATE posts, comments, likes;
SELECT * FROM counts();

-- References removed earlier in the same transaction do not count.
SELECT fill();
BEGIN;
DELETE FROM comments;
TRUNCATE posts;
COMMIT;
SELECT * FROM counts();

-- A refused TRUNCATE inside a transaction aborts it; nothing is lost.
SELECT fill();
BEGIN;
INSERT INTO posts VALUES (3);
TRUNCATE posts;
ROLLBACK;
SELECT * FROM counts();

-- TRUNCATE ... CASCADE is not extended to the sources of associations: it
-- is refused too, rather than leaving dangling references (natively it
-- truncates the referencing table).
SELECT fill();
TRUNCATE posts CASCADE;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM counts();

-- Under session_replication_role = replica a native foreign key still
-- refuses the TRUNCATE (it is not a trigger), and so does polyref.
SELECT fill();
SET session_replication_role = replica;
TRUNCATE posts;
\echo :LAST_ERROR_SQLSTATE
TRUNCATE native_posts;
\echo :LAST_ERROR_SQLSTATE
RESET session_replication_role;
SELECT * FROM counts();

-- A partitioned target: TRUNCATE of one partition is refused while a row
-- references a key in it, and allowed when the references point only at
-- other partitions.
CREATE TABLE events (id bigint PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE events_low PARTITION OF events FOR VALUES FROM (0) TO (100);
CREATE TABLE events_high PARTITION OF events FOR VALUES FROM (100) TO (1000);
CREATE TABLE pins (id int PRIMARY KEY, pinnable_type text, pinnable_id bigint);
SELECT polyref.declare('pins', 'pinnable', ARRAY['events']::regclass[], kinds => ARRAY['Event']);
INSERT INTO events VALUES (1), (150);
INSERT INTO pins VALUES (1, 'Event', 1);
TRUNCATE events_low;
\echo :LAST_ERROR_SQLSTATE
TRUNCATE events_high;
SELECT id FROM events ORDER BY id;
-- a partition created after the declaration is guarded too
CREATE TABLE events_top PARTITION OF events FOR VALUES FROM (1000) TO (2000);
INSERT INTO events VALUES (1500);
INSERT INTO pins VALUES (2, 'Event', 1500);
TRUNCATE events_top;
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM events ORDER BY id;

SET client_min_messages = warning;
DROP SCHEMA truncate CASCADE;
RESET client_min_messages;
