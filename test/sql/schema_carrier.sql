-- schema_carrier: declarations are schema (SPEC, "Declarations are schema").
-- Each association's declaration rides in the arguments of its constraint
-- trigger on the source, which pg_dump --schema-only writes.  The
-- configuration tables stay authoritative; after every change (declare,
-- add_target, drop_target, rename_kind, validate, undeclare, DROP ... CASCADE
-- and renames of tables, schemas and columns) what the triggers carry, read
-- back as a restore reads it (polyref.carried_declarations()), equals the
-- configuration row for row.  A trigger created with a declaration records
-- it (a restore); a malformed one, or one naming what does not exist, fails
-- with an error naming the trigger.  (test/t/schema_dump.pl dumps and loads.)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS polyref;
RESET client_min_messages;
CREATE SCHEMA carrier; CREATE SCHEMA carrier_targets;
SET search_path = carrier, public;

-- Configuration rows and carried declarations of this test's tables, in one
-- shape; drift lists what one side has and the other lacks.
CREATE VIEW carrier_tables AS
SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname LIKE 'carrier%';
CREATE VIEW config_rows AS
SELECT a.source, a.association, a.type_column, a.id_column, a.on_delete, a.on_update,
       a.is_deferrable, a.initially_deferred, a.validated, a.created_index,
       k.kind, k.target, k.key_column,
       (SELECT array_agg(j.join_view ORDER BY j.join_view::oid) FROM polyref.config_join_view j
         WHERE j.source = a.source AND j.association = a.association) AS join_views,
       a.match_type, a.kind_registry, a.scope_columns
  FROM polyref.config_association a
  LEFT JOIN polyref.config_kind k ON k.source = a.source AND k.association = a.association
 WHERE a.source IN (SELECT oid FROM carrier_tables);
CREATE VIEW carried_rows AS
SELECT * FROM polyref.carried_declarations() c WHERE c.source IN (SELECT oid FROM carrier_tables);
CREATE VIEW drift AS
(SELECT 'only configured' AS side, * FROM config_rows
 EXCEPT ALL SELECT 'only configured', * FROM carried_rows)
UNION ALL
(SELECT 'only carried', * FROM carried_rows
 EXCEPT ALL SELECT 'only carried', * FROM config_rows);

-- The arguments of a trigger, one per line.
CREATE FUNCTION carried(tbl regclass, trg name) RETURNS SETOF text LANGUAGE sql AS $$
    SELECT a FROM pg_trigger t,
           unnest(string_to_array(rtrim(encode(t.tgargs, 'escape'), '\000'), '\000')) WITH ORDINALITY AS x(a, n)
     WHERE t.tgrelid = tbl AND t.tgname = trg AND t.tgnargs > 0
     ORDER BY n
$$;

CREATE TABLE carrier_targets.posts (id bigint PRIMARY KEY, title text);
CREATE TABLE carrier_targets.videos (id bigint PRIMARY KEY);
CREATE TABLE carrier_targets."Photo Albums" (uid uuid PRIMARY KEY, id bigint UNIQUE);
CREATE TABLE comments (id bigint PRIMARY KEY, commentable_type text, commentable_id bigint);
CREATE TABLE likes (id bigint PRIMARY KEY, likeable_type text, likeable_id bigint);
INSERT INTO carrier_targets.posts VALUES (1, 'one');
INSERT INTO carrier_targets.videos VALUES (2);
INSERT INTO comments VALUES (1, 'Post', 1);
INSERT INTO likes VALUES (1, 'Post', 404);

-- =========================================================================
-- 1. What declare writes into the trigger
-- =========================================================================
SELECT polyref.declare('comments', 'commentable',
                       ARRAY['carrier_targets.posts', 'carrier_targets.videos']::regclass[],
                       kinds => ARRAY['Post', 'Video'], on_delete => 'cascade');
SELECT polyref.declare('likes', 'likeable', ARRAY['carrier_targets.posts']::regclass[],
                       kinds => ARRAY['Post'], validate => false, create_index => false,
                       is_deferrable => false, initially_deferred => false);
SELECT * FROM carried('comments', 'commentable');
SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'likes'::regclass AND tgname = 'likeable';
-- The targets' triggers carry nothing.
SELECT tgrelid::regclass, tgname, tgnargs FROM pg_trigger
 WHERE tgrelid = 'carrier_targets.posts'::regclass ORDER BY tgname;
