--
-- declare: SPEC's "Declaring" section.  declare() and its parameters and
-- defaults, add_target, drop_target, undeclare, validate, orphans,
-- rename_kind, the catalog views, SET CONSTRAINTS on an association, and two
-- kinds naming one table.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS polyref;
RESET client_min_messages;
CREATE SCHEMA declare; SET search_path = declare, public;

-- Helpers: the triggers on this schema's tables (events decoded from
-- tgtype), and the indexes that are not primary keys.
CREATE VIEW triggers AS
SELECT c.relname AS "table", t.tgname AS trigger,
       t.tgconstraint <> 0 AS is_constraint,
       t.tgdeferrable AS deferrable, t.tginitdeferred AS initially_deferred,
       CASE WHEN t.tgtype & 1 <> 0 THEN 'row' ELSE 'statement' END AS level,
       concat_ws(' or ',
                 CASE WHEN t.tgtype & 4 <> 0 THEN 'insert' END,
                 CASE WHEN t.tgtype & 16 <> 0 THEN 'update' END,
                 CASE WHEN t.tgtype & 8 <> 0 THEN 'delete' END,
                 CASE WHEN t.tgtype & 32 <> 0 THEN 'truncate' END) AS events
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = 'declare'::regnamespace;
CREATE VIEW indexes AS
SELECT c.relname AS "table", i.relname AS index,
       regexp_replace(pg_get_indexdef(x.indexrelid), '.* USING ', '') AS definition
  FROM pg_index x
  JOIN pg_class i ON i.oid = x.indexrelid
  JOIN pg_class c ON c.oid = x.indrelid
 WHERE c.relnamespace = 'declare'::regnamespace AND NOT x.indisprimary;

CREATE TABLE posts (id bigint PRIMARY KEY, title text);
CREATE TABLE videos (id bigint PRIMARY KEY, title text);
CREATE TABLE photos (id bigint PRIMARY KEY, caption text);
INSERT INTO posts VALUES (1, 'post 1'), (2, 'post 2'), (3, 'post 3'), (4, 'post 4');
INSERT INTO videos VALUES (1, 'video 1'), (10, 'video 10');
INSERT INTO photos VALUES (5, 'photo 5');

--
-- declare with targets only: the columns default to <name>_type and
-- <name>_id, each kind is its table's name, and the other parameters take
-- their defaults (no action, deferrable initially deferred, validated).
--
CREATE TABLE comments (id int PRIMARY KEY, body text,
                       commentable_type text, commentable_id bigint);
INSERT INTO comments VALUES (1, 'on post 1', 'posts', 1), (2, 'on video 10', 'videos', 10),
                            (3, 'on nothing', NULL, NULL);
SELECT polyref.declare('comments', 'commentable', targets => ARRAY['videos', 'posts']::regclass[]);
SELECT * FROM polyref.associations WHERE source = 'comments'::regclass;
SELECT * FROM polyref.targets WHERE source = 'comments'::regclass ORDER BY kind;

-- It is enforced, at COMMIT by default: a dangling row is accepted by its
-- statement and refused by the COMMIT.
BEGIN;
INSERT INTO comments VALUES (4, 'dangling', 'posts', 999);
SELECT 'not checked yet' AS inside_transaction;
COMMIT;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO comments VALUES (4, 'on post 2', 'posts', 2);
SELECT id, commentable_type, commentable_id FROM comments ORDER BY id;

--
-- declare with targets and kinds: kinds label the targets one for one, and
-- the table name is then not a kind.
--
CREATE TABLE likes (id int PRIMARY KEY, likeable_type text, likeable_id bigint);
SELECT polyref.declare('likes', 'likeable', targets => ARRAY['posts', 'videos']::regclass[],
                       kinds => ARRAY['Post', 'Video']);
