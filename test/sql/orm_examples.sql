--
-- orm_examples: every SQL statement of doc/orm.md, run as written, on tables
-- shaped as each ORM shapes them:
--   Rails      comments.commentable_type (class names) / commentable_id
--   Laravel    likes.likeable_type (morph-map aliases) / likeable_id
--   Django     blog_taggeditem.content_type_id (GenericForeignKey) / object_id
--   Sequelize  "Comments"."commentableType" / "commentableId" (scope values)
--   Ecto, Ash  comments.commentable_type / commentable_id, checked at once
-- Each ORM gets its own schema, so the doc's unqualified names work through
-- search_path.  Around the doc's statements (marked "doc:") the test adds
-- data and checks: the error each ORM receives (SQLSTATE, table, constraint
-- = association name, the fields its driver reads), and what each helper
-- returns.  The doc's SQL must stay identical to the statements marked here.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS polyref;
RESET client_min_messages;
CREATE SCHEMA orm_examples; SET search_path = orm_examples, public;

-- The fields an ORM's driver reads from a 23503: SQLSTATE, schema, table,
-- constraint, message.  Runs the statement, then fires deferred checks.
CREATE FUNCTION orm_examples.fk_error(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    st text; sch text; tbl text; con text; msg text; det text;
BEGIN
    EXECUTE stmt;
    SET CONSTRAINTS ALL IMMEDIATE;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, sch = SCHEMA_NAME, tbl = TABLE_NAME,
                            con = CONSTRAINT_NAME, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    RETURN format('sqlstate=%s schema=%s table=%s constraint=%s' || E'\n' || 'message=%s' || E'\n' || 'detail=%s',
                  st, sch, tbl, con, msg, det);
END $$;

-- ===========================================================================
-- Rails: belongs_to :commentable, polymorphic: true.  t.references
-- :commentable, polymorphic: true made a varchar type column, a bigint id
-- column and the index index_comments_on_commentable.
CREATE SCHEMA orm_examples_rails; SET search_path = orm_examples_rails, public;
CREATE TABLE posts (id bigserial PRIMARY KEY, title varchar NOT NULL);
CREATE TABLE videos (id bigserial PRIMARY KEY, title varchar NOT NULL);
CREATE TABLE comments (id bigserial PRIMARY KEY, body text,
                       commentable_type varchar NOT NULL, commentable_id bigint NOT NULL);
CREATE INDEX index_comments_on_commentable ON comments (commentable_type, commentable_id);
INSERT INTO posts (title) VALUES ('Hello polyref'), ('Second post');
INSERT INTO videos (title) VALUES ('Hello video');
INSERT INTO comments (body, commentable_type, commentable_id)
VALUES ('First!', 'Post', 1), ('On the video', 'Video', 1), ('On post 2', 'Post', 2),
       ('Orphan', 'Post', 404);

-- doc: what discover proposes for the table Rails filled.
SELECT DISTINCT declaration FROM polyref.discover();
-- ... and the rows behind it (the orphan shows).
SELECT association, kind, target, rows, orphans FROM polyref.discover() ORDER BY kind;
DELETE FROM comments WHERE body = 'Orphan';

-- doc: the migration (up).
SELECT polyref.declare('comments', 'commentable',
                       targets   => ARRAY['posts', 'videos']::regclass[],
                       kinds     => ARRAY['Post', 'Video'],
                       on_delete => 'cascade');
-- Rails' own index serves: declare made none.
SELECT indexname FROM pg_indexes WHERE schemaname = 'orm_examples_rails' AND tablename = 'comments'
 ORDER BY 1;

-- The error ActiveRecord::InvalidForeignKey wraps, at COMMIT (deferred).
BEGIN;
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('Ghost', 'Post', 999);
COMMIT;
\echo :LAST_ERROR_SQLSTATE
-- The fields PG::Result#error_field returns.
SELECT orm_examples.fk_error($$INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('Ghost', 'Post', 999)$$);
SELECT orm_examples.fk_error($$INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('Typo', 'Pots', 1)$$);
-- Tests that roll back: SET CONSTRAINTS ALL IMMEDIATE at the start of the
-- test transaction makes every check run at its statement.
BEGIN;
SET CONSTRAINTS ALL IMMEDIATE;
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('Ghost', 'Post', 999);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- doc: Comment.includes(:commentable).
SELECT kind, id, target->>'title' AS title
  FROM polyref.resolve_many('comments', 'commentable',
                            ARRAY['Post', 'Video', 'Post'], ARRAY[1, 1, 2])
 ORDER BY kind, id;

-- doc: instead of eager_load (EagerLoadPolymorphicError).
SELECT polyref.create_join_view('comments', 'commentable');
SELECT id, body, target_kind, target->>'title' AS title
  FROM comments_commentable
 WHERE target->>'title' LIKE 'Hello%'
 ORDER BY id;

-- doc: has_many :comments, as: :commentable, and everything else pointing at post 1.
SELECT source, association, ref->>'body' AS body
  FROM polyref.referrers('posts', 1)
 ORDER BY source::text, association, body;

-- on_delete => 'cascade': deleting post 1 deletes its comment (what
-- dependent: :destroy did in Ruby, minus the callbacks).
DELETE FROM posts WHERE id = 1;
SELECT body, commentable_type, commentable_id FROM comments ORDER BY id;

-- doc: the migration (down).
SELECT polyref.undeclare('comments', 'commentable');
SELECT count(*) AS left_declared FROM polyref.associations WHERE source = 'comments'::regclass;
SELECT to_regclass('comments_commentable') AS join_view_left;
SELECT indexname FROM pg_indexes WHERE schemaname = 'orm_examples_rails' AND tablename = 'comments'
 ORDER BY 1;

-- ===========================================================================
-- Laravel: morphTo / morphMany with Relation::enforceMorphMap(['post' =>
-- Post::class, 'video' => Video::class]): likeable_type holds the aliases.
-- $table->morphs('likeable') made likeable_type varchar(255), likeable_id
-- bigint and the index likes_likeable_type_likeable_id_index.
CREATE SCHEMA orm_examples_laravel; SET search_path = orm_examples_laravel, public;
CREATE TABLE posts (id bigserial PRIMARY KEY, title varchar(255) NOT NULL);
CREATE TABLE videos (id bigserial PRIMARY KEY, title varchar(255) NOT NULL);
CREATE TABLE likes (id bigserial PRIMARY KEY, likeable_type varchar(255) NOT NULL, likeable_id bigint NOT NULL);
CREATE INDEX likes_likeable_type_likeable_id_index ON likes (likeable_type, likeable_id);
INSERT INTO posts (title) VALUES ('Hello polyref'), ('Second post');
INSERT INTO videos (title) VALUES ('Hello video');

-- doc: the migration (up).
SELECT polyref.declare('likes', 'likeable',
                       targets   => ARRAY['posts', 'videos']::regclass[],
                       kinds     => ARRAY['post', 'video'],
                       on_delete => 'cascade');
INSERT INTO likes (likeable_type, likeable_id) VALUES ('post', 1), ('video', 1), ('post', 2), ('post', 1);

-- The error QueryException wraps (getCode() '23503'), at COMMIT.
BEGIN;
INSERT INTO likes (likeable_type, likeable_id) VALUES ('post', 999);
COMMIT;
\echo :LAST_ERROR_SQLSTATE
-- Without the morph map Laravel would store the class name: refused.
SELECT orm_examples.fk_error($$INSERT INTO likes (likeable_type, likeable_id) VALUES ('App\Models\Post', 1)$$);

-- doc: Like::with('likeable').
SELECT kind, id, target->>'title' AS title
  FROM polyref.resolve_many('likes', 'likeable',
                            ARRAY['post', 'video', 'post'], ARRAY[1, 1, 2])
 ORDER BY kind, id;

-- doc: whereHasMorph('likeable', [Post::class], ...), as one query.
SELECT polyref.create_join_view('likes', 'likeable');
SELECT id, target->>'title' AS title
  FROM likes_likeable
 WHERE target_kind = 'post' AND target->>'title' LIKE 'Hello%'
 ORDER BY id;

-- doc: $post->likes (morphMany), and every other association's rows.
SELECT source, association, ref->>'id' AS id
  FROM polyref.referrers('posts', 1)
 ORDER BY source::text, association, id;

-- doc: the migration (down).
SELECT polyref.undeclare('likes', 'likeable');
SELECT to_regclass('likes_likeable') AS join_view_left;

-- ===========================================================================
-- Django: app "blog", models Post, Video and TaggedItem, Django's documented
-- GenericForeignKey: content_type_id is an integer with a native foreign key
-- to django_content_type, whose rows Django creates after the migrations
-- (post_migrate).  The kinds are declared as labels (kind_registry).
CREATE SCHEMA orm_examples_django; SET search_path = orm_examples_django, public;
-- contenttypes' migrations, then blog's 0001_initial.
CREATE TABLE django_content_type (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                                  app_label varchar(100) NOT NULL, model varchar(100) NOT NULL,
                                  CONSTRAINT django_content_type_app_label_model_76bd3d3b_uniq
                                      UNIQUE (app_label, model));
CREATE TABLE blog_post (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, title varchar(200) NOT NULL);
CREATE TABLE blog_video (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, title varchar(200) NOT NULL);
CREATE TABLE blog_taggeditem (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                              tag varchar(50) NOT NULL,
                              content_type_id integer NOT NULL
                                  CONSTRAINT blog_taggeditem_content_type_id_fk_django_co
                                  REFERENCES django_content_type (id) DEFERRABLE INITIALLY DEFERRED,
                              object_id integer NOT NULL CHECK (object_id >= 0));
CREATE INDEX blog_taggeditem_content_type_id ON blog_taggeditem (content_type_id);
CREATE INDEX blog_taggedi_content_3fd4a3_idx ON blog_taggeditem (content_type_id, object_id);

-- doc: migrations.RunSQL (sql), before any content type exists.
SELECT polyref.declare('blog_taggeditem', 'content_object',
                       targets       => ARRAY['blog_post', 'blog_video']::regclass[],
                       kinds         => ARRAY['blog.post', 'blog.video'],
                       type_column   => 'content_type_id',
                       id_column     => 'object_id',
                       kind_registry => 'django_content_type');
SELECT kinds, kind_registry FROM polyref.associations WHERE source = 'blog_taggeditem'::regclass;
-- declare found the Meta.indexes index and made none.
SELECT indexname FROM pg_indexes WHERE schemaname = 'orm_examples_django' AND tablename = 'blog_taggeditem'
 ORDER BY 1;
-- post_migrate creates the content types (ids as this database gives them).
INSERT INTO django_content_type (app_label, model)
VALUES ('contenttypes', 'contenttype'), ('blog', 'post'), ('blog', 'video'), ('blog', 'taggeditem');
INSERT INTO blog_post (title) VALUES ('Hello polyref'), ('Second post');
INSERT INTO blog_video (title) VALUES ('Hello video');
-- TaggedItem(content_object=post, tag=...).save()
INSERT INTO blog_taggeditem (tag, content_type_id, object_id)
SELECT t.tag, ct.id, t.object_id
  FROM (VALUES ('django', 'post', 1), ('video', 'video', 1), ('second', 'post', 2)) AS t(tag, model, object_id)
  JOIN django_content_type ct ON ct.app_label = 'blog' AND ct.model = t.model;

-- The error django.db.IntegrityError wraps (__cause__.diag.constraint_name):
-- the stored values, and a content type that is no declared kind.
BEGIN;
INSERT INTO blog_taggeditem (tag, content_type_id, object_id) VALUES ('ghost', 2, 999);
COMMIT;
\echo :LAST_ERROR_SQLSTATE
SELECT orm_examples.fk_error($$INSERT INTO blog_taggeditem (tag, content_type_id, object_id) VALUES ('ghost', 2, 999)$$);
SELECT orm_examples.fk_error($$INSERT INTO blog_taggeditem (tag, content_type_id, object_id) VALUES ('itself', 4, 1)$$);
-- A target with tagged items is protected (no action), checked at COMMIT too.
SELECT orm_examples.fk_error($$DELETE FROM blog_post WHERE id = 2$$);
-- A content type still carried cannot go: polyref says so at the end of the
-- statement (Django's own key would at COMMIT).
SELECT orm_examples.fk_error($$DELETE FROM django_content_type WHERE model = 'video'$$);

-- doc: instead of prefetch_related('content_object').
SELECT kind, id, target->>'title' AS title
  FROM polyref.resolve_many('blog_taggeditem', 'content_object',
                            ARRAY['blog.post', 'blog.video', 'blog.post'], ARRAY[1, 1, 2])
 ORDER BY kind, id;

-- doc: a join through the generic relation.
SELECT polyref.create_join_view('blog_taggeditem', 'content_object');
SELECT id, tag, target_kind, target->>'title' AS title
  FROM blog_taggeditem_content_object
 WHERE target_kind = 'blog.post'
 ORDER BY id;

-- doc: GenericRelation (post.tags), across every association.
SELECT source, association, ref->>'tag' AS tag
  FROM polyref.referrers('blog_post', 1)
 ORDER BY source::text, association, tag;

-- RenameModel("Video", "Clip"): the kind follows its content type.
UPDATE django_content_type SET model = 'clip' WHERE app_label = 'blog' AND model = 'video';
SELECT kinds FROM polyref.associations WHERE source = 'blog_taggeditem'::regclass;
SELECT tag, target_kind FROM blog_taggeditem_content_object ORDER BY id;
UPDATE django_content_type SET model = 'video' WHERE app_label = 'blog' AND model = 'clip';

-- doc: migrations.RunSQL (reverse_sql).
SELECT polyref.undeclare('blog_taggeditem', 'content_object');
SELECT to_regclass('blog_taggeditem_content_object') AS join_view_left;

-- discover() proposes the declaration for the undeclared GenericForeignKey;
-- run, it declares it again.
SELECT DISTINCT declaration FROM polyref.discover(ARRAY['orm_examples_django']) \gexec
SELECT kinds, kind_registry, validated FROM polyref.associations
 WHERE source = 'blog_taggeditem'::regclass;
SELECT polyref.undeclare('blog_taggeditem', 'content_object');

-- ===========================================================================
-- Sequelize: Image.hasMany(Comment, { foreignKey: 'commentableId',
-- constraints: false, scope: { commentableType: 'image' } }).  Tables are
-- the pluralized model names, columns camelCase, both quoted.
CREATE SCHEMA orm_examples_sequelize; SET search_path = orm_examples_sequelize, public;
CREATE TABLE "Images" (id serial PRIMARY KEY, title varchar(255),
                       "createdAt" timestamptz NOT NULL DEFAULT now(), "updatedAt" timestamptz NOT NULL DEFAULT now());
CREATE TABLE "Videos" (id serial PRIMARY KEY, title varchar(255),
                       "createdAt" timestamptz NOT NULL DEFAULT now(), "updatedAt" timestamptz NOT NULL DEFAULT now());
CREATE TABLE "Comments" (id serial PRIMARY KEY, title varchar(255), "commentableId" integer,
                         "commentableType" varchar(255),
                         "createdAt" timestamptz NOT NULL DEFAULT now(), "updatedAt" timestamptz NOT NULL DEFAULT now());
INSERT INTO "Images" (title) VALUES ('Hello image'), ('Second image');
INSERT INTO "Videos" (title) VALUES ('Hello video');

-- doc: the migration (up).
SELECT polyref.declare('"Comments"', 'commentable',
                       targets     => ARRAY['"Images"', '"Videos"']::regclass[],
                       kinds       => ARRAY['image', 'video'],
                       type_column => 'commentableType',
                       id_column   => 'commentableId');
INSERT INTO "Comments" (title, "commentableId", "commentableType")
VALUES ('Nice image', 1, 'image'), ('Nice video', 1, 'video'), ('Also nice', 2, 'image');

-- The error ForeignKeyConstraintError wraps: .index and .parent.constraint
-- are the association's name, .table is "Comments".
BEGIN;
INSERT INTO "Comments" (title, "commentableId", "commentableType") VALUES ('Ghost', 999, 'image');
COMMIT;
\echo :LAST_ERROR_SQLSTATE
SELECT orm_examples.fk_error($$INSERT INTO "Comments" (title, "commentableId", "commentableType") VALUES ('Ghost', 999, 'image')$$);
-- MATCH FULL: a type without an id is refused too.
SELECT orm_examples.fk_error($$INSERT INTO "Comments" (title, "commentableId", "commentableType") VALUES ('Half', NULL, 'image')$$);

-- doc: instead of include: [Image, Video].
SELECT kind, id, target->>'title' AS title
  FROM polyref.resolve_many('"Comments"', 'commentable',
                            ARRAY['image', 'video', 'image'], ARRAY[1, 1, 2])
 ORDER BY kind, id;

-- doc: the join view, named for JavaScript.
SELECT polyref.create_join_view('"Comments"', 'commentable', 'comments_with_commentable');
SELECT id, title, "commentableType", target->>'title' AS commentable_title
  FROM comments_with_commentable
 ORDER BY id;

-- doc: image.getComments(), across every association.
SELECT source, association, ref->>'title' AS title
  FROM polyref.referrers('"Images"', 1)
 ORDER BY source::text, association, title;

-- doc: the migration (down).
SELECT polyref.undeclare('"Comments"', 'commentable');
SELECT to_regclass('comments_with_commentable') AS join_view_left;

-- ===========================================================================
-- Ecto and Ash: no type column by convention; a kind/id pair as it would
-- look, declared initially_deferred => false so the error reaches the
-- changeset (constraint mapping only sees errors of the statement itself).
CREATE SCHEMA orm_examples_ecto; SET search_path = orm_examples_ecto, public;
CREATE TABLE posts (id bigserial PRIMARY KEY, title varchar(255) NOT NULL);
CREATE TABLE videos (id bigserial PRIMARY KEY, title varchar(255) NOT NULL);
CREATE TABLE comments (id bigserial PRIMARY KEY, body varchar(255),
                       commentable_type varchar(255), commentable_id bigint);
INSERT INTO posts (title) VALUES ('Hello polyref'), ('Second post');
INSERT INTO videos (title) VALUES ('Hello video');

-- doc: execute (up).
SELECT polyref.declare('comments', 'commentable',
                       targets            => ARRAY['posts', 'videos']::regclass[],
                       kinds              => ARRAY['Post', 'Video'],
                       initially_deferred => false);
SELECT is_deferrable, initially_deferred FROM polyref.associations WHERE source = 'comments'::regclass;
INSERT INTO comments (body, commentable_type, commentable_id)
VALUES ('First!', 'Post', 1), ('On the video', 'Video', 1);

-- The error comes from the INSERT itself, not from COMMIT: what
-- foreign_key_constraint(:commentable_id, name: :commentable) maps.
BEGIN;
INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('Ghost', 'Post', 999);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT orm_examples.fk_error($$INSERT INTO comments (body, commentable_type, commentable_id) VALUES ('Ghost', 'Post', 999)$$);
-- Deleting a commented post: what no_assoc_constraint(:comments, name: :commentable) maps.
BEGIN;
DELETE FROM posts WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT orm_examples.fk_error($$DELETE FROM posts WHERE id = 1$$);

-- doc: instead of Repo.preload / Ash load.
SELECT kind, id, target->>'title' AS title
  FROM polyref.resolve_many('comments', 'commentable',
                            ARRAY['Post', 'Video'], ARRAY[1, 1])
 ORDER BY kind, id;

-- Bound as parameters (as node-postgres, Postgrex and PDO send them): an
-- untyped id picks the overload that reads it as text, no cast needed.
PREPARE untyped AS SELECT kind, id FROM polyref.resolve_many('comments', 'commentable', $1, $2);
EXECUTE untyped('{Post,Video}', '{1,1}');
PREPARE untyped_one AS SELECT polyref.resolve($1, $2, $3, $4) ->> 'title' AS title;
EXECUTE untyped_one('comments', 'commentable', 'Post', '1');
PREPARE untyped_refs AS SELECT source, association FROM polyref.referrers($1, $2);
EXECUTE untyped_refs('posts', '1');
PREPARE typed AS SELECT kind, id FROM polyref.resolve_many('comments', 'commentable', $1, $2::bigint[]);
EXECUTE typed('{Post,Video}', '{1,1}');
PREPARE one AS SELECT polyref.resolve('comments', 'commentable', $1, $2::bigint) ->> 'title' AS title;
EXECUTE one('Post', '1');
PREPARE refs AS SELECT source, association, ref->>'body' AS body FROM polyref.referrers('posts', $1::bigint);
EXECUTE refs('1');
DEALLOCATE ALL;

-- doc: execute (down).
SELECT polyref.undeclare('comments', 'commentable');
SELECT count(*) AS left_declared FROM polyref.associations;

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA orm_examples_rails, orm_examples_laravel, orm_examples_django, orm_examples_sequelize,
            orm_examples_ecto CASCADE;
DROP SCHEMA orm_examples CASCADE;
RESET client_min_messages;
SELECT count(*) AS left_over FROM polyref.associations;
SELECT count(*) AS left_over_views FROM polyref.config_join_view;
