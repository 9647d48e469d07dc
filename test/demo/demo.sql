-- polyref: polymorphic associations (a kind column + an id column) that the
-- database enforces like foreign keys.  A tour for Rails / Laravel developers:
-- each statement is echoed, then its result.  The errors are on purpose.
-- Django, Sequelize, Ecto and Ash: see doc/orm.md.
\pset footer off

-- 1. The seeds.  Rails: `belongs_to :commentable, polymorphic: true`.
CREATE TABLE posts  (id bigint PRIMARY KEY, title text NOT NULL);
CREATE TABLE videos (id bigint PRIMARY KEY, title text NOT NULL);
CREATE TABLE comments (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                       commentable_type text, commentable_id bigint, body text);
-- A repository belongs to a User or an Organization (its "owner").
CREATE TABLE users         (id bigint PRIMARY KEY, login text NOT NULL);
CREATE TABLE organizations (id bigint PRIMARY KEY, login text NOT NULL);
CREATE TABLE repositories (id bigint PRIMARY KEY, name text NOT NULL,
                           owner_type text NOT NULL, owner_id bigint NOT NULL);
-- Access control: an owner (User | Organization) has a level on a resource
-- (Post | Repository).  Two associations on one table.
CREATE TABLE accesses (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                       owner_type    text NOT NULL, owner_id    bigint NOT NULL,
                       resource_type text NOT NULL, resource_id bigint NOT NULL,
                       level text NOT NULL CHECK (level IN ('read', 'write', 'admin')));

INSERT INTO posts  VALUES (10, 'Hello polyref'), (11, 'Deferred checks');
INSERT INTO videos VALUES (11, 'Cascades, the movie'), (20, 'Kinds');
INSERT INTO users VALUES (1, 'alice'), (2, 'bob');
INSERT INTO organizations VALUES (1, 'acme');
INSERT INTO repositories VALUES (1, 'dotfiles', 'User', 1), (2, 'rocket', 'Organization', 1);

-- 2. The declarations, as a migration would run them.  kinds => the values
-- the ORM stores (Rails class names, or your Laravel morph map), one per target.
SELECT polyref.declare('comments', 'commentable',
                       targets   => ARRAY['posts', 'videos']::regclass[],
                       kinds     => ARRAY['Post', 'Video'],
                       on_delete => 'cascade');
SELECT polyref.declare('repositories', 'owner', ARRAY['users', 'organizations']::regclass[],
                       kinds => ARRAY['User', 'Organization']);
SELECT polyref.declare('accesses', 'owner', ARRAY['users', 'organizations']::regclass[],
                       kinds => ARRAY['User', 'Organization'], on_delete => 'cascade');
-- restrict: a post or repository that someone has access to cannot be deleted.
SELECT polyref.declare('accesses', 'resource', ARRAY['posts', 'repositories']::regclass[],
                       kinds => ARRAY['Post', 'Repository'], on_delete => 'restrict');

-- 3. The catalog: what is declared, and where each kind points.
SELECT source, association, type_column AS type, id_column AS id, on_delete,
       initially_deferred AS deferred, validated, kinds
  FROM polyref.associations ORDER BY source::text, association;
SELECT * FROM polyref.targets ORDER BY source::text, association, kind;

-- 4. What declare installed on comments: an index on (type, id) and a
-- constraint trigger named after the association, deferred to COMMIT.
\d comments

-- 5. Valid comments go in as usual.
INSERT INTO comments (commentable_type, commentable_id, body)
VALUES ('Post', 10, 'First!'), ('Post', 11, 'Nice post'), ('Video', 11, 'Nice video');

-- 6. A dangling reference: the INSERT is accepted (the check waits for
-- COMMIT, like a DEFERRABLE INITIALLY DEFERRED foreign key) ...
BEGIN;
INSERT INTO comments (commentable_type, commentable_id, body) VALUES ('Post', 999, 'Ghost');
-- ... and COMMIT refuses it: 23503, in a native foreign key's words.
COMMIT;
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- A typo in the kind is refused the same way.
BEGIN;
INSERT INTO comments (commentable_type, commentable_id, body) VALUES ('Pots', 10, 'Typo');
COMMIT;

-- 7. Deferral lets you insert in any order: the comment first, then its post.
BEGIN;
INSERT INTO comments (commentable_type, commentable_id, body) VALUES ('Post', 12, 'Early bird');
INSERT INTO posts VALUES (12, 'Written after its first comment');
COMMIT;