SELECT association, kinds FROM polyref.associations WHERE source = 'likes'::regclass;
SELECT * FROM polyref.targets WHERE source = 'likes'::regclass ORDER BY kind;
INSERT INTO likes VALUES (1, 'Post', 1), (2, 'Video', 10), (3, 'Post', 2);
INSERT INTO likes VALUES (4, 'posts', 1);
\echo :LAST_ERROR_SQLSTATE

--
-- type_column and id_column name other columns than <name>_type/<name>_id
-- (and the kind column may be varchar).
--
CREATE TABLE taggings (id int PRIMARY KEY, tag text, target_kind varchar(20), target_ref bigint);
SELECT polyref.declare('taggings', 'taggable', targets => ARRAY['posts']::regclass[],
                       type_column => 'target_kind', id_column => 'target_ref');
SELECT association, type_column, id_column, kinds
  FROM polyref.associations WHERE source = 'taggings'::regclass;
SELECT * FROM indexes WHERE "table" = 'taggings';
INSERT INTO taggings VALUES (1, 'pg', 'posts', 2);
INSERT INTO taggings VALUES (2, 'pg', 'posts', 3000);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM taggings ORDER BY id;

--
-- on_delete and on_update: each of the five actions is accepted for either
-- (case does not matter), stored in lower case, and shown in
-- polyref.associations.  On the target, no action goes to the association's
-- constraint trigger, the other actions to the polyref_actions row trigger.
--
CREATE TABLE notes (id bigint PRIMARY KEY);
CREATE TABLE annotations (id int PRIMARY KEY,
                          a_type text, a_id bigint, b_type text, b_id bigint,
                          c_type text, c_id bigint, d_type text, d_id bigint,
                          e_type text, e_id bigint);
SELECT polyref.declare('annotations', 'a', ARRAY['notes']::regclass[]);
SELECT polyref.declare('annotations', 'b', ARRAY['notes']::regclass[],
                       on_delete => 'restrict', on_update => 'cascade');
SELECT polyref.declare('annotations', 'c', ARRAY['notes']::regclass[],
                       on_delete => 'cascade', on_update => 'set null');
SELECT polyref.declare('annotations', 'd', ARRAY['notes']::regclass[],
                       on_delete => 'set null', on_update => 'SET DEFAULT');
SELECT polyref.declare('annotations', 'e', ARRAY['notes']::regclass[],
                       on_delete => 'Set Default', on_update => 'restrict');
SELECT association, on_delete, on_update
  FROM polyref.associations WHERE source = 'annotations'::regclass ORDER BY association;
SELECT "table", trigger, is_constraint, level, events
  FROM triggers WHERE "table" = 'notes' ORDER BY trigger;
-- An association whose actions are both not "no action" has no constraint
-- trigger on the target; on_delete cascade alone leaves UPDATE to it.
SELECT polyref.undeclare('annotations', 'a');
SELECT polyref.undeclare('annotations', 'd');
SELECT polyref.undeclare('annotations', 'e');
SELECT polyref.declare('annotations', 'a', ARRAY['notes']::regclass[], on_delete => 'cascade');
SELECT "table", trigger, is_constraint, level, events
  FROM triggers WHERE "table" = 'notes' ORDER BY trigger;

--
-- is_deferrable and initially_deferred: stored in polyref.associations and
-- carried by the constraint trigger named after the association, on the
-- source (INSERT, UPDATE) and on the target (UPDATE, DELETE for no action).
--
CREATE TABLE items (id bigint PRIMARY KEY);
INSERT INTO items VALUES (1);
CREATE TABLE item_refs (id int PRIMARY KEY,
                        later_type text, later_id bigint,
                        soon_type text, soon_id bigint,
                        now_type text, now_id bigint);
SELECT polyref.declare('item_refs', 'later', ARRAY['items']::regclass[]);
SELECT polyref.declare('item_refs', 'soon', ARRAY['items']::regclass[], initially_deferred => false);
SELECT polyref.declare('item_refs', 'now', ARRAY['items']::regclass[],
                       is_deferrable => false, initially_deferred => false);
