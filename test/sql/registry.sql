-- Kind registries (SPEC, Kind registries, release 1.1): Django's
-- GenericForeignKey as Django stores it.  TaggedItem, as Django's
-- documentation declares it:
--     content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
--     object_id = models.PositiveIntegerField()
--     content_object = GenericForeignKey("content_type", "object_id")
-- content_type_id is an integer with a native foreign key to
-- django_content_type(id), whose rows carry (app_label, model).  The
-- association is declared in a migration, before Django creates the content
-- types (post_migrate does, after every migration has run).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS polyref;
RESET client_min_messages;
CREATE SCHEMA registry; SET search_path = registry, public;

-- What Django's migrations create (contenttypes 0001/0002, then the app).
CREATE TABLE django_content_type (
    id serial PRIMARY KEY,
    app_label varchar(100) NOT NULL,
    model varchar(100) NOT NULL,
    CONSTRAINT django_content_type_app_label_model_76bd3d3b_uniq UNIQUE (app_label, model));
CREATE TABLE shop_article (id bigserial PRIMARY KEY, title varchar(200) NOT NULL);
CREATE TABLE shop_product (id bigserial PRIMARY KEY, name varchar(200) NOT NULL);
CREATE TABLE shop_taggeditem (
    id bigserial PRIMARY KEY,
    tag varchar(50) NOT NULL,
    content_type_id integer NOT NULL
        REFERENCES django_content_type (id) DEFERRABLE INITIALLY DEFERRED,
    object_id integer NOT NULL CHECK (object_id >= 0));
CREATE INDEX ON shop_taggeditem (content_type_id);

-- The app's migration declares the association (RunSQL): the content types
-- do not exist yet.
SELECT polyref.declare('shop_taggeditem', 'content_object',
                       targets       => ARRAY['shop_article', 'shop_product']::regclass[],
                       kinds         => ARRAY['shop.article', 'shop.product'],
                       type_column   => 'content_type_id', id_column => 'object_id',
                       kind_registry => 'django_content_type',
                       on_delete     => 'cascade');
SELECT source, association, type_column, id_column, kinds, match_type, kind_registry
  FROM polyref.associations WHERE source = 'shop_taggeditem'::regclass;
SELECT tgname, tgenabled FROM pg_trigger
 WHERE tgrelid = 'django_content_type'::regclass AND tgname LIKE 'polyref%';

-- Until a registry row carries its label, no row can carry the kind.
INSERT INTO shop_article (id, title) VALUES (42, 'Polymorphism');
INSERT INTO shop_product (id, name) VALUES (7, 'Widget'), (8, 'Gadget');
BEGIN;
INSERT INTO django_content_type (id, app_label, model) VALUES (1, 'auth', 'user');
SET CONSTRAINTS content_object IMMEDIATE;
INSERT INTO shop_taggeditem (tag, content_type_id, object_id) VALUES ('early', 1, 42);
ROLLBACK;

-- post_migrate creates the content types; the kinds take effect as the rows
-- appear, in this session at its next command.
INSERT INTO django_content_type (id, app_label, model)
VALUES (1, 'auth', 'user'), (2, 'contenttypes', 'contenttype'),
       (3, 'shop', 'article'), (4, 'shop', 'taggeditem');
INSERT INTO shop_taggeditem (tag, content_type_id, object_id) VALUES ('django', 3, 42);
-- shop.product has no content type yet; auth.user is no declared kind.
INSERT INTO shop_taggeditem (tag, content_type_id, object_id) VALUES ('user', 1, 1);
INSERT INTO shop_taggeditem (tag, content_type_id, object_id) VALUES ('none', 99, 1);
-- In one transaction: the content type, then a row carrying it.
BEGIN;
INSERT INTO django_content_type (id, app_label, model) VALUES (5, 'shop', 'product');
INSERT INTO shop_taggeditem (tag, content_type_id, object_id) VALUES ('gadget', 5, 8);
SET CONSTRAINTS content_object IMMEDIATE;
COMMIT;
INSERT INTO shop_taggeditem (tag, content_type_id, object_id) VALUES ('widget', 5, 7);
-- Violations keep the stored values.
INSERT INTO shop_taggeditem (tag, content_type_id, object_id) VALUES ('missing', 3, 43);
\echo :LAST_ERROR_SQLSTATE
SELECT tag, content_type_id, object_id FROM shop_taggeditem ORDER BY id;

-- ---------------------------------------------------------------------------
-- The join helpers, the join view and the diagram speak labels.
SELECT polyref.resolve('shop_taggeditem', 'content_object', 'shop.article', 42);
SELECT polyref.resolve('shop_taggeditem', 'content_object', '3', 42);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM polyref.resolve_many('shop_taggeditem', 'content_object',
                                   ARRAY['shop.article', 'shop.product', 'shop.product'],
                                   ARRAY[42, 7, 9]) ORDER BY kind, id;
