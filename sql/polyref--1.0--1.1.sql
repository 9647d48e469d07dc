-- polyref 1.0 -> 1.1: ALTER EXTENSION polyref UPDATE TO '1.1'.
-- CREATE EXTENSION polyref installs 1.0 and runs this script after it, so
-- each change of release 1.1 to the SQL objects is written here once.
\echo Use "ALTER EXTENSION polyref UPDATE TO '1.1'" to load this file. \quit

-- ---------------------------------------------------------------------------
-- match_type (SPEC, What is enforced): 'full', the 1.0 rule and still the
-- default, or 'simple', a native foreign key's default, under which a row
-- whose kind or id is NULL is not checked at all.

ALTER TABLE polyref.config_association
    ADD COLUMN match_type text NOT NULL DEFAULT 'full'
        CHECK (match_type IN ('full', 'simple'));

-- kind_registry (SPEC, Kind registries): the kind column holds the key of a
-- row of this table (django_content_type), whose natural key is the kind's
-- label.  NULL: kinds are stored as they are.
ALTER TABLE polyref.config_association ADD COLUMN kind_registry regclass;

-- scope_columns (SPEC, Scoped associations): columns of the source that must
-- equal the target row's columns of the same names (the tenant); NULL when
-- the association is not scoped.
ALTER TABLE polyref.config_association
    ADD COLUMN scope_columns name[]
        CHECK (scope_columns IS NULL
               OR (pg_catalog.cardinality(scope_columns) > 0
                   AND pg_catalog.array_position(scope_columns, NULL) IS NULL));

-- declare gains its last parameters; the old signature goes, so that a call
-- by position or by name finds exactly one function.
DROP FUNCTION polyref.declare(regclass, text, regclass[], text[], name, name,
                              text, text, boolean, boolean, boolean, boolean);
CREATE FUNCTION polyref.declare(
    source             regclass,
    name               text,
    targets            regclass[] DEFAULT NULL,
    kinds              text[]     DEFAULT NULL,
    type_column        name       DEFAULT NULL,
    id_column          name       DEFAULT NULL,
    on_delete          text       DEFAULT 'no action',
    on_update          text       DEFAULT 'no action',
    is_deferrable      boolean    DEFAULT true,
    initially_deferred boolean    DEFAULT true,
    validate           boolean    DEFAULT true,
    create_index       boolean    DEFAULT true,
    match_type         text       DEFAULT 'full',
    kind_registry      regclass   DEFAULT NULL,
    scope_columns      name[]     DEFAULT NULL)
RETURNS void AS 'MODULE_PATHNAME', 'polyref_declare' LANGUAGE C;

-- The catalog view shows it, after the columns 1.0 had.
CREATE OR REPLACE VIEW polyref.associations AS
SELECT a.source,
       a.association,
       a.type_column,
       a.id_column,
       a.on_delete,
       a.on_update,
       a.is_deferrable,
       a.initially_deferred,
       a.validated,
       coalesce((SELECT pg_catalog.array_agg(k.kind ORDER BY k.kind COLLATE "C")
                   FROM polyref.config_kind k
                  WHERE k.source = a.source AND k.association = a.association),
                '{}') AS kinds,
       a.match_type,
       a.kind_registry,
       a.scope_columns
  FROM polyref.config_association a;

-- Scoped associations: resolve and resolve_many take the scope values (in
-- the order of scope_columns; resolve_many: one row of them per pair, a
-- one-dimensional array when there is one scope column).  Of any type
-- whose text the scope columns' types read.
CREATE FUNCTION polyref.resolve(source regclass, name text, kind text, id anyelement,
                                scope anycompatiblearray)
RETURNS jsonb AS 'MODULE_PATHNAME', 'polyref_resolve' LANGUAGE C STABLE;
CREATE FUNCTION polyref.resolve_many(source regclass, name text, kinds text[], ids anyarray,
                                     scopes anycompatiblearray)
RETURNS TABLE (kind text, id text, target jsonb)
AS 'MODULE_PATHNAME', 'polyref_resolve_many' LANGUAGE C STABLE;