SELECT association, is_deferrable, initially_deferred
  FROM polyref.associations WHERE source = 'item_refs'::regclass ORDER BY association;
SELECT * FROM triggers WHERE "table" IN ('items', 'item_refs') ORDER BY "table", trigger;
-- later: checked at COMMIT, so the target row may come afterwards.
BEGIN;
INSERT INTO item_refs (id, later_type, later_id) VALUES (1, 'items', 2);
INSERT INTO items VALUES (2);
COMMIT;
-- soon: checked at the end of the statement ...
INSERT INTO item_refs (id, soon_type, soon_id) VALUES (2, 'items', 3);
\echo :LAST_ERROR_SQLSTATE
-- ... unless deferred with SET CONSTRAINTS.
BEGIN;
SET CONSTRAINTS soon DEFERRED;
INSERT INTO item_refs (id, soon_type, soon_id) VALUES (2, 'items', 3);
INSERT INTO items VALUES (3);
COMMIT;
-- now: always at the end of the statement; SET CONSTRAINTS cannot defer it.
BEGIN;
SET CONSTRAINTS now DEFERRED;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SET CONSTRAINTS ALL DEFERRED;
INSERT INTO item_refs (id, now_type, now_id) VALUES (3, 'items', 4);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT * FROM item_refs ORDER BY id;

--
-- validate => true (the default) checks existing rows: a violation raises
-- 23503 and leaves nothing declared (no catalog row, trigger or index).
--
CREATE TABLE legacy (id int PRIMARY KEY, note text, owner_type text, owner_id bigint);
INSERT INTO legacy VALUES (1, NULL, 'posts', 1), (2, NULL, 'posts', 404);
SELECT polyref.declare('legacy', 'owner', targets => ARRAY['posts']::regclass[]);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS declared FROM polyref.associations WHERE source = 'legacy'::regclass;
SELECT count(*) AS kinds FROM polyref.targets WHERE source = 'legacy'::regclass;
SELECT * FROM triggers WHERE "table" = 'legacy' OR trigger = 'owner';
SELECT * FROM indexes WHERE "table" = 'legacy';

--
-- validate => false is NOT VALID: declared with validated = false; new and
-- changed references are checked, untouched old rows are not; validate()
-- fails while a bad row remains, and marks the association validated once
-- the rows are fixed.
--
SELECT polyref.declare('legacy', 'owner', targets => ARRAY['posts']::regclass[], validate => false);
SELECT association, validated, kinds FROM polyref.associations WHERE source = 'legacy'::regclass;
SELECT trigger, events FROM triggers WHERE "table" = 'legacy' ORDER BY trigger;
INSERT INTO legacy VALUES (3, NULL, 'posts', 405);
\echo :LAST_ERROR_SQLSTATE
UPDATE legacy SET note = 'not a key change' WHERE id = 2;
SELECT polyref.validate('legacy', 'owner');
\echo :LAST_ERROR_SQLSTATE
SELECT validated FROM polyref.associations WHERE source = 'legacy'::regclass;
UPDATE legacy SET owner_id = 2 WHERE id = 2;
SELECT polyref.validate('legacy', 'owner');
SELECT validated FROM polyref.associations WHERE source = 'legacy'::regclass;
SELECT * FROM legacy ORDER BY id;

--
-- create_index: true (the default) makes an index on (type, id), as for
-- comments above; false makes none; an index that already leads with
-- (type, id) is used instead of a second one, one that does not lead with
-- them is not.
--
SELECT * FROM indexes WHERE "table" IN ('comments', 'likes') ORDER BY "table", index;
CREATE TABLE visits (id int PRIMARY KEY, visitable_type text, visitable_id bigint);
SELECT polyref.declare('visits', 'visitable', ARRAY['posts']::regclass[], create_index => false);
SELECT * FROM indexes WHERE "table" = 'visits';
CREATE TABLE shares (id int PRIMARY KEY, shareable_type text, shareable_id bigint, shared_at date);
CREATE INDEX shares_by_target ON shares (shareable_type, shareable_id, shared_at);
SELECT polyref.declare('shares', 'shareable', ARRAY['posts']::regclass[]);
SELECT * FROM indexes WHERE "table" = 'shares' ORDER BY index;
CREATE TABLE pins (id int PRIMARY KEY, pinnable_type text, pinnable_id bigint);
CREATE INDEX pins_by_id ON pins (pinnable_id, pinnable_type);
SELECT polyref.declare('pins', 'pinnable', ARRAY['posts']::regclass[]);
SELECT * FROM indexes WHERE "table" = 'pins' ORDER BY index;

