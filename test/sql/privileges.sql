--
-- privileges: who may declare (the owner of the source holding REFERENCES
-- on every target, the rules of ALTER TABLE ... ADD FOREIGN KEY), who may
-- manage, list orphans and read the catalog, and that nobody writes the
-- configuration tables directly.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS polyref;
RESET client_min_messages;
CREATE SCHEMA privileges; SET search_path = privileges, public;

CREATE ROLE regress_privileges_owner;
CREATE ROLE regress_privileges_member IN ROLE regress_privileges_owner;
CREATE ROLE regress_privileges_other;
CREATE ROLE regress_privileges_writer;
GRANT USAGE ON SCHEMA privileges TO regress_privileges_owner, regress_privileges_member,
                                    regress_privileges_other, regress_privileges_writer;

-- Helper: what polyref records and installs for this schema's tables.
CREATE VIEW state AS
SELECT format('association %s.%s %s', a.source, a.association, a.kinds) AS item
  FROM polyref.associations a
 WHERE a.source IN (SELECT oid FROM pg_class WHERE relnamespace = 'privileges'::regnamespace)
UNION ALL
SELECT format('trigger %s.%s', c.relname, t.tgname)
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = 'privileges'::regnamespace AND NOT t.tgisinternal
UNION ALL
SELECT format('index %s', i.relname)
  FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
 WHERE c.relnamespace = 'privileges'::regnamespace AND NOT x.indisprimary;
GRANT SELECT ON state TO PUBLIC;

-- The targets belong to the superuser running the test; the source to
-- regress_privileges_owner, who has no privilege at all on the targets yet.
CREATE TABLE posts (id bigint PRIMARY KEY, title text);
CREATE TABLE videos (id bigint PRIMARY KEY, title text);
CREATE TABLE photos (id bigint PRIMARY KEY, caption text);
INSERT INTO posts VALUES (1, 'post 1');
INSERT INTO videos VALUES (1, 'video 1');
INSERT INTO photos VALUES (1, 'photo 1');
CREATE TABLE comments (id int PRIMARY KEY, commentable_type text, commentable_id bigint);
INSERT INTO comments VALUES (1, 'posts', 1), (2, 'videos', 1);
ALTER TABLE comments OWNER TO regress_privileges_owner;

--
-- The index declare makes by default is made as the caller: like any
-- CREATE INDEX it needs the CREATE privilege on the schema.  Without an
-- index, ownership and REFERENCES are enough.
--
GRANT REFERENCES ON posts TO regress_privileges_owner;
CREATE TABLE likes (id int PRIMARY KEY, likeable_type text, likeable_id bigint);
ALTER TABLE likes OWNER TO regress_privileges_owner;
SET ROLE regress_privileges_owner;
SELECT polyref.declare('likes', 'likeable', ARRAY['posts']::regclass[]);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT * FROM state ORDER BY item;
SET ROLE regress_privileges_owner;
SELECT polyref.declare('likes', 'likeable', ARRAY['posts']::regclass[], create_index => false);
RESET ROLE;
SELECT * FROM state ORDER BY item;
GRANT CREATE ON SCHEMA privileges TO regress_privileges_owner;

--
-- The owner without REFERENCES on a target: 42501 naming it, and nothing
-- is declared, not even on the other target.
--
SET ROLE regress_privileges_owner;
SELECT polyref.declare('comments', 'commentable', ARRAY['posts', 'videos']::regclass[]);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT * FROM state ORDER BY item;

--
-- Column-level REFERENCES on another column than the key does not do ...
--
GRANT REFERENCES (title) ON videos TO regress_privileges_owner;
SET ROLE regress_privileges_owner;
SELECT polyref.declare('comments', 'commentable', ARRAY['posts', 'videos']::regclass[]);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT * FROM state ORDER BY item;

--
-- ... column-level REFERENCES on the key column does, as natively: the
-- primary key taken by default ...
--
GRANT REFERENCES (id) ON videos TO regress_privileges_owner;
BEGIN;
SET ROLE regress_privileges_owner;
SELECT polyref.declare('comments', 'commentable', ARRAY['posts', 'videos']::regclass[]);
RESET ROLE;
SELECT kinds FROM polyref.associations WHERE source = 'comments'::regclass;
ROLLBACK;
-- ... or a key_column named in add_target.
BEGIN;
SET ROLE regress_privileges_owner;
SELECT polyref.declare('comments', 'commentable', ARRAY['posts']::regclass[], validate => false);
SELECT polyref.add_target('comments', 'commentable', 'videos', key_column => 'id');
RESET ROLE;
SELECT kinds FROM polyref.associations WHERE source = 'comments'::regclass;
ROLLBACK;
SELECT * FROM state ORDER BY item;

--
-- Nothing more is needed: the owner has no SELECT or TRIGGER on the
-- targets, yet declare, validate and orphans check the existing rows, and
-- the targets get their triggers.
--
GRANT REFERENCES ON videos TO regress_privileges_owner;
INSERT INTO comments VALUES (3, 'videos', 404);
SET ROLE regress_privileges_owner;
SELECT polyref.declare('comments', 'commentable', ARRAY['posts', 'videos']::regclass[]);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('comments', 'commentable', ARRAY['posts', 'videos']::regclass[],
                       validate => false);