SELECT source, association, on_delete, is_deferrable, initially_deferred, validated, created_index, kind, target, key_column
  FROM carried_rows ORDER BY source::text, association, kind;
SELECT * FROM drift;

-- =========================================================================
-- 2. Every change keeps both sides equal
-- =========================================================================
SELECT polyref.add_target('comments', 'commentable', 'carrier_targets."Photo Albums"', kind => 'Photo', key_column => 'id');
SELECT * FROM drift;
SELECT polyref.rename_kind('comments', 'commentable', 'Video', 'Clip');
SELECT * FROM drift;
SELECT polyref.drop_target('comments', 'commentable', 'Clip');
SELECT * FROM drift;
DELETE FROM likes WHERE id = 1;
SELECT polyref.validate('likes', 'likeable');
SELECT * FROM drift;
SELECT validated FROM carried_rows WHERE association = 'likeable';
-- Renames: a target table, its schema, a target moved to another schema, the
-- kind, id and key columns, the source itself.
ALTER TABLE carrier_targets.posts RENAME TO articles;
SELECT * FROM drift;
ALTER SCHEMA carrier_targets RENAME TO "carrier Targets";
SELECT * FROM drift;
ALTER TABLE "carrier Targets"."Photo Albums" SET SCHEMA carrier;
SELECT * FROM drift;
ALTER TABLE comments RENAME COLUMN commentable_type TO subject_kind;
ALTER TABLE comments RENAME COLUMN commentable_id TO subject_id;
ALTER TABLE carrier."Photo Albums" RENAME COLUMN id TO legacy_id;
SELECT * FROM drift;
ALTER TABLE comments RENAME TO remarks;
SELECT * FROM drift;
SELECT * FROM carried('remarks', 'commentable');
-- Join views: made, renamed, moved, dropped.
SELECT polyref.create_join_view('remarks', 'commentable');
SELECT * FROM drift;
SELECT join_views FROM carried_rows WHERE association = 'commentable' LIMIT 1;
ALTER VIEW remarks_commentable RENAME TO "Remarks View";
SELECT * FROM drift;
ALTER VIEW "Remarks View" SET SCHEMA "carrier Targets";
SELECT * FROM drift;
SELECT * FROM carried('remarks', 'commentable') WHERE carried LIKE 'join_view=%';
DROP VIEW "carrier Targets"."Remarks View";
SELECT * FROM drift;
SELECT polyref.create_join_view('remarks', 'commentable', 'carrier.remarks_joined');
SELECT * FROM drift;
-- DROP ... CASCADE of a target removes its kind, on both sides.
DROP TABLE carrier."Photo Albums" CASCADE;
SELECT * FROM drift;
SELECT kind, target FROM carried_rows WHERE association = 'commentable';
-- undeclare: the trigger goes with the association.
SELECT polyref.undeclare('likes', 'likeable');
SELECT * FROM drift;
SELECT count(*) FROM pg_trigger WHERE tgrelid = 'likes'::regclass AND tgname = 'likeable';
-- Two associations of one name sharing the target's trigger: the source's
-- trigger carries only its own declaration; a self-reference's trigger
-- serves both sides.
CREATE TABLE nodes (id bigint PRIMARY KEY, parent_type text, parent_id bigint);
SELECT polyref.declare('nodes', 'parent', ARRAY['nodes', '"carrier Targets".articles']::regclass[],
                       kinds => ARRAY['Node', 'Article']);
SELECT tgname, tgtype, tgnargs FROM pg_trigger WHERE tgrelid = 'nodes'::regclass ORDER BY tgname;
SELECT * FROM drift;

-- =========================================================================
-- 3. A trigger created with a declaration records it (what a restore does)
-- =========================================================================
-- Lose the configuration behind polyref's back, keeping the definition.
SELECT pg_get_triggerdef(oid) AS remarks_def FROM pg_trigger
 WHERE tgrelid = 'remarks'::regclass AND tgname = 'commentable' \gset