--
-- declare with no targets: kinds is '{}', and only a NULL pair satisfies it.
--
CREATE TABLE attachments (id int PRIMARY KEY, attachable_type text, attachable_id bigint);
SELECT polyref.declare('attachments', 'attachable');
SELECT association, kinds, kinds = '{}' AS no_kinds, validated
  FROM polyref.associations WHERE source = 'attachments'::regclass;
SELECT count(*) AS targets FROM polyref.targets WHERE source = 'attachments'::regclass;
INSERT INTO attachments VALUES (1, NULL, NULL);
INSERT INTO attachments VALUES (2, 'posts', 1);
\echo :LAST_ERROR_SQLSTATE

--
-- add_target: kind defaults to the target's unqualified table name (also
-- for a table in another schema); kind => 'Photo' gives a Rails class name;
-- key_column defaults to the single-column primary key, whatever its name.
--
CREATE SCHEMA declare_media;
CREATE TABLE declare_media.albums (id bigint PRIMARY KEY);
INSERT INTO declare_media.albums VALUES (7);
CREATE TABLE files (file_no bigint PRIMARY KEY, name text);
INSERT INTO files VALUES (70, 'a file');
SELECT polyref.add_target('attachments', 'attachable', 'declare_media.albums');
SELECT polyref.add_target('attachments', 'attachable', 'photos', kind => 'Photo');
SELECT polyref.add_target('attachments', 'attachable', 'files');
SELECT kinds FROM polyref.associations WHERE source = 'attachments'::regclass;
SELECT kind, target, key_column FROM polyref.targets
 WHERE source = 'attachments'::regclass ORDER BY kind;
INSERT INTO attachments VALUES (2, 'albums', 7), (3, 'Photo', 5), (4, 'files', 70);
-- the key is file_no: file 4 does not exist, and 'photos' is not a kind.
INSERT INTO attachments VALUES (5, 'files', 4);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO attachments VALUES (5, 'photos', 5);
\echo :LAST_ERROR_SQLSTATE

--
-- add_target checks the existing rows of the new kind (23503, and the kind
-- is not added) ...
--
ALTER TABLE attachments DISABLE TRIGGER ALL;
INSERT INTO attachments VALUES (10, 'Video', 10), (11, 'Video', 999);
ALTER TABLE attachments ENABLE TRIGGER ALL;
SELECT polyref.add_target('attachments', 'attachable', 'videos', kind => 'Video');
\echo :LAST_ERROR_SQLSTATE
SELECT kinds FROM polyref.associations WHERE source = 'attachments'::regclass;
SELECT * FROM triggers WHERE "table" = 'videos' AND trigger = 'attachable';
DELETE FROM attachments WHERE id = 11;
SELECT polyref.add_target('attachments', 'attachable', 'videos', kind => 'Video');
SELECT kinds FROM polyref.associations WHERE source = 'attachments'::regclass;

-- ... unless the association is NOT VALID (then they are orphans).
CREATE TABLE imports (id int PRIMARY KEY, item_type text, item_id bigint);
INSERT INTO imports VALUES (1, 'posts', 1), (2, 'Video', 999);
SELECT polyref.declare('imports', 'item', ARRAY['posts']::regclass[], validate => false);
SELECT polyref.add_target('imports', 'item', 'videos', kind => 'Video');
SELECT validated, kinds FROM polyref.associations WHERE source = 'imports'::regclass;
SELECT kind, id FROM polyref.orphans('imports', 'item');