-- ---------------------------------------------------------------------------
-- Declarations are schema (src/schema_carrier.cpp).  Each association's
-- declaration rides in the arguments of its constraint trigger on the source
-- table, which pg_dump writes with the schema (pg_dump -s, Rails'
-- structure.sql, Laravel's schema:dump).  When a restore creates that
-- trigger, the ddl_command_end event trigger records the declaration in
-- config_association, config_kind and config_join_view.  Those tables stay
-- authoritative in a running database, and polyref rewrites every trigger's
-- arguments after each change.  The tables are no longer dumped as data: a
-- dump carries each declaration once, in its trigger, so a schema-only dump
-- followed by a data-only dump cannot duplicate one.  (Removing a table from
-- the extension also removes it from the tables whose data pg_dump writes;
-- adding it back makes it a member again, as its data is not.)
ALTER EXTENSION polyref DROP TABLE polyref.config_association;
ALTER EXTENSION polyref ADD TABLE polyref.config_association;
ALTER EXTENSION polyref DROP TABLE polyref.config_kind;
ALTER EXTENSION polyref ADD TABLE polyref.config_kind;
ALTER EXTENSION polyref DROP TABLE polyref.config_join_view;
ALTER EXTENSION polyref ADD TABLE polyref.config_join_view;

-- The event trigger now also follows CREATE TRIGGER (a restore), ALTER
-- SCHEMA and ALTER VIEW (renames the carried declarations must follow).
DROP EVENT TRIGGER polyref_ddl_command_end;
CREATE EVENT TRIGGER polyref_ddl_command_end ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE', 'CREATE TABLE', 'ALTER SCHEMA', 'ALTER VIEW', 'CREATE TRIGGER')
    EXECUTE FUNCTION polyref.on_ddl_command_end();

-- What the triggers carry, read as a restore reads it: one row per kind (a
-- row with NULL kind for an association without kinds), with the
-- association's join views (create_join_view) by OID.  Comparing it with
-- polyref.associations and polyref.targets shows what a schema-only dump
-- would restore.
CREATE FUNCTION polyref.carried_declarations()
RETURNS TABLE (source regclass, association text, type_column name, id_column name,
               on_delete text, on_update text, is_deferrable boolean, initially_deferred boolean,
               validated boolean, created_index name, kind text, target regclass, key_column name,
               join_views regclass[], match_type text, kind_registry regclass,
               scope_columns name[])
AS 'MODULE_PATHNAME', 'polyref_carried_declarations' LANGUAGE C STABLE;

-- ALTER EXTENSION UPDATE from 1.0: the existing declarations go into their
-- triggers now.  (Nothing to do for CREATE EXTENSION.)
CREATE FUNCTION polyref.carry_all_declarations() RETURNS void
    AS 'MODULE_PATHNAME', 'polyref_carry_all_declarations' LANGUAGE C;
SELECT polyref.carry_all_declarations();
DROP FUNCTION polyref.carry_all_declarations();

-- ---------------------------------------------------------------------------
-- Kind registries (src/registry.cpp): the row trigger on a registry table
-- that declare installs.  Each change of a registry row makes every session
-- drop its map from registry keys to kinds (at commit, or at once in the
-- session that made it); a relabelled row carries its kind along; a row whose
-- key source rows still carry cannot go (23503).
CREATE FUNCTION polyref.registry_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME', 'polyref_registry_trigger' LANGUAGE C;

-- ---------------------------------------------------------------------------
-- The join helpers with an untyped id: drivers that bind every parameter as
-- unknown or text (node-postgres, Sequelize) leave nothing to infer
-- anyelement from.  An id in text is read as the key's canonical text form,
-- as the text-id rule has it; a typed id still picks the polymorphic
-- function (no implicit cast turns an integer into text).  resolve_many's
-- ids come as the text of an array literal ('{42,7}', what node-postgres
-- sends for an array): an overload taking text[] would be as good a match
-- as anyarray for an unknown parameter, and the call ambiguous.
CREATE FUNCTION polyref.resolve(source regclass, name text, kind text, id text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'polyref_resolve' LANGUAGE C STABLE;
CREATE FUNCTION polyref.resolve_many(source regclass, name text, kinds text[], ids text)
RETURNS TABLE (kind text, id text, target jsonb)
AS 'MODULE_PATHNAME', 'polyref_resolve_many' LANGUAGE C STABLE;
CREATE FUNCTION polyref.referrers(target regclass, id text)
RETURNS TABLE (source regclass, association text, ref jsonb)
AS 'MODULE_PATHNAME', 'polyref_referrers' LANGUAGE C STABLE;