SELECT source, association, ref->>'tag' AS tag FROM polyref.referrers('shop_product', 7);
SELECT polyref.create_join_view('shop_taggeditem', 'content_object');
SELECT tag, content_type_id, target_kind, target FROM shop_taggeditem_content_object
 ORDER BY id;
SELECT polyref.diagram('aml');

-- ---------------------------------------------------------------------------
-- RenameModel: Django updates django_content_type.model.  The kind follows
-- its row, as rename_kind would rename it; the rows keep their key.
UPDATE django_content_type SET model = 'item' WHERE app_label = 'shop' AND model = 'product';
SELECT kinds FROM polyref.associations WHERE source = 'shop_taggeditem'::regclass;
SELECT kind, target FROM polyref.targets WHERE source = 'shop_taggeditem'::regclass
 ORDER BY kind;
SELECT kind, target FROM polyref.carried_declarations()
 WHERE source = 'shop_taggeditem'::regclass ORDER BY kind;
SELECT tag, target_kind FROM shop_taggeditem_content_object ORDER BY id;
INSERT INTO shop_taggeditem (tag, content_type_id, object_id) VALUES ('renamed', 5, 8);
SELECT polyref.resolve('shop_taggeditem', 'content_object', 'shop.item', 8);
-- A relabel onto another declared kind would make two kinds one: refused.
SELECT polyref.add_target('shop_taggeditem', 'content_object', 'shop_product',
                          kind => 'shop.gadget');
UPDATE django_content_type SET model = 'gadget' WHERE id = 5;
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.drop_target('shop_taggeditem', 'content_object', 'shop.gadget');
-- rename_kind cannot rename a registry's label: the registry row holds it.
SELECT polyref.rename_kind('shop_taggeditem', 'content_object', 'shop.item', 'shop.thing');
\echo :LAST_ERROR_SQLSTATE
-- Relabelling a row that carries no kind changes no kind.
UPDATE django_content_type SET model = 'member' WHERE id = 1;
SELECT kinds FROM polyref.associations WHERE source = 'shop_taggeditem'::regclass;

