-- Upgrades: every released version of polyref installs, and ALTER EXTENSION
-- polyref UPDATE reaches the default version from it.  (A new version that
-- ships without its polyref--X.Y--X.Z.sql script fails here.)
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS polyref CASCADE;
RESET client_min_messages;

-- Every version has a path to the default one.
SELECT v.version,
       v.version = e.default_version
       OR EXISTS (SELECT 1 FROM pg_extension_update_paths('polyref') p
                   WHERE p.source = v.version AND p.target = e.default_version
                     AND p.path IS NOT NULL) AS reaches_default
  FROM pg_available_extension_versions v
  JOIN pg_available_extensions e ON e.name = v.name
 WHERE v.name = 'polyref'
 ORDER BY v.version;

-- Install each version in turn, update, and check the result is the
-- default version with a working declaration.
CREATE FUNCTION pg_temp.install_and_update(v text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE installed text;
BEGIN
    EXECUTE format('CREATE EXTENSION polyref VERSION %L', v);
    ALTER EXTENSION polyref UPDATE;
    SELECT extversion INTO installed FROM pg_extension WHERE extname = 'polyref';
    CREATE TABLE pg_temp.up_posts (id bigint PRIMARY KEY);
    CREATE TABLE pg_temp.up_comments (id int, ref_type text, ref_id bigint);
    PERFORM polyref.declare('pg_temp.up_comments', 'ref', ARRAY['pg_temp.up_posts']::regclass[],
                            initially_deferred => false);
    BEGIN
        INSERT INTO pg_temp.up_comments VALUES (1, 'up_posts', 42);
        installed := installed || ': dangling insert accepted';
    EXCEPTION WHEN foreign_key_violation THEN
        installed := installed || ': enforced';
    END;
    DROP TABLE pg_temp.up_comments, pg_temp.up_posts;
    DROP EXTENSION polyref;
    RETURN installed;
END $$;

SELECT v.version AS installed_version, pg_temp.install_and_update(v.version) AS after_update
  FROM pg_available_extension_versions v
 WHERE v.name = 'polyref'
 ORDER BY v.version;

SELECT default_version FROM pg_available_extensions WHERE name = 'polyref';

-- 1.0 -> 1.1 with declarations in place: ALTER EXTENSION UPDATE writes each
-- declaration into its trigger (what a schema-only dump then carries), and
-- the configuration tables stop being dumped as data.
CREATE EXTENSION polyref VERSION '1.0';
CREATE SCHEMA upgrade;
CREATE TABLE upgrade.posts (id bigint PRIMARY KEY);
CREATE TABLE upgrade.videos (id bigint PRIMARY KEY);
CREATE TABLE upgrade.comments (id int PRIMARY KEY, commentable_type text, commentable_id bigint);
SELECT polyref.declare('upgrade.comments', 'commentable', ARRAY['upgrade.posts', 'upgrade.videos']::regclass[],
                       kinds => ARRAY['Post', 'Video'], on_delete => 'cascade', validate => false);
-- The trigger as polyref 1.0's library made it, without arguments.
ALTER EVENT TRIGGER polyref_sql_drop DISABLE;
DROP TRIGGER commentable ON upgrade.comments;
CREATE CONSTRAINT TRIGGER commentable AFTER INSERT OR UPDATE ON upgrade.comments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION polyref.constraint_trigger();
ALTER EVENT TRIGGER polyref_sql_drop ENABLE;
SELECT tgnargs FROM pg_trigger WHERE tgrelid = 'upgrade.comments'::regclass AND tgname = 'commentable';
SELECT c.relname FROM pg_extension e, unnest(e.extconfig) t(oid) JOIN pg_class c ON c.oid = t.oid
 WHERE e.extname = 'polyref' ORDER BY 1;
ALTER EXTENSION polyref UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'polyref';
SELECT tgnargs FROM pg_trigger WHERE tgrelid = 'upgrade.comments'::regclass AND tgname = 'commentable';
SELECT c.relname FROM pg_extension e, unnest(e.extconfig) t(oid) JOIN pg_class c ON c.oid = t.oid
 WHERE e.extname = 'polyref' ORDER BY 1;
SELECT source, association, on_delete, validated, kind, target, key_column
  FROM polyref.carried_declarations() ORDER BY kind;
-- What is carried is what is configured.
SELECT k.source, k.association, k.kind, k.target, k.key_column FROM polyref.config_kind k
EXCEPT
SELECT c.source, c.association, c.kind, c.target, c.key_column FROM polyref.carried_declarations() c;
DROP SCHEMA upgrade CASCADE;
DROP EXTENSION polyref;
CREATE EXTENSION polyref;