-- 8. Want the error at the statement (Ecto, Ash)?  SET CONSTRAINTS works with
-- the association's name.
BEGIN;
SET CONSTRAINTS commentable IMMEDIATE;
INSERT INTO comments (commentable_type, commentable_id, body) VALUES ('Post', 999, 'Ghost');
ROLLBACK;

-- 9. on_delete => 'cascade': deleting Post 11 deletes its comments.  The
-- comment on Video 11 (same id, other kind) stays, and so does Post 12's.
DELETE FROM posts WHERE id = 11;
SELECT commentable_type, commentable_id, body FROM comments ORDER BY id;

-- 10. Eager loading without N+1 (Rails `includes(:commentable)`, Laravel
-- `with('commentable')`): every comment's target in one call, one indexed
-- query per kind.  Pass the kinds and ids of the rows you loaded.
SELECT kind, id, target->>'title' AS title
  FROM polyref.resolve_many('comments', 'commentable',
                            (SELECT array_agg(commentable_type ORDER BY id) FROM comments),
                            (SELECT array_agg(commentable_id ORDER BY id) FROM comments))
 ORDER BY kind, id;

-- 11. Access control through a join view: every access beside its resource
-- (a UNION ALL of plain joins, one per kind), the join Rails refuses with
-- EagerLoadPolymorphicError.  resolve() fetches the owner of each row.
INSERT INTO accesses (owner_type, owner_id, resource_type, resource_id, level)
VALUES ('User', 1, 'Post', 10, 'write'), ('User', 1, 'Post', 12, 'read'),
       ('User', 2, 'Post', 10, 'read'), ('User', 1, 'Repository', 1, 'admin'),
       ('Organization', 1, 'Repository', 2, 'admin');
SELECT polyref.create_join_view('accesses', 'resource');
-- Which level does user 1 have on post 10?
SELECT polyref.resolve('accesses', 'owner', owner_type, owner_id)->>'login' AS login,
       target->>'title' AS post, level
  FROM accesses_resource
 WHERE owner_type = 'User' AND owner_id = 1 AND target_kind = 'Post' AND resource_id = 10;
-- Which posts can user 1 see?
SELECT resource_id AS post_id, target->>'title' AS title, level
  FROM accesses_resource
 WHERE owner_type = 'User' AND owner_id = 1 AND target_kind = 'Post'
 ORDER BY resource_id;

-- 12. on_delete => 'restrict': a repository someone has access to cannot be
-- deleted.
DELETE FROM repositories WHERE id = 2;

-- 13. The Video model was renamed Clip: rename the kind in the catalog and in
-- every row, in one statement.  It returns the rows changed.
SELECT polyref.rename_kind('comments', 'commentable', 'Video', 'Clip');
SELECT commentable_type, commentable_id, body FROM comments ORDER BY id;

-- 14. Adopting a table your ORM filled for years: declare it NOT VALID
-- (validate => false), list the orphans, clean up, then validate.
CREATE TABLE likes (id bigint PRIMARY KEY, likeable_type text, likeable_id bigint);
INSERT INTO likes VALUES (1, 'Post', 10), (2, 'Post', 404), (3, 'Vidoe', 20), (4, 'Video', 20);
SELECT polyref.declare('likes', 'likeable', ARRAY['posts', 'videos']::regclass[],
                       kinds => ARRAY['Post', 'Video'], validate => false);
SELECT validated FROM polyref.associations WHERE source = 'likes'::regclass;
SELECT kind, id FROM polyref.orphans('likes', 'likeable') ORDER BY kind, id;
DELETE FROM likes WHERE ctid IN (SELECT ctid FROM polyref.orphans('likes', 'likeable'));
SELECT polyref.validate('likes', 'likeable');

-- 15. The catalog again: Clip instead of Video, likes validated.
SELECT source, association, type_column AS type, id_column AS id, on_delete,
       initially_deferred AS deferred, validated, kinds
  FROM polyref.associations ORDER BY source::text, association;
SELECT * FROM polyref.targets WHERE source IN ('comments'::regclass, 'likes'::regclass)
 ORDER BY source::text, association, kind;

-- 16. What points at post 10, in every association (Rails `has_many as:`,
-- Laravel `morphMany`, for all of them at once)?
SELECT source, association, ref FROM polyref.referrers('posts', 10)
 ORDER BY source::text, association, ref->>'id';

-- 17. The declared associations as a diagram: Mermaid (paste it into any
-- Markdown that renders mermaid) and AML (azimutt.app).
SELECT polyref.diagram() \g (format=unaligned tuples_only=on)
SELECT polyref.diagram('aml') \g (format=unaligned tuples_only=on)