--
-- key_column names a column with a unique index (not the primary key): a
-- slug matched by a text id, a uuid matched by a uuid id.  Enforcement uses
-- that column, on both sides.
--
CREATE TABLE pages (id bigint PRIMARY KEY, slug text NOT NULL);
CREATE UNIQUE INDEX pages_slug ON pages (slug);
INSERT INTO pages VALUES (1, 'home'), (2, 'about');
CREATE TABLE bookmarks (id int PRIMARY KEY, bookmarkable_type text, bookmarkable_id text);
SELECT polyref.declare('bookmarks', 'bookmarkable');
SELECT polyref.add_target('bookmarks', 'bookmarkable', 'pages', kind => 'Page', key_column => 'slug');
SELECT kind, target, key_column FROM polyref.targets WHERE source = 'bookmarks'::regclass;
INSERT INTO bookmarks VALUES (1, 'Page', 'about');
INSERT INTO bookmarks VALUES (2, 'Page', '1');
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SET CONSTRAINTS bookmarkable IMMEDIATE;
DELETE FROM pages WHERE slug = 'about';
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SET CONSTRAINTS bookmarkable IMMEDIATE;
UPDATE pages SET slug = 'about-us' WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- the primary key is not the key: changing it is free.
UPDATE pages SET id = 20 WHERE slug = 'about';

CREATE TABLE documents (id bigint PRIMARY KEY, uid uuid NOT NULL UNIQUE);
INSERT INTO documents VALUES (1, '00000000-0000-0000-0000-000000000001');
CREATE TABLE signatures (id int PRIMARY KEY, signable_type text, signable_id uuid);
SELECT polyref.declare('signatures', 'signable');
SELECT polyref.add_target('signatures', 'signable', 'documents', kind => 'Document', key_column => 'uid');
SELECT kind, target, key_column FROM polyref.targets WHERE source = 'signatures'::regclass;
INSERT INTO signatures VALUES (1, 'Document', '00000000-0000-0000-0000-000000000001');
INSERT INTO signatures VALUES (2, 'Document', '00000000-0000-0000-0000-000000000002');
\echo :LAST_ERROR_SQLSTATE

--
-- drop_target: removes the kind with a NOTICE.  With no rows of that kind
-- left the association stays validated, and the target loses the
-- association's triggers; with rows left it becomes validated = false and
-- those rows are orphans.
--
DELETE FROM attachments WHERE attachable_type = 'files';
SELECT polyref.drop_target('attachments', 'attachable', 'files');
SELECT validated, kinds FROM polyref.associations WHERE source = 'attachments'::regclass;
SELECT * FROM triggers WHERE "table" = 'files';
SELECT polyref.drop_target('attachments', 'attachable', 'Photo');
SELECT validated, kinds FROM polyref.associations WHERE source = 'attachments'::regclass;
SELECT a.id, o.tableoid, o.ctid IS NOT NULL AS has_ctid, o.kind, o.id
  FROM polyref.orphans('attachments', 'attachable') o
  JOIN attachments a ON a.ctid = o.ctid
 ORDER BY o.kind, o.id;
DELETE FROM attachments WHERE attachable_type = 'Photo';
SELECT polyref.validate('attachments', 'attachable');
SELECT validated, kinds FROM polyref.associations WHERE source = 'attachments'::regclass;

--
-- orphans: lists every violating row with its table, ctid, kind and id: an
-- unknown kind, a missing key, and half-NULL pairs (MATCH FULL).
--
INSERT INTO posts VALUES (5, 'post 5');
CREATE TABLE reviews (id int PRIMARY KEY, reviewable_type text, reviewable_id bigint);
INSERT INTO reviews VALUES
    (1, 'posts', 5),      -- fine
    (2, 'posts', 404),    -- missing key
    (3, 'Gadget', 1),     -- unknown kind
    (4, NULL, 7),         -- half NULL
    (5, 'posts', NULL),   -- half NULL
    (6, NULL, NULL),      -- fine
    (7, 'videos', 10);    -- fine