ALTER EVENT TRIGGER polyref_sql_drop DISABLE;
DROP TRIGGER commentable ON remarks;
ALTER EVENT TRIGGER polyref_sql_drop ENABLE;
DELETE FROM polyref.config_kind WHERE source = 'remarks'::regclass;
DELETE FROM polyref.config_association WHERE source = 'remarks'::regclass;
SELECT count(*) FROM polyref.associations WHERE source = 'remarks'::regclass;
:remarks_def;
SELECT source, association, kinds, on_delete, validated FROM polyref.associations
 WHERE source = 'remarks'::regclass;
SELECT * FROM drift;
-- And enforces it.
BEGIN;
SET CONSTRAINTS commentable IMMEDIATE;
INSERT INTO remarks VALUES (9, 'Post', 999);
ROLLBACK;
DELETE FROM "carrier Targets".articles WHERE id = 1;
SELECT count(*) FROM remarks;

-- A trigger without arguments on a declared source (a dump from polyref 1.0,
-- whose configuration rows were loaded before it) gets them written in.
ALTER EVENT TRIGGER polyref_sql_drop DISABLE;
DROP TRIGGER commentable ON remarks;
ALTER EVENT TRIGGER polyref_sql_drop ENABLE;
CREATE CONSTRAINT TRIGGER commentable AFTER INSERT OR UPDATE ON remarks
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION polyref.constraint_trigger();
SELECT tgnargs FROM pg_trigger WHERE tgrelid = 'remarks'::regclass AND tgname = 'commentable';
SELECT * FROM drift;

-- =========================================================================
-- 4. A malformed or dangling declaration fails, naming the trigger
-- =========================================================================
CREATE TABLE shares (id bigint PRIMARY KEY, shareable_type text, shareable_id bigint);
CREATE FUNCTION make_carrier(VARIADIC args text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE CONSTRAINT TRIGGER shareable AFTER INSERT OR UPDATE ON carrier.shares'
                   ' DEFERRABLE INITIALLY DEFERRED FOR EACH ROW'
                   ' EXECUTE FUNCTION polyref.constraint_trigger(%s)',
                   (SELECT string_agg(quote_literal(a), ', ') FROM unnest(args) a));
END $$;
\set VERBOSITY default
-- an unknown action
SELECT make_carrier('polyref=1', 'type_column=shareable_type', 'id_column=shareable_id',
                    'on_delete=explode', 'on_update=no action', 'validated=true',
                    'kind=Article', 'target="carrier Targets".articles', 'key_column=id');
-- a truncated list
SELECT make_carrier('polyref=1', 'type_column=shareable_type', 'id_column=shareable_id');
-- a kind without its key column
SELECT make_carrier('polyref=1', 'type_column=shareable_type', 'id_column=shareable_id',
                    'on_delete=no action', 'on_update=no action', 'validated=true',
                    'kind=Article', 'target="carrier Targets".articles');
-- a format this polyref does not know
SELECT make_carrier('polyref=2', 'whatever');
-- a target that does not exist
SELECT make_carrier('polyref=1', 'type_column=shareable_type', 'id_column=shareable_id',
                    'on_delete=no action', 'on_update=no action', 'validated=true',
                    'kind=Article', 'target=carrier.missing', 'key_column=id');
-- an unqualified target
SELECT make_carrier('polyref=1', 'type_column=shareable_type', 'id_column=shareable_id',
                    'on_delete=no action', 'on_update=no action', 'validated=true',
                    'kind=Article', 'target=articles', 'key_column=id');
-- a column the source lacks
SELECT make_carrier('polyref=1', 'type_column=share_kind', 'id_column=shareable_id',
                    'on_delete=no action', 'on_update=no action', 'validated=true');
-- a key column the target lacks
SELECT make_carrier('polyref=1', 'type_column=shareable_type', 'id_column=shareable_id',
                    'on_delete=no action', 'on_update=no action', 'validated=true',
                    'kind=Article', 'target="carrier Targets".articles', 'key_column=uid');
-- Nothing was left behind: no trigger, no association.
SELECT count(*) FROM pg_trigger WHERE tgrelid = 'shares'::regclass;
SELECT count(*) FROM polyref.associations WHERE source = 'shares'::regclass;
-- A well-formed one declares, and NOT VALID stays not validated.
SELECT make_carrier('polyref=1', 'type_column=shareable_type', 'id_column=shareable_id',
                    'on_delete=no action', 'on_update=no action', 'validated=false',
                    'kind=Article', 'target="carrier Targets".articles', 'key_column=id');
