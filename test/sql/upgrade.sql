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
CREATE EXTENSION polyref;