-- ---------------------------------------------------------------------------
-- Deleting a registry row whose key rows still carry is refused, as the
-- native twin (content_type_id's own foreign key) refuses it.
DELETE FROM django_content_type WHERE id = 3;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE shop_taggeditem DROP CONSTRAINT shop_taggeditem_content_type_id_fkey;
DELETE FROM django_content_type WHERE id = 3;
\echo :LAST_ERROR_SQLSTATE
UPDATE django_content_type SET id = 30 WHERE id = 3;
\echo :LAST_ERROR_SQLSTATE
-- A row no source row carries goes (Django's remove_stale_contenttypes).
DELETE FROM django_content_type WHERE id = 2;
-- Django deletes the tagged items first (its Collector), then the content type.
BEGIN;
DELETE FROM shop_taggeditem WHERE content_type_id = 5;
DELETE FROM django_content_type WHERE id = 5;
SELECT kinds FROM polyref.associations WHERE source = 'shop_taggeditem'::regclass;
SET CONSTRAINTS content_object IMMEDIATE;
INSERT INTO shop_taggeditem (tag, content_type_id, object_id) VALUES ('gone', 5, 7);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- The target's on_delete cascade reaches the tagged items.
DELETE FROM shop_article WHERE id = 42;
SELECT tag, content_type_id, object_id FROM shop_taggeditem ORDER BY id;

-- validate and orphans compare the stored keys.
ALTER TABLE shop_taggeditem DISABLE TRIGGER ALL;
INSERT INTO shop_taggeditem (tag, content_type_id, object_id) VALUES ('orphan', 5, 99), ('stray', 1, 1);
ALTER TABLE shop_taggeditem ENABLE TRIGGER ALL;
SELECT kind, id FROM polyref.orphans('shop_taggeditem', 'content_object') ORDER BY kind, id;
SELECT polyref.validate('shop_taggeditem', 'content_object');
\echo :LAST_ERROR_SQLSTATE
DELETE FROM shop_taggeditem WHERE tag IN ('orphan', 'stray');
SELECT polyref.validate('shop_taggeditem', 'content_object');
-- drop_target notices rows of a kind by its key.
SELECT polyref.drop_target('shop_taggeditem', 'content_object', 'shop.item');
SELECT validated, kinds FROM polyref.associations WHERE source = 'shop_taggeditem'::regclass;
SELECT polyref.add_target('shop_taggeditem', 'content_object', 'shop_product', kind => 'shop.item');

-- ---------------------------------------------------------------------------
-- What declare asks of a registry and its kind column.
CREATE TABLE no_label (id int PRIMARY KEY, name text);
CREATE TABLE two_labels (id int PRIMARY KEY, a text UNIQUE, b text UNIQUE);
CREATE TABLE text_kinds (id int, t_type text, t_id bigint);
CREATE TABLE int_kinds (id int, t_type integer, t_id bigint);
SELECT polyref.declare('int_kinds', 't', ARRAY['shop_product']::regclass[], ARRAY['shop.item'],
                       kind_registry => 'no_label');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('int_kinds', 't', ARRAY['shop_product']::regclass[], ARRAY['shop.item'],
                       kind_registry => 'two_labels');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('text_kinds', 't', ARRAY['shop_product']::regclass[], ARRAY['shop.item'],
                       kind_registry => 'django_content_type');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('int_kinds', 't', ARRAY['shop_product']::regclass[], ARRAY['shop.item'],
                       kind_registry => 'no_such_table');
\echo :LAST_ERROR_SQLSTATE
-- REFERENCES on the registry, as its native foreign key needs.
CREATE ROLE registry_owner;
GRANT USAGE ON SCHEMA registry TO registry_owner;
ALTER TABLE int_kinds OWNER TO registry_owner;
GRANT REFERENCES ON shop_product TO registry_owner;
SET ROLE registry_owner;
SELECT polyref.declare('int_kinds', 't', ARRAY['shop_product']::regclass[], ARRAY['shop.item'],
                       kind_registry => 'django_content_type');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- ---------------------------------------------------------------------------
-- The join helpers with untyped parameters, as node-postgres and Sequelize
-- send them (every parameter unknown): no casts needed.
PREPARE resolve_untyped AS SELECT polyref.resolve($1, $2, $3, $4);
EXECUTE resolve_untyped('shop_taggeditem', 'content_object', 'shop.item', '7');
EXECUTE resolve_untyped('shop_taggeditem', 'content_object', 'shop.item', '007');
PREPARE resolve_many_untyped AS SELECT * FROM polyref.resolve_many($1, $2, $3, $4);
EXECUTE resolve_many_untyped('shop_taggeditem', 'content_object', '{shop.item,shop.item}', '{7,8}');
EXECUTE resolve_many_untyped('shop_taggeditem', 'content_object', '{shop.item}', '{7,8}');
\echo :LAST_ERROR_SQLSTATE
PREPARE referrers_untyped AS SELECT source, association, ref->>'tag' FROM polyref.referrers($1, $2);
EXECUTE referrers_untyped('shop_product', '7');
-- Typed calls pick the function they always did (no ambiguity).
SELECT polyref.resolve('shop_taggeditem', 'content_object', 'shop.item', 7);
SELECT polyref.resolve('shop_taggeditem', 'content_object', 'shop.item', 7::bigint);
SELECT polyref.resolve('shop_taggeditem', 'content_object', 'shop.item', '7'::text);
SELECT polyref.resolve('shop_taggeditem', 'content_object', 'shop.item', '7');
SELECT count(*) FROM polyref.resolve_many('shop_taggeditem', 'content_object',
                                          ARRAY['shop.item'], ARRAY[7::smallint]);
SELECT count(*) FROM polyref.referrers('shop_product', 7);
SELECT count(*) FROM polyref.referrers('shop_product', '7');
SELECT p.proname, pg_get_function_identity_arguments(p.oid)
  FROM pg_proc p WHERE p.pronamespace = 'polyref'::regnamespace
   AND p.proname IN ('resolve', 'resolve_many', 'referrers') ORDER BY 1, 2;

-- ---------------------------------------------------------------------------
-- undeclare removes the registry's trigger with the rest.
SELECT polyref.undeclare('shop_taggeditem', 'content_object');
SELECT tgname FROM pg_trigger WHERE tgrelid = 'django_content_type'::regclass
   AND tgname LIKE 'polyref%';

-- ---------------------------------------------------------------------------
-- discover() finds the GenericForeignKey by content_type_id's native foreign
-- key to django_content_type, reads the kinds as labels, maps them by
-- Django's table naming, and proposes the declaration with kind_registry.
ALTER TABLE shop_taggeditem ADD FOREIGN KEY (content_type_id)
    REFERENCES django_content_type (id) DEFERRABLE INITIALLY DEFERRED;
UPDATE django_content_type SET model = 'product' WHERE id = 5;
INSERT INTO django_content_type (id, app_label, model) VALUES (6, 'shop', 'gone');
INSERT INTO shop_taggeditem (tag, content_type_id, object_id) VALUES ('stale', 6, 1);
SELECT source, association, type_column, id_column, kind, target, rows, orphans
  FROM polyref.discover(ARRAY['registry']) WHERE source = 'shop_taggeditem'::regclass
 ORDER BY kind;
SELECT DISTINCT declaration FROM polyref.discover(ARRAY['registry'])
 WHERE source = 'shop_taggeditem'::regclass;
DELETE FROM shop_taggeditem WHERE tag = 'stale';
SELECT DISTINCT declaration FROM polyref.discover(ARRAY['registry'])
 WHERE source = 'shop_taggeditem'::regclass \gexec
SELECT association, kinds, kind_registry, validated FROM polyref.associations
 WHERE source = 'shop_taggeditem'::regclass;
DROP SCHEMA registry CASCADE;
DROP ROLE registry_owner;
