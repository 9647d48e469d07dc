-- polyref 1.0: declarations, catalog and commit-time enforcement.
--
-- This script only declares things; every rule lives in the C++ core
-- (src/).  Its objects, in order: the configuration tables, the catalog
-- views, the management functions, the trigger functions that enforce the
-- associations, and the event triggers that keep them through DDL.

\echo Use "CREATE EXTENSION polyref" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Configuration.  One row per declared association and one per kind.  Tables
-- are stored as regclass (pg_dump writes them as names, so a restore maps
-- them to the new OIDs); columns as names, kept in step with RENAME by the
-- DDL event trigger.  Only the extension writes here: the management
-- functions check the caller's rights, then write as the tables' owner.

CREATE TABLE polyref.config_association (
    source             regclass NOT NULL,
    association        text     NOT NULL CHECK (association <> ''),
    type_column        name     NOT NULL,
    id_column          name     NOT NULL,
    on_delete          text     NOT NULL
        CHECK (on_delete IN ('no action', 'restrict', 'cascade', 'set null', 'set default')),
    on_update          text     NOT NULL
        CHECK (on_update IN ('no action', 'restrict', 'cascade', 'set null', 'set default')),
    is_deferrable      boolean  NOT NULL,
    initially_deferred boolean  NOT NULL CHECK (is_deferrable OR NOT initially_deferred),
    validated          boolean  NOT NULL,
    created_index      name,              -- the (type, id) index declare made, in the source's schema
    PRIMARY KEY (source, association)
);

CREATE TABLE polyref.config_kind (
    source      regclass NOT NULL,
    association text     NOT NULL,
    kind        text     NOT NULL CHECK (kind <> ''),
    target      regclass NOT NULL,
    key_column  name     NOT NULL,
    PRIMARY KEY (source, association, kind)
    -- No foreign key to config_association: pg_restore --jobs loads
    -- configuration tables in any order.  polyref keeps them consistent
    -- (config_delete_association in src/config.cpp).
);

SELECT pg_catalog.pg_extension_config_dump('polyref.config_association', '');
SELECT pg_catalog.pg_extension_config_dump('polyref.config_kind', '');

REVOKE ALL ON polyref.config_association, polyref.config_kind FROM PUBLIC;

-- Every write to the configuration, including a pg_restore's COPY, tells
-- each backend's association cache to reload.
CREATE FUNCTION polyref.invalidate_cache() RETURNS trigger
    AS 'MODULE_PATHNAME', 'polyref_invalidate_cache' LANGUAGE C;

CREATE TRIGGER invalidate_cache
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON polyref.config_association
    FOR EACH STATEMENT EXECUTE FUNCTION polyref.invalidate_cache();
CREATE TRIGGER invalidate_cache
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON polyref.config_kind
    FOR EACH STATEMENT EXECUTE FUNCTION polyref.invalidate_cache();

-- ---------------------------------------------------------------------------
-- Catalog views.

CREATE VIEW polyref.associations AS
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
                '{}') AS kinds
  FROM polyref.config_association a;

CREATE VIEW polyref.targets AS
SELECT k.source, k.association, k.kind, k.target, k.key_column
  FROM polyref.config_kind k;

-- ---------------------------------------------------------------------------
-- Management.  Not STRICT: a NULL argument is answered with 22004 naming it.

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
    create_index       boolean    DEFAULT true)
RETURNS void AS 'MODULE_PATHNAME', 'polyref_declare' LANGUAGE C;

CREATE FUNCTION polyref.add_target(
    source     regclass,
    name       text,
    target     regclass,
    kind       text DEFAULT NULL,
    key_column name DEFAULT NULL)
RETURNS void AS 'MODULE_PATHNAME', 'polyref_add_target' LANGUAGE C;

CREATE FUNCTION polyref.drop_target(source regclass, name text, kind text)
RETURNS void AS 'MODULE_PATHNAME', 'polyref_drop_target' LANGUAGE C;

CREATE FUNCTION polyref.undeclare(source regclass, name text)
RETURNS void AS 'MODULE_PATHNAME', 'polyref_undeclare' LANGUAGE C;

CREATE FUNCTION polyref.validate(source regclass, name text)
RETURNS void AS 'MODULE_PATHNAME', 'polyref_validate' LANGUAGE C;

CREATE FUNCTION polyref.orphans(source regclass, name text)
RETURNS TABLE (tableoid regclass, ctid tid, kind text, id text)
AS 'MODULE_PATHNAME', 'polyref_orphans' LANGUAGE C;

CREATE FUNCTION polyref.rename_kind(source regclass, name text, old_kind text, new_kind text)
RETURNS bigint AS 'MODULE_PATHNAME', 'polyref_rename_kind' LANGUAGE C;

-- Adopting a table an ORM filled: proposes declarations (reads only, as the caller).
CREATE FUNCTION polyref.discover(schemas text[] DEFAULT NULL)
RETURNS TABLE (source regclass, association text, type_column name, id_column name, kind text,
               target regclass, rows bigint, orphans bigint, declaration text)
AS 'MODULE_PATHNAME', 'polyref_discover' LANGUAGE C STABLE;

