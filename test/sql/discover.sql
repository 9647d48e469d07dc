-- polyref.discover(): proposals for the kind/id pairs ORMs leave behind.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS polyref;
RESET client_min_messages;
CREATE SCHEMA discover;
SET search_path = discover, public;

-- Rails: class names (BlogPost -> blog_posts, Person -> people), a namespaced
-- model (Admin::Note -> notes), commentable_type beside commentable_id.
CREATE TABLE blog_posts (id bigint PRIMARY KEY);
CREATE TABLE people (id bigint PRIMARY KEY);
CREATE TABLE notes (id bigint PRIMARY KEY);
CREATE TABLE comments (id int PRIMARY KEY, commentable_type varchar, commentable_id bigint,
                       author_kind text, author_id bigint);
INSERT INTO blog_posts VALUES (1), (2);
INSERT INTO people VALUES (1);
INSERT INTO notes VALUES (7);
INSERT INTO comments VALUES
  (1, 'BlogPost', 1, 'Person', 1),
  (2, 'BlogPost', 2, 'Person', 2),      -- person 2 is gone: an orphan
  (3, 'Admin::Note', 7, NULL, NULL),
  (4, 'BlogPost', 3, NULL, NULL);       -- blog post 3 is gone: an orphan

-- Laravel: fully qualified class names and morph-map aliases, <x>_model.
CREATE TABLE videos (id bigint PRIMARY KEY);
CREATE TABLE likes (id int PRIMARY KEY, likeable_model text, likeable_id bigint);
INSERT INTO videos VALUES (10);
INSERT INTO likes VALUES (1, 'App\Models\Video', 10), (2, 'videos', 10), (3, 'App\Models\Podcast', 4);

-- Django: a CharField holding app_label.model (the content type's natural key).
CREATE TABLE shop_product (id int PRIMARY KEY);
CREATE TABLE taggeditems (id int PRIMARY KEY, content_type text, content_id int);
INSERT INTO shop_product VALUES (5);
INSERT INTO taggeditems VALUES (1, 'shop.product', 5);

-- Sequelize: camelCase columns, pluralized model names in quotes.
CREATE TABLE "Images" (id int PRIMARY KEY);
CREATE TABLE "Reactions" (id int PRIMARY KEY, "reactableType" text, "reactableId" int);
INSERT INTO "Images" VALUES (1);
INSERT INTO "Reactions" VALUES (1, 'Image', 1);

-- Not pairs: an integer kind column, a lone *_type column.
CREATE TABLE misc (id int PRIMARY KEY, thing_kind int, thing_id int, mood_type text);

SELECT source, association, type_column, id_column, kind, target, rows, orphans
  FROM polyref.discover(ARRAY['discover'])
 ORDER BY source::text, association, kind COLLATE "C";

-- One declaration per association (the same text on each of its rows).
SELECT DISTINCT source::text, declaration
  FROM polyref.discover(ARRAY['discover'])
 ORDER BY 1, 2;

-- Read only: it runs inside a READ ONLY transaction and changes nothing.
BEGIN READ ONLY;
SELECT count(*) FROM polyref.discover(ARRAY['discover']);
COMMIT;

-- Only what the caller may SELECT: a role that may read comments but not
-- people sees comments' pairs, with Person unmapped.
CREATE ROLE regress_discover_reader;
GRANT USAGE ON SCHEMA discover TO regress_discover_reader;
GRANT SELECT ON comments, blog_posts, notes TO regress_discover_reader;
SET ROLE regress_discover_reader;
SELECT source, association, kind, target, rows, orphans
  FROM polyref.discover(ARRAY['discover'])
 ORDER BY source::text, association, kind COLLATE "C";
RESET ROLE;

-- The proposals declare as written; then the pairs are no longer proposed.
SELECT DISTINCT declaration FROM polyref.discover(ARRAY['discover']) ORDER BY 1 \gexec
SELECT source, association, validated, kinds FROM polyref.associations
 ORDER BY source::text, association;
SELECT count(*) AS still_proposed FROM polyref.discover(ARRAY['discover']);

-- The default looks in every schema but the system ones.
SELECT count(*) > 0 AS found_in_system_schemas
  FROM polyref.discover() WHERE source::text LIKE 'pg_%' OR source::text LIKE 'polyref.%';

SET client_min_messages = warning;
DROP SCHEMA discover CASCADE;
DROP ROLE regress_discover_reader;
RESET client_min_messages;
