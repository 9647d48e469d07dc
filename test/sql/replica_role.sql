--
-- replica_role: under session_replication_role = replica the association
-- checks and actions do not fire, exactly as native foreign key triggers do
-- not: source inserts and updates go unchecked, target deletes and key
-- updates neither check (no action, restrict) nor act (cascade, set null).
-- Everything side by side with native twins, ending with identical data.
-- Trigger events are filtered when queued: what was queued in one mode is
-- checked at COMMIT whatever the mode is then.  `local` behaves like
-- `origin`.  TRUNCATE stays refused (the native check is no trigger).
-- ENABLE ALWAYS TRIGGER makes a check fire on a replica, as natively.
--
-- Native foreign keys report RESTRICT apart from NO ACTION from PostgreSQL
-- 18 on (SQLSTATE 23001, "violates RESTRICT setting of foreign key
-- constraint"), and polyref as the server it runs on: this test's output
-- for 18 and later is expected/replica_role_1.out, for 15 to 17 expected/replica_role.out.
SELECT current_setting('server_version_num')::int >= 180000 AS postgresql_18_or_later;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS polyref;
RESET client_min_messages;
CREATE SCHEMA replica_role; SET search_path = replica_role, public;

-- Targets posts (and videos, polyref only) and native_posts, the same
-- rows.  Each source pairs with a native twin:
--   c_noaction  / n_noaction   no action (deferred)
--   c_restrict  / n_restrict   restrict (on delete and on update)
--   c_cascade   / n_cascade    cascade (on delete and on update)
--   c_setnull   / n_setnull    set null (on delete and on update)
CREATE TABLE posts (id bigint PRIMARY KEY);
CREATE TABLE videos (id bigint PRIMARY KEY);
CREATE TABLE native_posts (id bigint PRIMARY KEY);
CREATE TABLE c_noaction (id int PRIMARY KEY, ref_type text, ref_id bigint);
CREATE TABLE c_restrict (id int PRIMARY KEY, ref_type text, ref_id bigint);
CREATE TABLE c_cascade (id int PRIMARY KEY, ref_type text, ref_id bigint);
CREATE TABLE c_setnull (id int PRIMARY KEY, ref_type text, ref_id bigint);
CREATE TABLE n_noaction (id int PRIMARY KEY,
    ref_id bigint REFERENCES native_posts DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE n_restrict (id int PRIMARY KEY,
    ref_id bigint REFERENCES native_posts ON DELETE RESTRICT ON UPDATE RESTRICT);
CREATE TABLE n_cascade (id int PRIMARY KEY,
    ref_id bigint REFERENCES native_posts ON DELETE CASCADE ON UPDATE CASCADE);
CREATE TABLE n_setnull (id int PRIMARY KEY,
    ref_id bigint REFERENCES native_posts ON DELETE SET NULL ON UPDATE SET NULL);
SELECT polyref.declare('c_noaction', 'ref', ARRAY['posts', 'videos']::regclass[], ARRAY['Post', 'Video']);
SELECT polyref.declare('c_restrict', 'ref', ARRAY['posts']::regclass[], ARRAY['Post'],
                       on_delete => 'restrict', on_update => 'restrict');
SELECT polyref.declare('c_cascade', 'ref', ARRAY['posts']::regclass[], ARRAY['Post'],
                       on_delete => 'cascade', on_update => 'cascade');
SELECT polyref.declare('c_setnull', 'ref', ARRAY['posts']::regclass[], ARRAY['Post'],
                       on_delete => 'set null', on_update => 'set null');

-- The data, compared side by side: polyref's id (and kind) against the
-- native id; same when the ids agree.
CREATE VIEW side_by_side AS
SELECT tab, id, kind, polyref_id, native_id, polyref_id IS NOT DISTINCT FROM native_id AS same
  FROM (SELECT 'noaction' AS tab, id, c.ref_type AS kind, c.ref_id AS polyref_id, n.ref_id AS native_id
          FROM c_noaction c FULL JOIN n_noaction n USING (id)
        UNION ALL
        SELECT 'restrict', id, c.ref_type, c.ref_id, n.ref_id
          FROM c_restrict c FULL JOIN n_restrict n USING (id)
        UNION ALL
        SELECT 'cascade', id, c.ref_type, c.ref_id, n.ref_id
          FROM c_cascade c FULL JOIN n_cascade n USING (id)
        UNION ALL
        SELECT 'setnull', id, c.ref_type, c.ref_id, n.ref_id
          FROM c_setnull c FULL JOIN n_setnull n USING (id)
        UNION ALL
        SELECT 'posts', id, NULL, p.id, n.id
          FROM posts p FULL JOIN native_posts n USING (id)) d;
-- Dangling rows, by anti-join, per table.
CREATE VIEW dangling AS
SELECT 'c_noaction' AS tab, id FROM c_noaction c
 WHERE c.ref_id IS NOT NULL
   AND NOT (c.ref_type = 'Post' AND EXISTS (SELECT FROM posts p WHERE p.id = c.ref_id))
   AND NOT (c.ref_type = 'Video' AND EXISTS (SELECT FROM videos v WHERE v.id = c.ref_id))
UNION ALL SELECT 'c_restrict', id FROM c_restrict c
 WHERE c.ref_id IS NOT NULL AND NOT EXISTS (SELECT FROM posts p WHERE p.id = c.ref_id)
UNION ALL SELECT 'c_cascade', id FROM c_cascade c
 WHERE c.ref_id IS NOT NULL AND NOT EXISTS (SELECT FROM posts p WHERE p.id = c.ref_id)
UNION ALL SELECT 'c_setnull', id FROM c_setnull c
 WHERE c.ref_id IS NOT NULL AND NOT EXISTS (SELECT FROM posts p WHERE p.id = c.ref_id)
UNION ALL SELECT 'n_noaction', id FROM n_noaction c
 WHERE c.ref_id IS NOT NULL AND NOT EXISTS (SELECT FROM native_posts p WHERE p.id = c.ref_id)
UNION ALL SELECT 'n_restrict', id FROM n_restrict c
 WHERE c.ref_id IS NOT NULL AND NOT EXISTS (SELECT FROM native_posts p WHERE p.id = c.ref_id)
UNION ALL SELECT 'n_cascade', id FROM n_cascade c
 WHERE c.ref_id IS NOT NULL AND NOT EXISTS (SELECT FROM native_posts p WHERE p.id = c.ref_id)
UNION ALL SELECT 'n_setnull', id FROM n_setnull c
 WHERE c.ref_id IS NOT NULL AND NOT EXISTS (SELECT FROM native_posts p WHERE p.id = c.ref_id);

-- reset(): fresh rows.  Posts 1..6; each source references post 1 (row 1),
-- post 2 (row 2) and post 3 (row 3); nothing references posts 4..6.
CREATE FUNCTION reset() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    SET LOCAL session_replication_role = replica;   -- so that nothing cascades
    DELETE FROM c_noaction; DELETE FROM c_restrict; DELETE FROM c_cascade; DELETE FROM c_setnull;
    DELETE FROM n_noaction; DELETE FROM n_restrict; DELETE FROM n_cascade; DELETE FROM n_setnull;
    DELETE FROM posts; DELETE FROM videos; DELETE FROM native_posts;
    INSERT INTO posts SELECT generate_series(1, 6);
    INSERT INTO native_posts SELECT generate_series(1, 6);
    INSERT INTO videos VALUES (1);
    INSERT INTO c_noaction VALUES (1, 'Post', 1), (2, 'Post', 2), (3, 'Post', 3);
    INSERT INTO c_restrict VALUES (1, 'Post', 1), (2, 'Post', 2), (3, 'Post', 3);
    INSERT INTO c_cascade VALUES (1, 'Post', 1), (2, 'Post', 2), (3, 'Post', 3);
    INSERT INTO c_setnull VALUES (1, 'Post', 1), (2, 'Post', 2), (3, 'Post', 3);
    INSERT INTO n_noaction VALUES (1, 1), (2, 2), (3, 3);
    INSERT INTO n_restrict VALUES (1, 1), (2, 2), (3, 3);
    INSERT INTO n_cascade VALUES (1, 1), (2, 2), (3, 3);
    INSERT INTO n_setnull VALUES (1, 1), (2, 2), (3, 3);
END $$;
SELECT reset();
SELECT * FROM side_by_side WHERE NOT same;
SELECT * FROM dangling ORDER BY tab, id;

--
-- origin (the default): everything is checked and acted on, the baseline.
--
SHOW session_replication_role;
INSERT INTO c_noaction VALUES (10, 'Post', 404);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO n_noaction VALUES (10, 404);
\echo :LAST_ERROR_SQLSTATE
DELETE FROM posts WHERE id = 2;            -- c_restrict row 2 refuses
\echo :LAST_ERROR_SQLSTATE
DELETE FROM native_posts WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE

--
-- replica: no check, no action, for polyref as for native foreign keys.
--
SET session_replication_role = replica;
-- Source inserts and updates to missing keys and undeclared kinds.
INSERT INTO c_noaction VALUES (10, 'Post', 404), (11, 'Nothing', 405), (12, 'Post', NULL);
INSERT INTO n_noaction VALUES (10, 404), (11, 405), (12, NULL);
UPDATE c_cascade SET ref_id = 406 WHERE id = 3;
UPDATE n_cascade SET ref_id = 406 WHERE id = 3;
-- Target deletes: no action, restrict, cascade and set null all skipped.
DELETE FROM posts WHERE id IN (1, 2);
DELETE FROM native_posts WHERE id IN (1, 2);
-- Target key updates: nothing follows.
UPDATE posts SET id = 50 WHERE id = 3;
UPDATE native_posts SET id = 50 WHERE id = 3;
-- In an explicit transaction, with the constraints deferred, through COMMIT.
BEGIN;
SET CONSTRAINTS ALL DEFERRED;
INSERT INTO c_noaction VALUES (13, 'Video', 407);
INSERT INTO n_noaction VALUES (13, 407);
COMMIT;
-- TRUNCATE of a referenced target is refused all the same (natively it is
-- no trigger).
TRUNCATE native_posts;
\echo :LAST_ERROR_SQLSTATE
TRUNCATE posts;
\echo :LAST_ERROR_SQLSTATE
RESET session_replication_role;
-- Identical data: the same rows dangle on both sides, nothing cascaded,
-- nothing was set to NULL.
SELECT * FROM side_by_side ORDER BY tab, id;
SELECT * FROM side_by_side WHERE NOT same;
SELECT * FROM dangling ORDER BY tab, id;
-- polyref knows: orphans lists the rows, validate refuses.
SELECT kind, id FROM polyref.orphans('c_noaction', 'ref') ORDER BY kind, id;
SELECT polyref.validate('c_noaction', 'ref');
\echo :LAST_ERROR_SQLSTATE
-- Back in origin mode, new rows are checked again.
INSERT INTO c_noaction VALUES (20, 'Post', 404);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO n_noaction VALUES (20, 404);
\echo :LAST_ERROR_SQLSTATE

--
-- Events are filtered when they are queued, not when they fire: an insert
-- queued in origin mode is checked at COMMIT in replica mode, one made in
-- replica mode is not checked at COMMIT in origin mode.
--
SELECT reset();
BEGIN;
INSERT INTO c_noaction VALUES (30, 'Post', 404);
SET LOCAL session_replication_role = replica;
COMMIT;
\echo :LAST_ERROR_SQLSTATE
BEGIN;
INSERT INTO n_noaction VALUES (30, 404);
SET LOCAL session_replication_role = replica;
COMMIT;
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO c_noaction VALUES (31, 'Post', 404);
INSERT INTO n_noaction VALUES (31, 404);
SET LOCAL session_replication_role = origin;
COMMIT;
SELECT * FROM dangling ORDER BY tab, id;

--
-- local behaves like origin: checks and actions all fire.
--
SELECT reset();
SET session_replication_role = local;
INSERT INTO c_noaction VALUES (40, 'Post', 404);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO n_noaction VALUES (40, 404);
\echo :LAST_ERROR_SQLSTATE
DELETE FROM posts WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM native_posts WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
-- Without the restrict rows, delete and re-key: cascade and set null act.
DELETE FROM c_restrict; DELETE FROM n_restrict;
DELETE FROM c_noaction WHERE id IN (1, 3); DELETE FROM n_noaction WHERE id IN (1, 3);
DELETE FROM posts WHERE id = 1;
DELETE FROM native_posts WHERE id = 1;
UPDATE posts SET id = 30 WHERE id = 3;
UPDATE native_posts SET id = 30 WHERE id = 3;
RESET session_replication_role;
SELECT * FROM side_by_side ORDER BY tab, id;
SELECT * FROM side_by_side WHERE NOT same;
SELECT * FROM dangling ORDER BY tab, id;

--
-- ENABLE ALWAYS TRIGGER makes the checks fire on a replica too, as it does
-- for native foreign key triggers; the setting stays when polyref later
-- brings the table's triggers in line (another kind on the same target).
--
SELECT reset();
ALTER TABLE c_noaction ENABLE ALWAYS TRIGGER ref;
ALTER TABLE posts ENABLE ALWAYS TRIGGER ref;
DO $$
DECLARE t record;
BEGIN
    FOR t IN SELECT tgrelid::regclass AS tab, tgname FROM pg_trigger
              WHERE tgconstraint = (SELECT oid FROM pg_constraint
                                     WHERE conrelid = 'n_noaction'::regclass AND contype = 'f')
    LOOP
        EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', t.tab, t.tgname);
    END LOOP;
END $$;
SET session_replication_role = replica;
INSERT INTO c_noaction VALUES (50, 'Post', 404);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO n_noaction VALUES (50, 404);
\echo :LAST_ERROR_SQLSTATE
DELETE FROM posts WHERE id = 3;     -- c_restrict is not ALWAYS: only c_noaction's check
\echo :LAST_ERROR_SQLSTATE
DELETE FROM native_posts WHERE id = 3;
\echo :LAST_ERROR_SQLSTATE
RESET session_replication_role;
SELECT polyref.add_target('c_noaction', 'ref', 'posts', kind => 'Article');
SELECT c.relname, t.tgname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relname IN ('c_noaction', 'posts') AND t.tgname = 'ref'
   AND c.relnamespace = 'replica_role'::regnamespace
 ORDER BY 1, 2;
SET session_replication_role = replica;
DELETE FROM posts WHERE id = 3;
\echo :LAST_ERROR_SQLSTATE
RESET session_replication_role;
SELECT * FROM side_by_side WHERE NOT same;

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA replica_role CASCADE;
RESET client_min_messages;