SELECT polyref.declare('reviews', 'reviewable', ARRAY['posts', 'videos']::regclass[], validate => false);
SELECT o.tableoid, o.ctid IS NOT NULL AS has_ctid, o.kind, o.id, r.id AS row_id
  FROM polyref.orphans('reviews', 'reviewable') o
  JOIN reviews r ON r.ctid = o.ctid
 ORDER BY o.kind, o.id;
-- validate() names the first violation and fails.
SELECT polyref.validate('reviews', 'reviewable');
\echo :LAST_ERROR_SQLSTATE
-- Fixing the rows empties the list; validate() then succeeds.
DELETE FROM reviews WHERE id IN (2, 3, 4, 5);
SELECT * FROM polyref.orphans('reviews', 'reviewable');
SELECT polyref.validate('reviews', 'reviewable');
SELECT validated FROM polyref.associations WHERE source = 'reviews'::regclass;

--
-- rename_kind: renames the kind in the catalog and in every row that
-- carries it (only those) in one call, returns the number of rows changed,
-- and enforcement goes on under the new kind.
--
SELECT likeable_type, likeable_id FROM likes ORDER BY id;
SELECT polyref.rename_kind('likes', 'likeable', 'Post', 'BlogPost') AS renamed;
SELECT kinds FROM polyref.associations WHERE source = 'likes'::regclass;
SELECT kind, target FROM polyref.targets WHERE source = 'likes'::regclass ORDER BY kind;
SELECT likeable_type, likeable_id FROM likes ORDER BY id;
INSERT INTO likes VALUES (5, 'BlogPost', 3);
INSERT INTO likes VALUES (6, 'Post', 3);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO likes VALUES (6, 'BlogPost', 3000);
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SET CONSTRAINTS likeable IMMEDIATE;
DELETE FROM posts WHERE id = 3;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- A kind of a target in another schema, carried by one row.
SELECT polyref.rename_kind('attachments', 'attachable', 'albums', 'Album') AS renamed;
SELECT kinds FROM polyref.associations WHERE source = 'attachments'::regclass;
SELECT id, attachable_type, attachable_id FROM attachments ORDER BY id;
-- A kind no row carries: renamed in the catalog, 0 rows; other associations'
-- rows with the same label (reviews) are untouched.
SELECT polyref.rename_kind('pins', 'pinnable', 'posts', 'Post') AS renamed;
SELECT kinds FROM polyref.associations WHERE source = 'pins'::regclass;
SELECT id, reviewable_type, reviewable_id FROM reviews ORDER BY id;

--
-- The catalog: polyref.associations (kinds sorted, byte order, '{}' without
-- targets) and polyref.targets, for everything declared so far.
--
SELECT * FROM polyref.associations ORDER BY source::text, association;
SELECT * FROM polyref.targets ORDER BY source::text, association, kind;

--
-- SET CONSTRAINTS <association> IMMEDIATE and SET CONSTRAINTS ALL IMMEDIATE
-- act on the association: a violation errors at once instead of at COMMIT.
--
-- Pending checks run when the constraint is made immediate.
BEGIN;
INSERT INTO comments VALUES (10, 'dangling', 'videos', 999);
SELECT 'not checked yet' AS inside_transaction;
SET CONSTRAINTS commentable IMMEDIATE;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- After SET CONSTRAINTS <name> IMMEDIATE, at the statement.
BEGIN;
SET CONSTRAINTS commentable IMMEDIATE;
INSERT INTO comments VALUES (10, 'dangling', 'videos', 999);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- Schema-qualified, as for native constraints.
BEGIN;
SET CONSTRAINTS declare.commentable IMMEDIATE;
INSERT INTO comments VALUES (10, 'dangling', 'videos', 999);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- After SET CONSTRAINTS ALL IMMEDIATE, on both sides (on videos, the first
-- association by name to find video 10 referenced reports it).
BEGIN;
SET CONSTRAINTS ALL IMMEDIATE;
INSERT INTO comments VALUES (10, 'dangling', 'videos', 999);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SET CONSTRAINTS ALL IMMEDIATE;
DELETE FROM videos WHERE id = 10;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- Another association stays deferred: only the COMMIT refuses this one.
BEGIN;
SET CONSTRAINTS commentable IMMEDIATE;
INSERT INTO likes VALUES (10, 'Video', 999);
SELECT 'likeable still deferred' AS inside_transaction;
COMMIT;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS dangling FROM comments WHERE id = 10;