SELECT polyref.validate('comments', 'commentable');
\echo :LAST_ERROR_SQLSTATE
SELECT kind, id FROM polyref.orphans('comments', 'commentable') ORDER BY kind, id;
DELETE FROM comments WHERE id = 3;
SELECT polyref.validate('comments', 'commentable');
RESET ROLE;
SELECT validated FROM polyref.associations WHERE source = 'comments'::regclass;
SELECT * FROM state ORDER BY item;
SELECT * FROM polyref.targets WHERE source = 'comments'::regclass ORDER BY kind;
-- (From here on the owner may read the targets; the roles below may not.)
GRANT SELECT ON posts, videos, photos TO regress_privileges_owner;

--
-- add_target by the owner: 42501 without REFERENCES on the new target.  A
-- member of the owning role acts as the owner (REFERENCES inherited too).
--
SET ROLE regress_privileges_owner;
SELECT polyref.add_target('comments', 'commentable', 'photos');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT REFERENCES ON photos TO regress_privileges_owner;
SET ROLE regress_privileges_member;
SELECT polyref.add_target('comments', 'commentable', 'photos');
RESET ROLE;
SELECT kinds FROM polyref.associations WHERE source = 'comments'::regclass;

--
-- A role that does not own the source gets 42501 from every management
-- function, even holding REFERENCES on every target; nothing changes.
--
GRANT REFERENCES ON posts, videos, photos TO regress_privileges_other;
CREATE TEMP TABLE before AS SELECT * FROM state;
SET ROLE regress_privileges_other;
SELECT polyref.declare('comments', 'other', ARRAY['posts']::regclass[],
                       type_column => 'commentable_type', id_column => 'commentable_id');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.add_target('comments', 'commentable', 'posts', kind => 'Post');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.drop_target('comments', 'commentable', 'photos');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.validate('comments', 'commentable');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.rename_kind('comments', 'commentable', 'posts', 'Post');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.undeclare('comments', 'commentable');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
(SELECT * FROM state EXCEPT SELECT * FROM before)
UNION ALL
(SELECT * FROM before EXCEPT SELECT * FROM state);
SELECT kinds FROM polyref.associations WHERE source = 'comments'::regclass;
SELECT commentable_type FROM comments ORDER BY id;

-- The owner may: validate, rename_kind, drop_target.
SET ROLE regress_privileges_owner;
SELECT polyref.validate('comments', 'commentable');
SELECT polyref.rename_kind('comments', 'commentable', 'posts', 'Post') AS renamed;
SELECT polyref.drop_target('comments', 'commentable', 'photos');
RESET ROLE;
SELECT kinds FROM polyref.associations WHERE source = 'comments'::regclass;

--
-- orphans needs SELECT on the source (and nothing on the targets).
--
ALTER TABLE comments DISABLE TRIGGER ALL;
INSERT INTO comments VALUES (4, 'videos', 404);
ALTER TABLE comments ENABLE TRIGGER ALL;
SET ROLE regress_privileges_other;
SELECT kind, id FROM polyref.orphans('comments', 'commentable');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT SELECT ON comments TO regress_privileges_other;
SET ROLE regress_privileges_other;
SELECT kind, id FROM polyref.orphans('comments', 'commentable') ORDER BY kind, id;
RESET ROLE;
DELETE FROM comments WHERE id = 4;

--
-- The catalog views are readable by any role.
--
SET ROLE regress_privileges_writer;
SELECT source, association, type_column, id_column, validated, kinds
  FROM polyref.associations ORDER BY source::text, association;
SELECT * FROM polyref.targets ORDER BY source::text, association, kind;
RESET ROLE;

--
-- A role that may only INSERT into the source: its rows are checked (as
-- the source's owner, although it may not read the targets), and, as
-- natively, the DETAIL leaves out key values it may not SELECT.  It cannot
-- declare, nor write the configuration tables directly.
--
GRANT INSERT ON comments TO regress_privileges_writer;
SET ROLE regress_privileges_writer;
INSERT INTO comments VALUES (5, 'Post', 1);
INSERT INTO comments VALUES (6, 'Post', 404);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('comments', 'other', ARRAY['posts']::regclass[],
                       type_column => 'commentable_type', id_column => 'commentable_id');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO polyref.config_association
    (source, association, type_column, id_column, on_delete, on_update,
     is_deferrable, initially_deferred, validated)
VALUES ('comments', 'other', 'commentable_type', 'commentable_id', 'no action', 'no action',
        true, true, true);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO polyref.config_kind (source, association, kind, target, key_column)
VALUES ('comments', 'commentable', 'Gadget', 'photos', 'id');
\echo :LAST_ERROR_SQLSTATE
UPDATE polyref.config_association SET validated = false;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM polyref.config_kind;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- Not even the source's owner may.
SET ROLE regress_privileges_owner;
DELETE FROM polyref.config_kind WHERE source = 'comments'::regclass;
\echo :LAST_ERROR_SQLSTATE
UPDATE polyref.config_association SET on_delete = 'cascade' WHERE source = 'comments'::regclass;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT association, on_delete, validated, kinds
  FROM polyref.associations WHERE source = 'comments'::regclass;
SELECT id, commentable_type, commentable_id FROM comments ORDER BY id;

--
-- The owner may undeclare; everything goes.
--
SET ROLE regress_privileges_owner;
SELECT polyref.undeclare('comments', 'commentable');
SELECT polyref.undeclare('likes', 'likeable');
RESET ROLE;
SELECT * FROM state ORDER BY item;

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA privileges CASCADE;
RESET client_min_messages;
DROP ROLE regress_privileges_member;
DROP ROLE regress_privileges_owner;
DROP ROLE regress_privileges_other;
DROP ROLE regress_privileges_writer;
