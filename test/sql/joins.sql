--
-- joins: SPEC's "Joining" section.  resolve, resolve_many, referrers and
-- create_join_view, each compared with the hand-written query it stands for,
-- on a realistic schema: comments on posts (bigint keys), videos (uuid keys)
-- and pages (text keys) through one text id column (SPEC's text-id rule);
-- users and organizations holding accesses to posts and repositories (the
-- access-control example and its two questions); index use; join views kept
-- in step with their association; the caller's rights; every bad input with
-- its SQLSTATE.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS polyref;
RESET client_min_messages;
CREATE SCHEMA joins; SET search_path = joins, public;

-- ---------------------------------------------------------------------------
-- The schema.

CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE organizations (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE memberships (
    user_id         bigint REFERENCES users,
    organization_id bigint REFERENCES organizations,
    PRIMARY KEY (user_id, organization_id));
CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL, author_id bigint REFERENCES users);
CREATE TABLE videos (id uuid PRIMARY KEY, title text NOT NULL);
CREATE TABLE pages (slug text PRIMARY KEY, title text NOT NULL);
CREATE TABLE repositories (id bigint PRIMARY KEY, name text NOT NULL, organization_id bigint REFERENCES organizations);

INSERT INTO users SELECT g, 'user ' || g FROM generate_series(1, 50) g;
INSERT INTO organizations SELECT g, 'org ' || g FROM generate_series(1, 5) g;
INSERT INTO memberships SELECT u, u % 5 + 1 FROM generate_series(1, 50) u; -- user 7 is in org 3
INSERT INTO posts SELECT g, 'post ' || g, g % 50 + 1 FROM generate_series(1, 3000) g;
INSERT INTO videos SELECT ('00000000-0000-0000-0000-' || lpad(to_hex(g), 12, '0'))::uuid, 'video ' || g
  FROM generate_series(1, 500) g;
INSERT INTO pages SELECT 'page-' || g, 'Page ' || g FROM generate_series(1, 2000) g;
INSERT INTO repositories SELECT g, 'repo ' || g, g % 5 + 1 FROM generate_series(1, 300) g;

-- Rails' belongs_to :commentable, polymorphic: true, with a text id column
-- pointing at keys of three types.
CREATE TABLE comments (id bigint PRIMARY KEY, body text NOT NULL, commentable_type text, commentable_id text);
SELECT polyref.declare('comments', 'commentable',
                       targets => ARRAY['posts', 'videos', 'pages']::regclass[],
                       kinds   => ARRAY['Post', 'Video', 'Page']);
INSERT INTO comments
SELECT g, 'comment ' || g,
       (ARRAY['Post', 'Video', 'Page', NULL])[g % 4 + 1],
       CASE g % 4 WHEN 0 THEN (g % 3000 + 1)::text
                  WHEN 1 THEN '00000000-0000-0000-0000-' || lpad(to_hex(g % 500 + 1), 12, '0')
                  WHEN 2 THEN 'page-' || (g % 2000 + 1)
       END
  FROM generate_series(1, 8000) g;

-- Who may do what: an access is held by a user or an organization, on a post
-- or a repository.
CREATE TYPE access_level AS ENUM ('read', 'write', 'admin');
CREATE TABLE accesses (
    id            bigint PRIMARY KEY,
    owner_type    text NOT NULL,
    owner_id      bigint NOT NULL,
    resource_type text NOT NULL,
    resource_id   bigint NOT NULL,
    level         access_level NOT NULL);
SELECT polyref.declare('accesses', 'owner', ARRAY['users', 'organizations']::regclass[], ARRAY['User', 'Organization']);
SELECT polyref.declare('accesses', 'resource', ARRAY['posts', 'repositories']::regclass[], ARRAY['Post', 'Repository']);
INSERT INTO accesses VALUES
    (1, 'User',         7, 'Post',       42, 'read'),
    (2, 'Organization', 3, 'Post',       42, 'write'),  -- user 7 through org 3
    (3, 'User',         8, 'Post',       42, 'admin'),  -- someone else
    (4, 'User',         7, 'Post',       43, 'admin'),
    (5, 'Organization', 3, 'Repository',  9, 'read'),
    (6, 'Organization', 4, 'Post',       44, 'admin'),  -- not user 7's org
    (7, 'Organization', 3, 'Post',     2999, 'read');
-- Many others, none of them user 7's nor org 3's.
INSERT INTO accesses
SELECT 100 + g,
       CASE WHEN g % 3 = 0 THEN 'Organization' ELSE 'User' END,
       CASE WHEN g % 3 = 0 THEN 4 + g % 2 ELSE 10 + g % 40 END,
       CASE WHEN g % 5 = 0 THEN 'Repository' ELSE 'Post' END,
       CASE WHEN g % 5 = 0 THEN g % 300 + 1 ELSE g * 7 % 3000 + 1 END,
       (ARRAY['read', 'write', 'admin']::access_level[])[g % 3 + 1]
  FROM generate_series(1, 3000) g;

-- Another schema points at posts too (referrers reaches every schema).
CREATE SCHEMA joins_elsewhere;
CREATE TABLE joins_elsewhere.bookmarks (id int PRIMARY KEY, bookmarkable_type text, bookmarkable_id bigint);
SELECT polyref.declare('joins_elsewhere.bookmarks', 'bookmarkable', ARRAY['posts']::regclass[], ARRAY['Post']);
INSERT INTO joins_elsewhere.bookmarks VALUES (1, 'Post', 42), (2, 'Post', 43), (3, 'Post', 42);
ANALYZE;

-- ---------------------------------------------------------------------------
-- resolve: the row as to_jsonb(row), NULL when absent.

SELECT polyref.resolve('comments', 'commentable', 'Post', 42);           -- an integer literal, bigint key
SELECT polyref.resolve('comments', 'commentable', 'Post', 42::smallint)
     = polyref.resolve('comments', 'commentable', 'Post', 42::bigint) AS same_row;
SELECT polyref.resolve('comments', 'commentable', 'Post', '42'::text);   -- canonical text
SELECT polyref.resolve('comments', 'commentable', 'Video', '00000000-0000-0000-0000-00000000000a'::uuid);
SELECT polyref.resolve('comments', 'commentable', 'Video', '00000000-0000-0000-0000-00000000000a'::text);
SELECT polyref.resolve('comments', 'commentable', 'Page', 'page-7'::text);
SELECT polyref.resolve('comments', 'commentable', 'Page', 'page-7'::varchar);
-- The text-id rule: only the key's canonical text form finds it.
SELECT t.id, polyref.resolve('comments', 'commentable', t.kind, t.id) AS target
  FROM (VALUES ('Post', '042'), ('Post', ' 42'), ('Post', '+42'), ('Post', '42.0'), ('Post', '99999999999999999999'),
               ('Video', '00000000-0000-0000-0000-00000000000A'), ('Video', '{00000000-0000-0000-0000-00000000000a}'),
               ('Video', '000000000000000000000000000000000000000a'), ('Page', 'Page-7')) AS t(kind, id);
-- Absent, and NULL references.
SELECT polyref.resolve('comments', 'commentable', 'Post', 3001) AS absent,
       polyref.resolve('comments', 'commentable', 'Post', NULL::bigint) AS null_id,
       polyref.resolve('comments', 'commentable', NULL, 42) AS null_kind;
-- Against the hand-written lookup, for every comment.
SELECT count(*) AS comments,
       count(*) FILTER (WHERE polyref.resolve('comments', 'commentable', c.commentable_type, c.commentable_id)
                              IS DISTINCT FROM
                              CASE c.commentable_type
                                  WHEN 'Post' THEN (SELECT to_jsonb(p) FROM posts p WHERE p.id::text = c.commentable_id)
                                  WHEN 'Video' THEN (SELECT to_jsonb(v) FROM videos v WHERE v.id::text = c.commentable_id)
                                  WHEN 'Page' THEN (SELECT to_jsonb(g) FROM pages g WHERE g.slug = c.commentable_id)
                              END) AS different,
       count(*) FILTER (WHERE polyref.resolve('comments', 'commentable', c.commentable_type, c.commentable_id) IS NULL)
           AS unresolved
  FROM comments c;
-- A bigint id column: the same, for the owners of every access.
SELECT count(*) FILTER (WHERE polyref.resolve('accesses', 'owner', a.owner_type, a.owner_id)
                              IS DISTINCT FROM
                              CASE a.owner_type
                                  WHEN 'User' THEN (SELECT to_jsonb(u) FROM users u WHERE u.id = a.owner_id)
                                  WHEN 'Organization' THEN (SELECT to_jsonb(o) FROM organizations o WHERE o.id = a.owner_id)
                              END) AS different
  FROM accesses a;

-- ---------------------------------------------------------------------------
-- resolve_many: eager loading, one row per distinct (kind, id) found.

SELECT * FROM polyref.resolve_many('comments', 'commentable',
    ARRAY['Post', 'Video', 'Post', 'Page', 'Post', NULL, 'Page', 'Post', 'Video', 'Post'],
    ARRAY['1', '00000000-0000-0000-0000-000000000001', '1', 'page-2', '3001', '5', NULL, '042', 'nope', '2'])
 ORDER BY kind, id;
-- ids of other types.
SELECT * FROM polyref.resolve_many('accesses', 'owner', ARRAY['User', 'Organization', 'User'], ARRAY[7, 3, 7])
 ORDER BY kind, id;
SELECT * FROM polyref.resolve_many('accesses', 'owner', ARRAY['User'], ARRAY[7::smallint]);
SELECT * FROM polyref.resolve_many('comments', 'commentable', ARRAY['Video'],
                                   ARRAY['00000000-0000-0000-0000-000000000003'::uuid]);
SELECT count(*) FROM polyref.resolve_many('comments', 'commentable', '{}', '{}'::text[]);
-- Against the hand-written joins, for all the comments at once.
CREATE TEMP TABLE eager AS
SELECT * FROM polyref.resolve_many('comments', 'commentable',
                                   (SELECT array_agg(commentable_type ORDER BY id) FROM comments),
                                   (SELECT array_agg(commentable_id ORDER BY id) FROM comments));
CREATE TEMP TABLE eager_by_hand AS
SELECT DISTINCT 'Post' AS kind, c.commentable_id AS id, to_jsonb(p) AS target
  FROM comments c JOIN posts p ON p.id::text = c.commentable_id WHERE c.commentable_type = 'Post'
UNION ALL
SELECT DISTINCT 'Video', c.commentable_id, to_jsonb(v)
  FROM comments c JOIN videos v ON v.id::text = c.commentable_id WHERE c.commentable_type = 'Video'
UNION ALL
SELECT DISTINCT 'Page', c.commentable_id, to_jsonb(g)
  FROM comments c JOIN pages g ON g.slug = c.commentable_id WHERE c.commentable_type = 'Page';
SELECT kind, count(*) FROM eager GROUP BY kind ORDER BY kind;
SELECT (SELECT count(*) FROM (SELECT * FROM eager EXCEPT ALL SELECT * FROM eager_by_hand) x) AS only_helper,
       (SELECT count(*) FROM (SELECT * FROM eager_by_hand EXCEPT ALL SELECT * FROM eager) x) AS only_by_hand;
-- Index-driven, one query per kind: no sequential scan of any target.
SELECT pg_stat_force_next_flush(); -- pg_stat_xact_* then counts this transaction alone
BEGIN;
SELECT count(*) FROM polyref.resolve_many('comments', 'commentable',
    ARRAY['Post', 'Post', 'Post', 'Video', 'Page', 'Page'],
    ARRAY['10', '20', '30', '00000000-0000-0000-0000-000000000001', 'page-1', 'page-2']);
SELECT relname, seq_scan, idx_scan > 0 AS used_index
  FROM pg_stat_xact_user_tables WHERE schemaname = 'joins' AND relname IN ('posts', 'videos', 'pages', 'comments')
 ORDER BY relname;
COMMIT;
-- The per-kind query resolve_many runs, and its plan.
PREPARE per_kind(bigint[], text[]) AS
SELECT i.id, pg_catalog.to_jsonb(t.*) FROM ONLY joins.posts t
  JOIN ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS i(key, id) ON t.id OPERATOR(pg_catalog.=) i.key
 WHERE t.id OPERATOR(pg_catalog.=) ANY ($1);
EXPLAIN (COSTS OFF) EXECUTE per_kind('{10,20,30}', '{10,20,30}');
EXECUTE per_kind('{10,20,30}', '{10,20,30}');
DEALLOCATE per_kind;

-- ---------------------------------------------------------------------------
-- referrers: every row, of every association in every schema, pointing here.

SELECT source, association, ref FROM polyref.referrers('posts', 42) ORDER BY source::text, association, ref::text;
SELECT source, association, ref FROM polyref.referrers('videos', '00000000-0000-0000-0000-000000000002'::uuid)
 ORDER BY ref->>'id';
SELECT source, association, count(*), min((ref->>'id')::bigint), max((ref->>'id')::bigint)
  FROM polyref.referrers('pages', 'page-3'::text) GROUP BY 1, 2;
SELECT count(*) FROM polyref.referrers('posts', 42::smallint);
SELECT count(*) FROM polyref.referrers('posts', '42'::text);       -- text: canonical form
SELECT count(*) FROM polyref.referrers('posts', '042'::text);
SELECT count(*) FROM polyref.referrers('posts', NULL::bigint);
SELECT count(*) FROM polyref.referrers('memberships', 1);           -- nothing points at memberships
-- Against the hand-written query, for every post.
CREATE TEMP TABLE post_referrers AS
SELECT p.id AS post, r.source::text AS source, r.association, r.ref
  FROM posts p, polyref.referrers('posts', p.id) r;
CREATE TEMP TABLE post_referrers_by_hand AS
SELECT p.id AS post, 'comments' AS source, 'commentable' AS association, to_jsonb(c) AS ref
  FROM posts p JOIN comments c ON c.commentable_type = 'Post' AND c.commentable_id = p.id::text
UNION ALL
SELECT p.id, 'accesses', 'resource', to_jsonb(a)
  FROM posts p JOIN accesses a ON a.resource_type = 'Post' AND a.resource_id = p.id
UNION ALL
SELECT p.id, 'joins_elsewhere.bookmarks', 'bookmarkable', to_jsonb(b)
  FROM posts p JOIN joins_elsewhere.bookmarks b ON b.bookmarkable_type = 'Post' AND b.bookmarkable_id = p.id;
SELECT source, association, count(*) FROM post_referrers GROUP BY 1, 2 ORDER BY 1, 2;
SELECT (SELECT count(*) FROM (SELECT * FROM post_referrers EXCEPT ALL SELECT * FROM post_referrers_by_hand) x) AS only_helper,
       (SELECT count(*) FROM (SELECT * FROM post_referrers_by_hand EXCEPT ALL SELECT * FROM post_referrers) x) AS only_by_hand;
-- It finds them with the (type, id) index.
SELECT pg_stat_force_next_flush();
BEGIN;
SELECT count(*) FROM polyref.referrers('posts', 42);
SELECT relname, seq_scan, idx_scan > 0 AS used_index FROM pg_stat_xact_user_tables
 WHERE schemaname = 'joins' AND relname IN ('comments', 'accesses') ORDER BY relname;
COMMIT;
-- A partition of a declared partitioned target: its ancestor's associations.
CREATE TABLE joins_elsewhere.events (id bigint PRIMARY KEY, name text) PARTITION BY RANGE (id);
CREATE TABLE joins_elsewhere.events_low PARTITION OF joins_elsewhere.events FOR VALUES FROM (0) TO (100);
CREATE TABLE joins_elsewhere.events_high PARTITION OF joins_elsewhere.events FOR VALUES FROM (100) TO (200);
INSERT INTO joins_elsewhere.events VALUES (5, 'low'), (150, 'high');
SELECT polyref.add_target('joins_elsewhere.bookmarks', 'bookmarkable', 'joins_elsewhere.events', 'Event');
INSERT INTO joins_elsewhere.bookmarks VALUES (4, 'Event', 150);
SELECT source, association, ref FROM polyref.referrers('joins_elsewhere.events_high', 150);
SELECT source, association, ref FROM polyref.referrers('joins_elsewhere.events', 150);
SELECT polyref.resolve('joins_elsewhere.bookmarks', 'bookmarkable', 'Event', 150);

-- ---------------------------------------------------------------------------
-- The access-control example, answered through the helpers and by hand.
--
-- "Which level does user 7 have on post 42?"  By hand:
SELECT max(a.level) AS level
  FROM accesses a
 WHERE a.resource_type = 'Post' AND a.resource_id = 42
   AND ((a.owner_type = 'User' AND a.owner_id = 7)
     OR (a.owner_type = 'Organization'
         AND a.owner_id IN (SELECT organization_id FROM memberships WHERE user_id = 7)));
-- Through referrers (has_many :accesses, as: :owner, for the user and each of
-- their organizations), the same answer for every post:
CREATE TEMP VIEW held_by_7 AS
SELECT r.ref FROM polyref.referrers('users', 7::bigint) r WHERE r.association = 'owner'
UNION ALL
SELECT r.ref FROM memberships m, polyref.referrers('organizations', m.organization_id) r
 WHERE m.user_id = 7 AND r.association = 'owner';
SELECT max((ref->>'level')::access_level) AS level
  FROM held_by_7 WHERE ref->>'resource_type' = 'Post' AND (ref->>'resource_id')::bigint = 42;
SELECT p.id, h.level AS through_helpers, b.level AS by_hand
  FROM posts p
  LEFT JOIN LATERAL (SELECT max((ref->>'level')::access_level) AS level FROM held_by_7
                      WHERE ref->>'resource_type' = 'Post' AND (ref->>'resource_id')::bigint = p.id) h ON true
  LEFT JOIN LATERAL (SELECT max(a.level) AS level FROM accesses a
                      WHERE a.resource_type = 'Post' AND a.resource_id = p.id
                        AND ((a.owner_type = 'User' AND a.owner_id = 7)
                          OR (a.owner_type = 'Organization'
                              AND a.owner_id IN (SELECT organization_id FROM memberships WHERE user_id = 7)))) b ON true
 WHERE h.level IS DISTINCT FROM b.level OR h.level IS NOT NULL
 ORDER BY p.id;
-- "Which posts can user 7 see?"  By hand:
SELECT p.* FROM posts p
 WHERE EXISTS (SELECT 1 FROM accesses a
                WHERE a.resource_type = 'Post' AND a.resource_id = p.id
                  AND ((a.owner_type = 'User' AND a.owner_id = 7)
                    OR (a.owner_type = 'Organization'
                        AND a.owner_id IN (SELECT organization_id FROM memberships WHERE user_id = 7))))
 ORDER BY p.id;
-- Through resolve_many (eager loading the resources of the accesses held):
SELECT m.target
  FROM (SELECT array_agg(ref->>'resource_type') AS kinds, array_agg((ref->>'resource_id')::bigint) AS ids
          FROM held_by_7) h,
       polyref.resolve_many('accesses', 'resource', h.kinds, h.ids) m
 WHERE m.kind = 'Post'
 ORDER BY (m.target->>'id')::bigint;
-- Through the join view of the resources:
SELECT polyref.create_join_view('accesses', 'resource');
SELECT DISTINCT r.target
  FROM accesses_resource r
 WHERE r.target_kind = 'Post'
   AND ((r.owner_type = 'User' AND r.owner_id = 7)
     OR (r.owner_type = 'Organization' AND r.owner_id IN (SELECT organization_id FROM memberships WHERE user_id = 7)))
 ORDER BY 1;
-- The three answers are one, for every user.
SELECT count(*) AS users_checked,
       count(*) FILTER (WHERE helpers IS DISTINCT FROM by_hand) AS different_resolve_many,
       count(*) FILTER (WHERE view IS DISTINCT FROM by_hand) AS different_join_view
  FROM users u,
       LATERAL (SELECT array_agg(p.id ORDER BY p.id) AS by_hand FROM posts p
                 WHERE EXISTS (SELECT 1 FROM accesses a
                                WHERE a.resource_type = 'Post' AND a.resource_id = p.id
                                  AND ((a.owner_type = 'User' AND a.owner_id = u.id)
                                    OR (a.owner_type = 'Organization'
                                        AND a.owner_id IN (SELECT organization_id FROM memberships
                                                            WHERE user_id = u.id))))) b,
       LATERAL (SELECT array_agg((m.target->>'id')::bigint ORDER BY (m.target->>'id')::bigint) AS helpers
                  FROM (SELECT coalesce(array_agg(a.resource_type), '{}') AS kinds,
                               coalesce(array_agg(a.resource_id), '{}') AS ids
                          FROM accesses a
                         WHERE (a.owner_type = 'User' AND a.owner_id = u.id)
                            OR (a.owner_type = 'Organization'
                                AND a.owner_id IN (SELECT organization_id FROM memberships WHERE user_id = u.id))) h,
                       polyref.resolve_many('accesses', 'resource', h.kinds, h.ids) m
                 WHERE m.kind = 'Post') r,
       LATERAL (SELECT array_agg(DISTINCT (v.target->>'id')::bigint) AS view
                  FROM accesses_resource v
                 WHERE v.target_kind = 'Post'
                   AND ((v.owner_type = 'User' AND v.owner_id = u.id)
                     OR (v.owner_type = 'Organization'
                         AND v.owner_id IN (SELECT organization_id FROM memberships WHERE user_id = u.id)))) j;

-- ---------------------------------------------------------------------------
-- create_join_view: every column of the source, target_kind and target; one
-- UNION ALL branch per kind; a security_invoker view.

SELECT polyref.create_join_view('comments', 'commentable');
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 'comments_commentable'::regclass AND attnum > 0 ORDER BY attnum;
SELECT relkind, reloptions FROM pg_class WHERE oid = 'comments_commentable'::regclass;
SELECT source, association FROM polyref.config_join_view WHERE join_view = 'comments_commentable'::regclass;
SELECT id, body, target_kind, target FROM comments_commentable WHERE id IN (1, 2, 4) ORDER BY id;
-- Against the hand-written join.
CREATE VIEW comments_by_hand WITH (security_invoker = true) AS
SELECT c.*, 'Post'::text AS target_kind, to_jsonb(p) AS target
  FROM comments c JOIN posts p ON p.id::text = c.commentable_id WHERE c.commentable_type = 'Post'
UNION ALL
SELECT c.*, 'Video', to_jsonb(v) FROM comments c JOIN videos v ON v.id::text = c.commentable_id
 WHERE c.commentable_type = 'Video'
UNION ALL
SELECT c.*, 'Page', to_jsonb(g) FROM comments c JOIN pages g ON g.slug = c.commentable_id
 WHERE c.commentable_type = 'Page';
SELECT target_kind, count(*) FROM comments_commentable GROUP BY 1 ORDER BY 1;
SELECT (SELECT count(*) FROM (TABLE comments_commentable EXCEPT ALL TABLE comments_by_hand) x) AS only_view,
       (SELECT count(*) FROM (TABLE comments_by_hand EXCEPT ALL TABLE comments_commentable) x) AS only_by_hand;
-- Selective queries reach each branch's indexes; other kinds' branches go.
EXPLAIN (COSTS OFF) SELECT * FROM comments_commentable WHERE id = 8;
EXPLAIN (COSTS OFF) SELECT * FROM comments_commentable WHERE commentable_type = 'Post' AND commentable_id = '9';
EXPLAIN (COSTS OFF) SELECT * FROM comments_commentable WHERE target_kind = 'Video' AND id = 9;
EXPLAIN (COSTS OFF) SELECT * FROM accesses_resource WHERE resource_type = 'Post' AND resource_id = 42;
SELECT id, target_kind, target FROM comments_commentable WHERE target_kind = 'Video' AND id = 9;
-- Called again for its own view: the same view, brought up to date.
SELECT polyref.create_join_view('comments', 'commentable');
-- Under another name, schema-qualified or not.
SELECT polyref.create_join_view('comments', 'commentable', 'joins_elsewhere.commented');
SELECT polyref.create_join_view('comments', 'commentable', '"Commented Things"');
SELECT count(*) FROM joins_elsewhere.commented;
SELECT join_view::text, source, association FROM polyref.config_join_view ORDER BY 1;
SELECT polyref.create_join_view('accesses', 'owner');
-- An association with no kind yet: the columns, no rows.
CREATE TABLE attachments (id int PRIMARY KEY, attachable_type text, attachable_id bigint);
SELECT polyref.declare('attachments', 'attachable');
SELECT polyref.create_join_view('attachments', 'attachable');
SELECT * FROM attachments_attachable;

-- ---------------------------------------------------------------------------
-- Kept in step with its association.

CREATE ROLE regress_joins_reader;
GRANT USAGE ON SCHEMA joins TO regress_joins_reader;
GRANT SELECT ON comments_commentable, comments_by_hand, accesses_owner, comments, posts, videos, pages, repositories
   TO regress_joins_reader;
-- add_target: a branch for the new kind.
SELECT polyref.add_target('comments', 'commentable', 'repositories', 'Repository');
INSERT INTO comments VALUES (9001, 'on a repository', 'Repository', '9');
SELECT id, target_kind, target FROM comments_commentable WHERE id = 9001;
SELECT target_kind, count(*) FROM comments_commentable GROUP BY 1 ORDER BY 1;
-- rename_kind: the branch's label follows (and the rows).
SELECT polyref.rename_kind('comments', 'commentable', 'Page', 'WikiPage');
SELECT target_kind, count(*) FROM comments_commentable GROUP BY 1 ORDER BY 1;
-- drop_target: the branch goes (the rows of that kind stay in comments).
SELECT polyref.drop_target('comments', 'commentable', 'Repository');
SELECT target_kind, count(*) FROM comments_commentable GROUP BY 1 ORDER BY 1;
SELECT pg_get_viewdef('comments_commentable') LIKE '%repositories%' AS mentions_repositories;
DELETE FROM comments WHERE id = 9001;
SELECT polyref.validate('comments', 'commentable');
-- The other recorded views follow too.
SELECT target_kind, count(*) FROM joins_elsewhere.commented GROUP BY 1 ORDER BY 1;
-- Replaced in place: same view, grants kept.
SELECT has_table_privilege('regress_joins_reader', 'comments_commentable', 'SELECT') AS reader_may_select;
-- A column added to the source: the next change re-creates the view with it
-- (CREATE OR REPLACE cannot insert a column), grants and name kept.
ALTER TABLE comments ADD COLUMN edited boolean NOT NULL DEFAULT false;
SELECT polyref.rename_kind('comments', 'commentable', 'WikiPage', 'Page');
SELECT attname FROM pg_attribute WHERE attrelid = 'comments_commentable'::regclass AND attnum > 0 ORDER BY attnum;
SELECT has_table_privilege('regress_joins_reader', 'comments_commentable', 'SELECT') AS reader_may_select;
SELECT join_view::text FROM polyref.config_join_view WHERE association = 'commentable' ORDER BY 1;
-- ... but not while another view depends on it: the change is refused whole.
CREATE VIEW recent_comments AS SELECT id, target_kind FROM comments_commentable WHERE id > 7990;
ALTER TABLE comments ADD COLUMN score int;
SELECT polyref.rename_kind('comments', 'commentable', 'Page', 'WikiPage');
\echo :LAST_ERROR_SQLSTATE
SELECT kinds FROM polyref.associations WHERE source = 'comments'::regclass;
DROP VIEW recent_comments;
-- create_join_view brings it up to date by hand.
SELECT polyref.create_join_view('comments', 'commentable');
SELECT attname FROM pg_attribute WHERE attrelid = 'comments_commentable'::regclass AND attnum > 0 ORDER BY attnum;
-- Renamed, it stays recorded and kept; dropped, it is forgotten.
ALTER VIEW joins_elsewhere.commented RENAME TO commented_on;
SELECT polyref.rename_kind('comments', 'commentable', 'Page', 'WikiPage');
SELECT target_kind, count(*) FROM joins_elsewhere.commented_on GROUP BY 1 ORDER BY 1;
DROP VIEW joins_elsewhere.commented_on;
SELECT join_view::text FROM polyref.config_join_view WHERE association = 'commentable' ORDER BY 1;
SELECT polyref.rename_kind('comments', 'commentable', 'WikiPage', 'Page');
-- DROP TABLE of a target ... CASCADE drops the views that join it, as it would any view.
CREATE TABLE gists (id bigint PRIMARY KEY);
SELECT polyref.add_target('accesses', 'resource', 'gists', 'Gist');
SELECT count(*) FROM accesses_resource;
DROP TABLE gists;
\echo :LAST_ERROR_SQLSTATE
DROP TABLE gists CASCADE;
SELECT kinds FROM polyref.associations WHERE source = 'accesses'::regclass AND association = 'resource';
SELECT join_view::text FROM polyref.config_join_view WHERE association = 'resource';
SELECT polyref.create_join_view('accesses', 'resource');
-- undeclare drops the association's views.
SELECT polyref.undeclare('attachments', 'attachable');
SELECT to_regclass('attachments_attachable') AS attachments_attachable;
SELECT join_view::text FROM polyref.config_join_view WHERE association = 'attachable';

-- ---------------------------------------------------------------------------
-- The caller's rights: nothing the caller could not SELECT, RLS applies.

SET ROLE regress_joins_reader;
SELECT count(*) FROM comments_commentable;
SELECT polyref.resolve('comments', 'commentable', 'Post', 42) ->> 'title' AS title;
SELECT count(*) FROM polyref.resolve_many('comments', 'commentable', ARRAY['Post', 'Video'],
                                          ARRAY['1', '00000000-0000-0000-0000-000000000001']);
-- accesses and bookmarks are not the reader's to read: referrers leaves them out.
SELECT source, association, ref->>'id' AS id FROM polyref.referrers('posts', 5)
 ORDER BY source::text, association, (ref->>'id')::bigint;
-- resolve reads the target alone (posts, the reader's to read); users are not
-- the reader's: resolving one is refused as the SELECT would be.  The join
-- views run as their caller: one over accesses is refused too.
SELECT polyref.resolve('accesses', 'resource', 'Post', 42) ->> 'title' AS title;
SELECT polyref.resolve('accesses', 'owner', 'User', 7);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM accesses_owner;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE SELECT ON videos FROM regress_joins_reader;
SET ROLE regress_joins_reader;
SELECT count(*) FROM comments_commentable WHERE target_kind = 'Post';
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.resolve('comments', 'commentable', 'Video', '00000000-0000-0000-0000-000000000001'::uuid);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT SELECT ON videos TO regress_joins_reader;
-- Row-level security on a target and on the source.
ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY first_posts ON posts USING (id <= 10);
ALTER TABLE comments ENABLE ROW LEVEL SECURITY;
CREATE POLICY some_comments ON comments USING (id < 100);
SET ROLE regress_joins_reader;
SELECT polyref.resolve('comments', 'commentable', 'Post', 42) AS hidden,
       polyref.resolve('comments', 'commentable', 'Post', 4) ->> 'title' AS visible;
SELECT kind, id FROM polyref.resolve_many('comments', 'commentable', ARRAY['Post', 'Post'], ARRAY['4', '42'])
 ORDER BY 1, 2;
SELECT target_kind, count(*) FROM comments_commentable GROUP BY 1 ORDER BY 1;
SELECT (SELECT count(*) FROM (SELECT id, target_kind, target FROM comments_commentable
                               EXCEPT ALL SELECT id, target_kind, target FROM comments_by_hand) x) AS only_view,
       (SELECT count(*) FROM (SELECT id, target_kind, target FROM comments_by_hand
                               EXCEPT ALL SELECT id, target_kind, target FROM comments_commentable) x) AS only_by_hand;
SELECT ref->>'id' AS id FROM polyref.referrers('posts', 5) WHERE source = 'comments'::regclass; -- 3004, 6004 hidden
RESET ROLE;
SELECT ref->>'id' AS id FROM polyref.referrers('posts', 5) WHERE source = 'comments'::regclass
 ORDER BY (ref->>'id')::bigint;
ALTER TABLE posts DISABLE ROW LEVEL SECURITY;
ALTER TABLE comments DISABLE ROW LEVEL SECURITY;
-- Only the source's owner may create a join view.
SET ROLE regress_joins_reader;
SELECT polyref.create_join_view('comments', 'commentable', 'mine');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- ---------------------------------------------------------------------------
-- Bad input: a clear error with SPEC's SQLSTATE, never a wrong row.

-- Required arguments (22004).
SELECT polyref.resolve(NULL, 'commentable', 'Post', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.resolve('comments', NULL, 'Post', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM polyref.resolve_many('comments', 'commentable', NULL, ARRAY[1]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM polyref.resolve_many('comments', 'commentable', ARRAY['Post'], NULL::int[]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM polyref.referrers(NULL, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.create_join_view('comments', NULL);
\echo :LAST_ERROR_SQLSTATE
-- Undeclared associations and unknown kinds (42704).
SELECT polyref.resolve('comments', 'commentabel', 'Post', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.resolve('posts', 'commentable', 'Post', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.resolve('comments', 'commentable', 'post', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.resolve('comments', 'commentable', 'Repository', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM polyref.resolve_many('comments', 'commentabel', ARRAY['Post'], ARRAY['1']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM polyref.resolve_many('comments', 'commentable', ARRAY['Post', 'Photo'], ARRAY['1', NULL]);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.create_join_view('comments', 'commentabel');
\echo :LAST_ERROR_SQLSTATE
-- Ids not comparable with the key (42804): uuid or numeric against bigint,
-- integer against uuid.
SELECT polyref.resolve('comments', 'commentable', 'Post', '00000000-0000-0000-0000-000000000001'::uuid);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.resolve('comments', 'commentable', 'Post', 42.0);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.resolve('comments', 'commentable', 'Video', 42);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.resolve('comments', 'commentable', 'Video', NULL::int);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM polyref.resolve_many('comments', 'commentable', ARRAY['Post', 'Video'], ARRAY[1, 2]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM polyref.referrers('videos', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM polyref.referrers('posts', now());
\echo :LAST_ERROR_SQLSTATE
-- Arrays of different lengths, or not one-dimensional (22023).
SELECT * FROM polyref.resolve_many('comments', 'commentable', ARRAY['Post', 'Post'], ARRAY['1']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM polyref.resolve_many('comments', 'commentable', ARRAY[['Post'], ['Post']], ARRAY[['1'], ['2']]);
\echo :LAST_ERROR_SQLSTATE
-- A view name that is not a name, or is taken (42602, 42P07).
SELECT polyref.create_join_view('comments', 'commentable', '');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.create_join_view('comments', 'commentable', 'a.b.c.d');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.create_join_view('comments', 'commentable', 'posts');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.create_join_view('comments', 'commentable', 'accesses_resource');
\echo :LAST_ERROR_SQLSTATE
-- canonical_key, the join views' parser, takes the key types it knows.
SELECT polyref.canonical_key('42', NULL::bigint), polyref.canonical_key('042', NULL::bigint),
       polyref.canonical_key('4x', NULL::int), polyref.canonical_key(NULL, NULL::uuid);
SELECT polyref.canonical_key('42', NULL::numeric);
\echo :LAST_ERROR_SQLSTATE

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA joins_elsewhere CASCADE;
DROP SCHEMA joins CASCADE;
RESET client_min_messages;
DROP ROLE regress_joins_reader;
SELECT count(*) AS left_over FROM polyref.associations;
SELECT count(*) AS left_over_views FROM polyref.config_join_view;