-- ---------------------------------------------------------------------------
-- Enforcement.  declare installs, on each table an association touches:
--   "<association>"  a constraint trigger (deferrable as declared) that checks
--                    new references and the NO ACTION rule; named after the
--                    association so that SET CONSTRAINTS <association> works;
--   polyref_actions  a row trigger for RESTRICT / CASCADE / SET NULL /
--                    SET DEFAULT, which act at the end of the statement;
--   polyref_truncate a statement trigger refusing TRUNCATE of a referenced
--                    target.

CREATE FUNCTION polyref.constraint_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME', 'polyref_constraint_trigger' LANGUAGE C;
CREATE FUNCTION polyref.action_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME', 'polyref_action_trigger' LANGUAGE C;
CREATE FUNCTION polyref.truncate_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME', 'polyref_truncate_trigger' LANGUAGE C;

-- DDL (src/ddl.cpp): refuse drops an association needs, follow renames,
-- forget dropped sources, keep partitions covered.
CREATE FUNCTION polyref.on_ddl_command_start() RETURNS event_trigger
    AS 'MODULE_PATHNAME', 'polyref_on_ddl_command_start' LANGUAGE C;
CREATE FUNCTION polyref.on_sql_drop() RETURNS event_trigger
    AS 'MODULE_PATHNAME', 'polyref_on_sql_drop' LANGUAGE C;
CREATE FUNCTION polyref.on_ddl_command_end() RETURNS event_trigger
    AS 'MODULE_PATHNAME', 'polyref_on_ddl_command_end' LANGUAGE C;

CREATE EVENT TRIGGER polyref_ddl_command_start ON ddl_command_start
    WHEN TAG IN ('DROP TABLE')
    EXECUTE FUNCTION polyref.on_ddl_command_start();
CREATE EVENT TRIGGER polyref_sql_drop ON sql_drop
    EXECUTE FUNCTION polyref.on_sql_drop();
CREATE EVENT TRIGGER polyref_ddl_command_end ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE', 'CREATE TABLE')
    EXECUTE FUNCTION polyref.on_ddl_command_end();

-- ---------------------------------------------------------------------------
-- Grants: anyone may look and call; each function checks rights itself.

GRANT USAGE ON SCHEMA polyref TO PUBLIC;
GRANT SELECT ON polyref.associations, polyref.targets TO PUBLIC;

-- ===========================================================================
-- Joining and diagrams (src/joins.cpp).  The helpers run with the caller's
-- rights: they return nothing the caller could not SELECT, and row-level
-- security applies to them.  Not STRICT: a NULL required argument is 22004;
-- a NULL kind or id resolves to nothing.

-- The join views create_join_view made, so that add_target, drop_target and
-- rename_kind keep them in step and undeclare drops them.  The view is a
-- regclass, so renaming it (or its schema) keeps it recorded; dropping it
-- forgets it.  pg_dump carries the views as ordinary views and these rows as
-- configuration data.
CREATE TABLE polyref.config_join_view (
    join_view   regclass PRIMARY KEY,
    source      regclass NOT NULL,
    association text     NOT NULL
    -- no foreign key to config_association, for pg_restore --jobs (see config_kind)
);
SELECT pg_catalog.pg_extension_config_dump('polyref.config_join_view', '');
REVOKE ALL ON polyref.config_join_view FROM PUBLIC;

-- The referenced row as to_jsonb(row); NULL when absent or for a NULL kind or
-- id.  id: the key's type, any type that converts to it implicitly or that
-- its btree family compares with it (any integer against a bigint key), or
-- text in the key's canonical form ('42', not '042').
CREATE FUNCTION polyref.resolve(source regclass, name text, kind text, id anyelement)
RETURNS jsonb AS 'MODULE_PATHNAME', 'polyref_resolve' LANGUAGE C STABLE;

-- Eager loading without N+1: one query per kind, on the key's unique index.
CREATE FUNCTION polyref.resolve_many(source regclass, name text, kinds text[], ids anyarray)
RETURNS TABLE (kind text, id text, target jsonb)
AS 'MODULE_PATHNAME', 'polyref_resolve_many' LANGUAGE C STABLE;

-- has_many as: every row of every association pointing at this row (sources
-- the caller may not read are left out).
CREATE FUNCTION polyref.referrers(target regclass, id anyelement)
RETURNS TABLE (source regclass, association text, ref jsonb)
AS 'MODULE_PATHNAME', 'polyref_referrers' LANGUAGE C STABLE;

-- The join views' way from a text id to a smallint, integer, bigint or uuid
-- key: the key whose canonical text form id is, else NULL.
CREATE FUNCTION polyref.canonical_key(id text, key anyelement)
RETURNS anyelement AS 'MODULE_PATHNAME', 'polyref_canonical_key'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- A security_invoker view, owned by the source's owner: every column of
-- source, target_kind and target, one UNION ALL branch per kind.  Named
-- <source>_<name> by default; view_name is read as a (possibly qualified)
-- name, an unqualified one going in the source's schema.  Called again for
-- its own view, it brings it up to date (the source's new columns too).
CREATE FUNCTION polyref.create_join_view(source regclass, name text, view_name text DEFAULT NULL)
RETURNS regclass AS 'MODULE_PATHNAME', 'polyref_create_join_view' LANGUAGE C;

-- The declared associations as a Mermaid ER diagram or as AML relations.
CREATE FUNCTION polyref.diagram(format text DEFAULT 'mermaid')
RETURNS text AS 'MODULE_PATHNAME', 'polyref_diagram' LANGUAGE C STABLE;