--
-- Two kinds naming the same table (aliases): both are enforced against it,
-- and a row referenced through either alias is protected.
--
CREATE TABLE mentions (id int PRIMARY KEY, mentionable_type text, mentionable_id bigint);
INSERT INTO posts VALUES (6, 'post 6'), (7, 'post 7');
SELECT polyref.declare('mentions', 'mentionable', ARRAY['posts', 'posts']::regclass[],
                       kinds => ARRAY['Post', 'Article']);
SELECT kinds FROM polyref.associations WHERE source = 'mentions'::regclass;
SELECT kind, target, key_column FROM polyref.targets WHERE source = 'mentions'::regclass ORDER BY kind;
SELECT * FROM triggers WHERE "table" = 'posts' AND trigger = 'mentionable';
INSERT INTO mentions VALUES (1, 'Post', 6), (2, 'Article', 7);
INSERT INTO mentions VALUES (3, 'Article', 999);
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SET CONSTRAINTS mentionable IMMEDIATE;
DELETE FROM posts WHERE id = 7;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SET CONSTRAINTS mentionable IMMEDIATE;
DELETE FROM posts WHERE id = 6;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- Dropping one alias keeps the other and the target's triggers.
DELETE FROM mentions WHERE mentionable_type = 'Article';
SELECT polyref.drop_target('mentions', 'mentionable', 'Article');
SELECT kinds, validated FROM polyref.associations WHERE source = 'mentions'::regclass;
SELECT * FROM triggers WHERE "table" = 'posts' AND trigger = 'mentionable';

--
-- undeclare: removes the catalog rows, the association's triggers on the
-- source and on its targets, and the index declare made ...
--
SELECT * FROM triggers WHERE trigger = 'commentable' OR "table" = 'comments' ORDER BY "table", trigger;
SELECT polyref.undeclare('comments', 'commentable');
SELECT count(*) AS associations FROM polyref.associations WHERE source = 'comments'::regclass;
SELECT count(*) AS targets FROM polyref.targets WHERE source = 'comments'::regclass;
SELECT * FROM triggers WHERE trigger = 'commentable' OR "table" = 'comments';
SELECT * FROM indexes WHERE "table" = 'comments';
-- (videos, target of nothing else but attachments, imports and likes, keeps those)
SELECT trigger FROM triggers WHERE "table" = 'videos' ORDER BY trigger;
-- nothing is enforced any more.
INSERT INTO comments VALUES (10, 'dangling', 'videos', 999);
-- ... but not an index that was there before.
SELECT polyref.undeclare('shares', 'shareable');
SELECT * FROM indexes WHERE "table" = 'shares';
SELECT * FROM triggers WHERE "table" = 'shares';
-- A target of no association any more has no polyref trigger left.
SELECT polyref.undeclare('annotations', 'a');
SELECT polyref.undeclare('annotations', 'b');
SELECT polyref.undeclare('annotations', 'c');
SELECT * FROM triggers WHERE "table" IN ('notes', 'annotations');

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA declare_media CASCADE;
DROP SCHEMA declare CASCADE;
RESET client_min_messages;
SELECT count(*) AS left_over FROM polyref.associations;