SELECT source, association, kinds, validated FROM polyref.associations WHERE source = 'shares'::regclass;
SELECT * FROM drift;

-- A scoped association carries one scope_column= per scope column, in
-- order (test/sql/scoped.sql restores one).
CREATE TABLE tenant_posts (account_id int, region text, id bigint,
                           PRIMARY KEY (region, account_id, id));
CREATE TABLE tenant_notes (id int PRIMARY KEY, account_id int, region text,
                           subject_type text, subject_id bigint);
SELECT polyref.declare('tenant_notes', 'subject', ARRAY['tenant_posts']::regclass[],
                       kinds => ARRAY['Post'], scope_columns => ARRAY['account_id', 'region']);
SELECT * FROM carried('tenant_notes', 'subject');
SELECT * FROM drift;

-- Only who could declare may: the source's owner, with REFERENCES on each target.
CREATE ROLE carrier_intruder;
CREATE TABLE loans (id bigint PRIMARY KEY, item_type text, item_id bigint);
GRANT TRIGGER ON loans TO carrier_intruder;
GRANT USAGE ON SCHEMA carrier TO carrier_intruder;
SET ROLE carrier_intruder;
CREATE CONSTRAINT TRIGGER item AFTER INSERT OR UPDATE ON carrier.loans
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION polyref.constraint_trigger('polyref=1', 'type_column=item_type',
        'id_column=item_id', 'on_delete=cascade', 'on_update=no action', 'validated=true',
        'kind=Article', 'target="carrier Targets".articles', 'key_column=id');
RESET ROLE;
SELECT count(*) FROM polyref.associations WHERE source = 'loans'::regclass;

-- =========================================================================
-- Kind registries: the registry rides by its qualified name, after
-- match_type, and follows a rename; a restore records it.
-- =========================================================================
CREATE TABLE django_content_type (id int PRIMARY KEY, app_label text NOT NULL,
                                  model text NOT NULL, UNIQUE (app_label, model));
CREATE TABLE shop_video (id bigint PRIMARY KEY);
CREATE TABLE tagged (id bigint PRIMARY KEY, content_type_id int, object_id bigint);
SELECT polyref.declare('tagged', 'content_object', ARRAY['shop_video']::regclass[],
                       ARRAY['shop.video'], 'content_type_id', 'object_id',
                       kind_registry => 'django_content_type');
SELECT * FROM carried('tagged', 'content_object');
SELECT association, kind, kind_registry FROM carried_rows WHERE source = 'tagged'::regclass;
SELECT * FROM drift;
ALTER TABLE django_content_type RENAME TO content_types;
SELECT a FROM carried('tagged', 'content_object') a WHERE a LIKE 'kind_registry=%';
SELECT * FROM drift;
ALTER TABLE content_types SET SCHEMA "carrier Targets";
SELECT a FROM carried('tagged', 'content_object') a WHERE a LIKE 'kind_registry=%';
SELECT * FROM drift;
-- A restored trigger records its registry; one that names none that exists
-- is refused.
CREATE TABLE tagged2 (id bigint PRIMARY KEY, content_type_id int, object_id bigint);
CREATE CONSTRAINT TRIGGER content_object AFTER INSERT OR UPDATE ON tagged2
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION polyref.constraint_trigger('polyref=1', 'type_column=content_type_id',
        'id_column=object_id', 'on_delete=no action', 'on_update=no action', 'validated=true',
        'kind_registry=carrier.no_such_registry',
        'kind=shop.video', 'target=carrier.shop_video', 'key_column=id');
CREATE CONSTRAINT TRIGGER content_object AFTER INSERT OR UPDATE ON tagged2
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION polyref.constraint_trigger('polyref=1', 'type_column=content_type_id',
        'id_column=object_id', 'on_delete=no action', 'on_update=no action', 'validated=true',
        'kind_registry="carrier Targets".content_types',
        'kind=shop.video', 'target=carrier.shop_video', 'key_column=id');
SELECT source, kinds, kind_registry FROM polyref.associations WHERE source = 'tagged2'::regclass;
SELECT * FROM drift;

\set VERBOSITY terse
DROP SCHEMA carrier, "carrier Targets" CASCADE;
DROP ROLE carrier_intruder;
