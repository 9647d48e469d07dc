--
-- security: who may declare (owner of the source + REFERENCES on each
-- target, nothing more, nothing less); a role that may only INSERT cannot
-- skip, disable or fool the checks; checks and actions run as the owner of
-- the table they touch and see through row-level security; search_path
-- attacks; NULL arguments; quoted and non-ASCII identifiers and kinds; and
-- SECURITY DEFINER functions pin search_path.  Side by side with native
-- foreign keys wherever the point applies.
--
-- Native foreign keys report RESTRICT apart from NO ACTION from PostgreSQL
-- 18 on (SQLSTATE 23001, "violates RESTRICT setting of foreign key
-- constraint"), and polyref as the server it runs on: this test's output
-- for 18 and later is expected/security_1.out, for 15 to 17 expected/security.out.
SELECT current_setting('server_version_num')::int >= 180000 AS postgresql_18_or_later;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS polyref;
RESET client_min_messages;
CREATE SCHEMA security; SET search_path = security, public;

CREATE ROLE regress_security_owner;    -- owns the sources
CREATE ROLE regress_security_towner;   -- owns the targets
CREATE ROLE regress_security_helper;   -- every privilege on the source, but not its owner
CREATE ROLE regress_security_writer;   -- may only INSERT into the sources
CREATE ROLE regress_security_evil;     -- plants objects on search_path
GRANT USAGE ON SCHEMA security TO PUBLIC;

-- What polyref records and installs for this schema's tables.
CREATE VIEW state AS
SELECT format('association %s.%s %s', a.source, a.association, a.kinds) AS item
  FROM polyref.associations a
 WHERE a.source IN (SELECT oid FROM pg_class WHERE relnamespace = 'security'::regnamespace)
UNION ALL
SELECT format('trigger %s.%s', c.relname, t.tgname)
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = 'security'::regnamespace AND NOT t.tgisinternal
UNION ALL
SELECT format('index %s', i.relname)
  FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
 WHERE c.relnamespace = 'security'::regnamespace AND NOT x.indisprimary;
GRANT SELECT ON state TO PUBLIC;

-- ===========================================================================
-- 1. Declaring needs ownership of the source and REFERENCES on each target,
--    nothing else.
-- ===========================================================================
CREATE TABLE posts (id bigint PRIMARY KEY, title text);
CREATE TABLE videos (id bigint PRIMARY KEY, title text);
INSERT INTO posts VALUES (1, 'post 1'), (2, 'post 2');
INSERT INTO videos VALUES (1, 'video 1');
ALTER TABLE posts OWNER TO regress_security_towner;
ALTER TABLE videos OWNER TO regress_security_towner;
CREATE TABLE comments (id int PRIMARY KEY, commentable_type text, commentable_id bigint);
CREATE TABLE native_comments (id int PRIMARY KEY, post_id bigint);
INSERT INTO comments VALUES (1, 'posts', 1), (2, 'videos', 1);
INSERT INTO native_comments VALUES (1, 1);
ALTER TABLE comments OWNER TO regress_security_owner;
ALTER TABLE native_comments OWNER TO regress_security_owner;

-- The helper holds every privilege on the source (TRIGGER, INSERT, SELECT,
-- REFERENCES...), REFERENCES and SELECT on the targets and CREATE on the
-- schema, but does not own the source: refused, as natively.
GRANT ALL ON comments, native_comments TO regress_security_helper;
GRANT REFERENCES, SELECT ON posts, videos TO regress_security_helper;
GRANT CREATE ON SCHEMA security TO regress_security_helper;
SET ROLE regress_security_helper;
SELECT polyref.declare('comments', 'commentable', ARRAY['posts', 'videos']::regclass[]);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('comments', 'commentable', ARRAY['posts', 'videos']::regclass[],
                       create_index => false);
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE native_comments ADD CONSTRAINT native_commentable
    FOREIGN KEY (post_id) REFERENCES posts DEFERRABLE INITIALLY DEFERRED;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT * FROM state ORDER BY item;

-- The owner, holding nothing on the targets but REFERENCES (no SELECT, no
-- TRIGGER, no CREATE on the schema): with create_index => false, declared,
-- and existing rows validated; the native twin likewise.
GRANT REFERENCES ON posts, videos TO regress_security_owner;
SET ROLE regress_security_owner;
SELECT has_table_privilege('posts', 'SELECT') AS owner_reads_posts,
       has_table_privilege('posts', 'TRIGGER') AS owner_triggers_posts,
       has_schema_privilege('security', 'CREATE') AS owner_creates;
SELECT polyref.declare('comments', 'commentable', ARRAY['posts', 'videos']::regclass[],
                       create_index => false);
ALTER TABLE native_comments ADD CONSTRAINT native_commentable
    FOREIGN KEY (post_id) REFERENCES posts DEFERRABLE INITIALLY DEFERRED;
-- The owner's rows are checked all the same, as the targets' owner.
INSERT INTO comments VALUES (3, 'posts', 2);
INSERT INTO comments VALUES (4, 'posts', 404);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO native_comments VALUES (3, 2);
INSERT INTO native_comments VALUES (4, 404);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT * FROM state ORDER BY item;
SELECT id, commentable_type, commentable_id FROM comments ORDER BY id;
SELECT id, post_id FROM native_comments ORDER BY id;

-- Nothing less: without REFERENCES on one target, 42501 and nothing
-- declared (natively too).
CREATE TABLE likes (id int PRIMARY KEY, likeable_type text, likeable_id bigint);
CREATE TABLE native_likes (id int PRIMARY KEY, video_id bigint);
ALTER TABLE likes OWNER TO regress_security_owner;
ALTER TABLE native_likes OWNER TO regress_security_owner;
REVOKE REFERENCES ON videos FROM regress_security_owner;
SET ROLE regress_security_owner;
SELECT polyref.declare('likes', 'likeable', ARRAY['posts', 'videos']::regclass[],
                       create_index => false);
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE native_likes ADD FOREIGN KEY (video_id) REFERENCES videos;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT * FROM state WHERE item LIKE '%likes%' ORDER BY item;
GRANT REFERENCES ON videos TO regress_security_owner;

-- ===========================================================================
-- 2. A role that may only INSERT into the source cannot skip, disable or
--    fool the checks.
-- ===========================================================================
GRANT INSERT ON comments, native_comments TO regress_security_writer;
CREATE TEMP TABLE before AS SELECT * FROM state;
GRANT SELECT ON before TO regress_security_writer;
SET ROLE regress_security_writer;
-- Disabling or dropping the triggers needs ownership (source and target).
ALTER TABLE comments DISABLE TRIGGER commentable;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE comments DISABLE TRIGGER ALL;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE native_comments DISABLE TRIGGER ALL;
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER commentable ON comments;
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER commentable ON posts;
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER polyref_truncate ON posts;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE native_comments DROP CONSTRAINT native_commentable;
\echo :LAST_ERROR_SQLSTATE
-- The configuration tables: no access at all.
INSERT INTO polyref.config_kind (source, association, kind, target, key_column)
VALUES ('comments', 'commentable', 'anything', 'posts', 'id');
\echo :LAST_ERROR_SQLSTATE
DELETE FROM polyref.config_association;
\echo :LAST_ERROR_SQLSTATE
UPDATE polyref.config_association SET validated = false;
\echo :LAST_ERROR_SQLSTATE
TRUNCATE polyref.config_kind;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM polyref.config_join_view;
\echo :LAST_ERROR_SQLSTATE
-- The management functions: 42501.
SELECT polyref.undeclare('comments', 'commentable');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.drop_target('comments', 'commentable', 'posts');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.add_target('comments', 'commentable', 'videos', kind => 'anything');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.rename_kind('comments', 'commentable', 'posts', 'anything');
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.validate('comments', 'commentable');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM polyref.orphans('comments', 'commentable');
\echo :LAST_ERROR_SQLSTATE
-- session_replication_role is for superusers.
SET session_replication_role = replica;
\echo :LAST_ERROR_SQLSTATE
SHOW session_replication_role;
-- The trigger functions cannot be called directly.
SELECT polyref.constraint_trigger();
\echo :LAST_ERROR_SQLSTATE
-- Deferring only postpones the check; a savepoint changes nothing.
BEGIN;
SET CONSTRAINTS ALL DEFERRED;
SAVEPOINT s;
INSERT INTO comments VALUES (10, 'posts', 404);
RELEASE SAVEPOINT s;
INSERT INTO native_comments VALUES (10, 1);
COMMIT;
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SET CONSTRAINTS ALL DEFERRED;
INSERT INTO native_comments VALUES (10, 404);
COMMIT;
\echo :LAST_ERROR_SQLSTATE
-- PREPARE TRANSACTION runs the deferred checks first, as natively.
BEGIN;
INSERT INTO comments VALUES (14, 'posts', 404);
PREPARE TRANSACTION 'regress_security_1';
\echo :LAST_ERROR_SQLSTATE
BEGIN;
INSERT INTO native_comments VALUES (14, 404);
PREPARE TRANSACTION 'regress_security_2';
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS prepared FROM pg_prepared_xacts WHERE gid LIKE 'regress\_security\_%';
-- COPY is checked like INSERT.
COPY comments FROM stdin;
30	posts	1
31	posts	404
\.
\echo :LAST_ERROR_SQLSTATE
COPY native_comments FROM stdin;
30	1
31	404
\.
\echo :LAST_ERROR_SQLSTATE
-- A kind that is not declared, a half-NULL pair: refused too.
INSERT INTO comments VALUES (11, 'Post', 1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO comments VALUES (12, 'posts', NULL);
\echo :LAST_ERROR_SQLSTATE
-- A valid reference goes in, although the writer cannot read the target.
INSERT INTO comments VALUES (13, 'videos', 1);
-- Its own table, with polyref's trigger functions attached: they refuse
-- to act for a table that is no declared source or target.
CREATE TEMP TABLE mine (id bigint PRIMARY KEY, commentable_type text, commentable_id bigint);
CREATE CONSTRAINT TRIGGER commentable AFTER INSERT ON mine
    FOR EACH ROW EXECUTE FUNCTION polyref.constraint_trigger();
INSERT INTO mine VALUES (1, 'posts', 404);
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER commentable ON mine;
CREATE TRIGGER polyref_actions BEFORE INSERT ON mine
    FOR EACH ROW EXECUTE FUNCTION polyref.action_trigger();
INSERT INTO mine VALUES (1, 'posts', 404);
\echo :LAST_ERROR_SQLSTATE
DROP TABLE mine;
RESET ROLE;
SHOW session_replication_role;
-- Nothing changed but rows 13 (and native 10, valid).
(SELECT * FROM state EXCEPT SELECT * FROM before)
UNION ALL
(SELECT * FROM before EXCEPT SELECT * FROM state);
SELECT id, commentable_type, commentable_id FROM comments ORDER BY id;
SELECT id, post_id FROM native_comments ORDER BY id;
SELECT association, validated, kinds FROM polyref.associations
 WHERE source = 'comments'::regclass;
DROP TABLE before;

-- ===========================================================================
-- 3. Checks and actions run as the owner of the table they touch and see
--    rows hidden by row-level security.
-- ===========================================================================
-- (a) A target with FORCE ROW LEVEL SECURITY and a policy hiding every row
--     (its owner is no superuser, so the policy binds it too): a reference
--     to an existing row passes, one to a missing row fails.  The writer
--     may not even read the target (point (c) below).
CREATE TABLE rls_posts (id bigint PRIMARY KEY);
INSERT INTO rls_posts VALUES (1), (2);
ALTER TABLE rls_posts OWNER TO regress_security_towner;
ALTER TABLE rls_posts ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY hide_all ON rls_posts USING (false);
GRANT REFERENCES ON rls_posts TO regress_security_owner;
CREATE TABLE rls_comments (id int PRIMARY KEY, ref_type text, ref_id bigint);
CREATE TABLE native_rls_comments (id int PRIMARY KEY, post_id bigint REFERENCES rls_posts);
ALTER TABLE rls_comments OWNER TO regress_security_owner;
ALTER TABLE native_rls_comments OWNER TO regress_security_owner;
SET ROLE regress_security_owner;
SELECT polyref.declare('rls_comments', 'ref', ARRAY['rls_posts']::regclass[], create_index => false);
RESET ROLE;
GRANT INSERT ON rls_comments, native_rls_comments TO regress_security_writer;
SET ROLE regress_security_towner;
SELECT count(*) AS rows_the_owner_sees FROM rls_posts;
SET ROLE regress_security_writer;
INSERT INTO rls_comments VALUES (1, 'rls_posts', 1);
INSERT INTO rls_comments VALUES (2, 'rls_posts', 404);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO native_rls_comments VALUES (1, 1);
INSERT INTO native_rls_comments VALUES (2, 404);
\echo :LAST_ERROR_SQLSTATE
-- The same, immediately.
BEGIN;
SET CONSTRAINTS ALL IMMEDIATE;
INSERT INTO rls_comments VALUES (3, 'rls_posts', 2);
INSERT INTO rls_comments VALUES (4, 'rls_posts', 405);
ROLLBACK;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT id, ref_type, ref_id FROM rls_comments ORDER BY id;
SELECT id, post_id FROM native_rls_comments ORDER BY id;
-- validate and orphans see through the target's policy too.
SET ROLE regress_security_owner;
SELECT polyref.validate('rls_comments', 'ref');
SELECT count(*) AS orphans FROM polyref.orphans('rls_comments', 'ref');
RESET ROLE;

-- (b) Sources with FORCE ROW LEVEL SECURITY hiding every row from
--     everyone but superusers; the target's owner deletes target rows.
--     ON DELETE CASCADE still deletes the hidden referencing rows, and NO
--     ACTION still sees the hidden references (23503).  A BEFORE DELETE
--     trigger on the cascading source records who deletes: the source's
--     owner, as natively.
CREATE TABLE who (tab text, current_role_name name);
GRANT INSERT ON who TO PUBLIC;
CREATE FUNCTION record_who() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO security.who VALUES (TG_TABLE_NAME, current_user);
    RETURN OLD;
END $$;
CREATE TABLE hid_posts (id bigint PRIMARY KEY);
CREATE TABLE hid_videos (id bigint PRIMARY KEY);
INSERT INTO hid_posts VALUES (1), (2), (3), (4);
INSERT INTO hid_videos VALUES (1);
ALTER TABLE hid_posts OWNER TO regress_security_towner;
ALTER TABLE hid_videos OWNER TO regress_security_towner;
GRANT REFERENCES ON hid_posts, hid_videos TO regress_security_owner;
CREATE TABLE hid_cascade (id int PRIMARY KEY, ref_type text, ref_id bigint);
CREATE TABLE hid_noaction (id int PRIMARY KEY, ref_type text, ref_id bigint);
CREATE TABLE native_hid_cascade (id int PRIMARY KEY,
                                 post_id bigint REFERENCES hid_posts ON DELETE CASCADE);
CREATE TABLE native_hid_noaction (id int PRIMARY KEY,
                                  post_id bigint REFERENCES hid_posts
                                  DEFERRABLE INITIALLY DEFERRED);
INSERT INTO hid_cascade VALUES (1, 'hid_posts', 1), (2, 'hid_posts', 1), (3, 'hid_posts', 3);
INSERT INTO hid_noaction VALUES (1, 'hid_posts', 2), (2, 'hid_videos', 1);
INSERT INTO native_hid_cascade VALUES (1, 1), (2, 1), (3, 3);
INSERT INTO native_hid_noaction VALUES (1, 4);
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['hid_cascade', 'hid_noaction', 'native_hid_cascade', 'native_hid_noaction']
    LOOP
        EXECUTE format('ALTER TABLE %I OWNER TO regress_security_owner', t);
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY hide_all ON %I USING (false)', t);
        EXECUTE format('CREATE TRIGGER record_who BEFORE DELETE ON %I'
                       ' FOR EACH ROW EXECUTE FUNCTION record_who()', t);
    END LOOP;
END $$;
SET ROLE regress_security_owner;
SELECT polyref.declare('hid_cascade', 'ref', ARRAY['hid_posts']::regclass[], on_delete => 'cascade',
                       create_index => false);
SELECT polyref.declare('hid_noaction', 'ref', ARRAY['hid_posts', 'hid_videos']::regclass[],
                       create_index => false);
-- Even the sources' owner sees nothing of them.
SELECT (SELECT count(*) FROM hid_cascade) AS cascade_rows, (SELECT count(*) FROM hid_noaction) AS noaction_rows;
-- Post 1: both cascades; post 2: polyref's no action; post 4: the
-- native twin's.
SET ROLE regress_security_towner;
DELETE FROM hid_posts WHERE id = 1;
DELETE FROM hid_posts WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM hid_posts WHERE id = 4;
\echo :LAST_ERROR_SQLSTATE
-- TRUNCATE too sees the hidden references: hid_videos (polyref only),
-- hid_posts (the native check refuses first).
TRUNCATE hid_videos;
\echo :LAST_ERROR_SQLSTATE
TRUNCATE hid_posts;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT id FROM hid_posts ORDER BY id;
SELECT 'hid_cascade' AS tab, id, ref_id FROM hid_cascade
UNION ALL SELECT 'native_hid_cascade', id, post_id FROM native_hid_cascade
UNION ALL SELECT 'hid_noaction', id, ref_id FROM hid_noaction
UNION ALL SELECT 'native_hid_noaction', id, post_id FROM native_hid_noaction
ORDER BY 1, 2;
SELECT tab, current_role_name, count(*) FROM who GROUP BY 1, 2 ORDER BY 1, 2;

-- (c) A role that may not SELECT a target (nor the source) still inserts
--     valid references, and only valid ones; the DETAIL leaves out key
--     values it may not see, as natively.
SET ROLE regress_security_writer;
SELECT has_table_privilege('posts', 'SELECT') AS writer_reads_posts;
INSERT INTO comments VALUES (20, 'posts', 2);
INSERT INTO native_comments VALUES (20, 2);
INSERT INTO comments VALUES (21, 'posts', 99);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO native_comments VALUES (21, 99);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT id, commentable_type, commentable_id FROM comments WHERE id >= 20 ORDER BY id;
SELECT id, post_id FROM native_comments WHERE id >= 20 ORDER BY id;

-- (d) Ownership changes are followed: after ALTER TABLE ... OWNER TO,
--     checks and actions run as the new owners.
CREATE ROLE regress_security_owner2;
CREATE ROLE regress_security_towner2;
ALTER TABLE hid_cascade OWNER TO regress_security_owner2;
ALTER TABLE hid_posts OWNER TO regress_security_towner2;
SET ROLE regress_security_towner2;
DELETE FROM hid_posts WHERE id = 3;
RESET ROLE;
SELECT count(*) AS left_in_hid_cascade FROM hid_cascade;
SELECT tab, current_role_name, count(*) FROM who GROUP BY 1, 2 ORDER BY 1, 2;
INSERT INTO hid_posts VALUES (5);
INSERT INTO hid_cascade VALUES (4, 'hid_posts', 5);
INSERT INTO hid_cascade VALUES (5, 'hid_posts', 6);
\echo :LAST_ERROR_SQLSTATE
DELETE FROM hid_cascade;
DELETE FROM hid_noaction;
DELETE FROM native_hid_noaction;
DELETE FROM native_hid_cascade;

-- (e) The management functions called by an owner whom FORCE ROW LEVEL
--     SECURITY hides rows from: rl_src, rl_tgt and rl_tgt2 belong to
--     regress_security_rowner; rl_tgt hides every row from it, rl_src the
--     rows from id 5 on.  validate must see the hidden target rows (no
--     false violation) and the hidden source rows (no missed violation);
--     rename_kind must rename every row; drop_target must see the rows
--     that remain.  (PostgreSQL's own initial check of ADD FOREIGN KEY
--     runs as the caller under the policies: the native twin shows a false
--     violation.  SPEC: polyref's checks see every row.)
CREATE ROLE regress_security_rowner;
GRANT CREATE ON SCHEMA security TO regress_security_rowner;
SET ROLE regress_security_rowner;
CREATE TABLE rl_tgt (id bigint PRIMARY KEY);
CREATE TABLE rl_tgt2 (id bigint PRIMARY KEY);
CREATE TABLE rl_src (id int PRIMARY KEY, ref_type text, ref_id bigint);
CREATE TABLE native_rl_src (id int PRIMARY KEY, tgt_id bigint);
INSERT INTO rl_tgt VALUES (1), (2);
INSERT INTO rl_tgt2 VALUES (1);
INSERT INTO rl_src VALUES (1, 'rl_tgt', 1), (2, 'rl_tgt', 2);
INSERT INTO native_rl_src VALUES (1, 1), (2, 2);
ALTER TABLE rl_tgt ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE rl_src ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE native_rl_src ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY hide_all ON rl_tgt USING (false);
CREATE POLICY hide_some ON rl_src USING (id < 5);
CREATE POLICY hide_some ON native_rl_src USING (id < 5);
SELECT (SELECT count(*) FROM rl_tgt) AS tgt_rows, (SELECT count(*) FROM rl_src) AS src_rows;
SELECT polyref.declare('rl_src', 'ref', ARRAY['rl_tgt', 'rl_tgt2']::regclass[],
                       create_index => false, validate => false);
-- Every row is valid: validate passes (the native initial check does not).
SELECT polyref.validate('rl_src', 'ref');
ALTER TABLE native_rl_src ADD CONSTRAINT native_ref FOREIGN KEY (tgt_id) REFERENCES rl_tgt;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE native_rl_src ADD CONSTRAINT native_ref FOREIGN KEY (tgt_id) REFERENCES rl_tgt NOT VALID;
-- The row checks see through the policies.
INSERT INTO rl_src VALUES (3, 'rl_tgt', 1);
INSERT INTO rl_src VALUES (4, 'rl_tgt', 404);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO native_rl_src VALUES (3, 1);
INSERT INTO native_rl_src VALUES (4, 404);
\echo :LAST_ERROR_SQLSTATE
-- From here on the target hides nothing from its owner.
ALTER TABLE rl_tgt NO FORCE ROW LEVEL SECURITY;
RESET ROLE;
-- A dangling row, hidden from the owner, slipped in with the triggers
-- disabled: validate fails on it.
ALTER TABLE rl_src DISABLE TRIGGER ALL;
INSERT INTO rl_src VALUES (5, 'rl_tgt', 404);
ALTER TABLE rl_src ENABLE TRIGGER ALL;
SET ROLE regress_security_rowner;
SELECT polyref.validate('rl_src', 'ref');
\echo :LAST_ERROR_SQLSTATE
SELECT validated FROM polyref.associations WHERE source = 'rl_src'::regclass;
-- Repaired, and a hidden row of kind rl_tgt2 added: validated.
RESET ROLE;
UPDATE rl_src SET ref_id = 2 WHERE id = 5;
INSERT INTO rl_src VALUES (6, 'rl_tgt2', 1);
SET ROLE regress_security_rowner;
SELECT polyref.validate('rl_src', 'ref');
-- rename_kind renames the kind in every row (4 of them, 1 hidden).
SELECT polyref.rename_kind('rl_src', 'ref', 'rl_tgt', 'Target') AS renamed;
-- drop_target sees that a (hidden) row of kind rl_tgt2 remains: the
-- association is no longer validated.
SELECT polyref.drop_target('rl_src', 'ref', 'rl_tgt2');
RESET ROLE;
SELECT id, ref_type, ref_id FROM rl_src ORDER BY id;
SELECT association, validated, kinds FROM polyref.associations WHERE source = 'rl_src'::regclass;

-- ===========================================================================
-- 4. search_path attacks.  regress_security_evil owns schema security_evil
--    and plants there: tables named like the targets and sources, the
--    catalogs polyref reads, operators = for (bigint, bigint), (text, text),
--    (oid, oid), (regclass, regclass), (integer, integer), <> for booleans,
--    and functions named like pg_catalog's.  Every one of them records its
--    call in security_evil.called and answers wrongly.  With search_path =
--    security_evil, pg_catalog, ... every unqualified name a query used
--    would land there.  polyref must never use them.
-- ===========================================================================
CREATE SCHEMA security_evil AUTHORIZATION regress_security_evil;
GRANT USAGE ON SCHEMA security_evil TO PUBLIC;
SET ROLE regress_security_evil;
CREATE TABLE security_evil.called (fn text);
GRANT INSERT, SELECT ON security_evil.called TO PUBLIC;
CREATE FUNCTION security_evil.int8eq(bigint, bigint) RETURNS boolean LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO security_evil.called VALUES ('int8eq'); RETURN true; END $$;
CREATE FUNCTION security_evil.int4eq(integer, integer) RETURNS boolean LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO security_evil.called VALUES ('int4eq'); RETURN true; END $$;
CREATE FUNCTION security_evil.texteq(text, text) RETURNS boolean LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO security_evil.called VALUES ('texteq'); RETURN true; END $$;
CREATE FUNCTION security_evil.oideq(oid, oid) RETURNS boolean LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO security_evil.called VALUES ('oideq'); RETURN true; END $$;
CREATE FUNCTION security_evil.regclasseq(regclass, regclass) RETURNS boolean LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO security_evil.called VALUES ('regclasseq'); RETURN true; END $$;
CREATE FUNCTION security_evil.boolne(boolean, boolean) RETURNS boolean LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO security_evil.called VALUES ('boolne'); RETURN true; END $$;
CREATE OPERATOR security_evil.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = security_evil.int8eq);
CREATE OPERATOR security_evil.= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = security_evil.int4eq);
CREATE OPERATOR security_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = security_evil.texteq);
CREATE OPERATOR security_evil.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = security_evil.oideq);
CREATE OPERATOR security_evil.= (LEFTARG = regclass, RIGHTARG = regclass, FUNCTION = security_evil.regclasseq);
CREATE OPERATOR security_evil.<> (LEFTARG = boolean, RIGHTARG = boolean, FUNCTION = security_evil.boolne);
CREATE FUNCTION security_evil.text(bigint) RETURNS text LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO security_evil.called VALUES ('text'); RETURN '1'; END $$;
CREATE FUNCTION security_evil.int8(text) RETURNS bigint LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO security_evil.called VALUES ('int8'); RETURN 1; END $$;
CREATE FUNCTION security_evil.lower(text) RETURNS text LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO security_evil.called VALUES ('lower'); RETURN 'x'; END $$;
CREATE FUNCTION security_evil.quote_ident(text) RETURNS text LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO security_evil.called VALUES ('quote_ident'); RETURN 'x'; END $$;
CREATE FUNCTION security_evil.to_jsonb(anyelement) RETURNS jsonb LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO security_evil.called VALUES ('to_jsonb'); RETURN '{}'; END $$;
CREATE FUNCTION security_evil.unnest(anyarray) RETURNS SETOF anyelement LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO security_evil.called VALUES ('unnest'); END $$;
CREATE FUNCTION security_evil.array_length(anyarray, integer) RETURNS integer LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO security_evil.called VALUES ('array_length'); RETURN 0; END $$;
CREATE FUNCTION security_evil.format_type(oid, integer) RETURNS text LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO security_evil.called VALUES ('format_type'); RETURN 'x'; END $$;
-- Tables named like the targets (holding the keys that are missing from
-- the real ones), like the sources (empty), and like the catalogs.
CREATE TABLE security_evil.sp_posts (id bigint PRIMARY KEY, title text);
INSERT INTO security_evil.sp_posts SELECT g, 'evil' FROM generate_series(1, 1000) g;
CREATE TABLE security_evil.sp_videos (id bigint PRIMARY KEY, title text);
INSERT INTO security_evil.sp_videos SELECT g, 'evil' FROM generate_series(1, 1000) g;
CREATE TABLE security_evil.sp_comments (id int, commentable_type text, commentable_id bigint);
CREATE TABLE security_evil.sp_cascade (id int, ref_type text, ref_id bigint);
CREATE TABLE security_evil.pg_trigger (tgname name, tgrelid oid, tgfoid oid);
CREATE TABLE security_evil.pg_class (oid oid, relname name);
CREATE TABLE security_evil.pg_index (indexrelid oid, indrelid oid);
CREATE TABLE security_evil.pg_constraint (oid oid, conname name);
CREATE TABLE security_evil.config_association (source regclass);
CREATE TABLE security_evil.config_kind (source regclass);
GRANT SELECT ON ALL TABLES IN SCHEMA security_evil TO PUBLIC;
RESET ROLE;

-- The victims: sp_comments (no action), sp_cascade (cascade), sp_texts
-- (text ids; on delete set null, on update restrict) on sp_posts and
-- sp_videos; native twins.
CREATE TABLE sp_posts (id bigint PRIMARY KEY, title text);
CREATE TABLE sp_videos (id bigint PRIMARY KEY, title text);
INSERT INTO sp_posts VALUES (1, 'post 1'), (2, 'post 2'), (3, 'post 3'), (4, 'post 4');
INSERT INTO sp_videos VALUES (1, 'video 1'), (2, 'video 2');
CREATE TABLE sp_comments (id int PRIMARY KEY, commentable_type text, commentable_id bigint);
CREATE TABLE sp_cascade (id int PRIMARY KEY, ref_type text, ref_id bigint);
CREATE TABLE sp_texts (id int PRIMARY KEY, ref_type text, ref_id text);
CREATE TABLE native_sp_comments (id int PRIMARY KEY,
                                 post_id bigint REFERENCES sp_posts DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE native_sp_cascade (id int PRIMARY KEY,
                                post_id bigint REFERENCES sp_posts ON DELETE CASCADE);
INSERT INTO sp_comments VALUES (1, 'Post', 1), (2, 'Video', 1), (3, 'Post', 404);
INSERT INTO sp_cascade VALUES (1, 'Post', 2), (2, 'Video', 2), (3, 'Post', 3);
INSERT INTO sp_texts VALUES (1, 'Post', '1'), (2, 'Video', '1'), (5, 'Post', '3');
INSERT INTO native_sp_comments VALUES (1, 4);
INSERT INTO native_sp_cascade VALUES (1, 2), (2, 3);
-- The session's own temporary tables come first of all for table names.
CREATE TEMP TABLE sp_posts AS SELECT * FROM security_evil.sp_posts;
CREATE TEMP TABLE sp_comments (id int, commentable_type text, commentable_id bigint);

SET search_path = security_evil, pg_catalog, security, public;
-- Sanity: unqualified names do land in security_evil now.
SELECT count(*) AS evil_posts FROM sp_posts;
SELECT 1 = 2 AS one_equals_two;
SELECT pg_catalog.count(*) AS calls_so_far FROM security_evil.called;
DELETE FROM security_evil.called;

-- declare validates existing rows: row 3 dangles, so it is refused; with
-- validate => false it goes in.  Then the other declarations.
SELECT polyref.declare('security.sp_comments', 'commentable',
                       ARRAY['security.sp_posts', 'security.sp_videos']::pg_catalog.regclass[],
                       ARRAY['Post', 'Video']);
\echo :LAST_ERROR_SQLSTATE
SELECT polyref.declare('security.sp_comments', 'commentable',
                       ARRAY['security.sp_posts', 'security.sp_videos']::pg_catalog.regclass[],
                       ARRAY['Post', 'Video'], validate => false);
SELECT polyref.declare('security.sp_cascade', 'ref',
                       ARRAY['security.sp_posts', 'security.sp_videos']::pg_catalog.regclass[],
                       ARRAY['Post', 'Video'], on_delete => 'cascade', on_update => 'cascade');
SELECT polyref.declare('security.sp_texts', 'ref',
                       ARRAY['security.sp_posts']::pg_catalog.regclass[], ARRAY['Post'],
                       on_delete => 'set null', on_update => 'restrict',
                       initially_deferred => false, validate => false);
SELECT polyref.add_target('security.sp_texts', 'ref', 'security.sp_videos', 'Video');
SELECT polyref.validate('security.sp_texts', 'ref');
-- validate and orphans find row 3 (and nothing else).
SELECT polyref.validate('security.sp_comments', 'commentable');
\echo :LAST_ERROR_SQLSTATE
SELECT kind, id FROM polyref.orphans('security.sp_comments', 'commentable');
DELETE FROM security.sp_comments WHERE id OPERATOR(pg_catalog.=) 3;
SELECT polyref.validate('security.sp_comments', 'commentable');
-- The checks: valid references pass, dangling ones fail (the keys exist
-- only in security_evil's tables).
INSERT INTO security.sp_comments VALUES (4, 'Post', 2);
INSERT INTO security.sp_comments VALUES (5, 'Post', 404);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO security.sp_comments VALUES (5, 'Video', 999);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO security.sp_texts VALUES (3, 'Video', '1');
INSERT INTO security.sp_texts VALUES (4, 'Post', '404');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO security.sp_texts VALUES (4, 'Post', '01');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO security.native_sp_comments VALUES (2, 404);
\echo :LAST_ERROR_SQLSTATE
-- The actions: cascade (and set null) on delete, cascade on update,
-- restrict, no action.
DELETE FROM security.sp_posts WHERE id OPERATOR(pg_catalog.=) 3;
UPDATE security.sp_videos SET id = 20 WHERE id OPERATOR(pg_catalog.=) 2;
UPDATE security.sp_videos SET id = 10 WHERE id OPERATOR(pg_catalog.=) 1;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM security.sp_posts WHERE id OPERATOR(pg_catalog.=) 1;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM security.sp_posts WHERE id OPERATOR(pg_catalog.=) 4;
\echo :LAST_ERROR_SQLSTATE
-- rename_kind, drop_target, resolve, a join view.
SELECT polyref.rename_kind('security.sp_comments', 'commentable', 'Video', 'Clip') AS renamed;
SELECT polyref.drop_target('security.sp_texts', 'ref', 'Video');
SELECT polyref.resolve('security.sp_comments', 'commentable', 'Post', 2);
SELECT polyref.create_join_view('security.sp_comments', 'commentable', 'security.sp_comments_view');
SELECT id, target_kind, target FROM security.sp_comments_view ORDER BY id;
DROP VIEW security.sp_comments_view;
-- DDL followed by the event triggers: a rename, a refused drop.
ALTER TABLE security.sp_cascade RENAME COLUMN ref_id TO ref_key;
DROP TABLE security.sp_videos;
\echo :LAST_ERROR_SQLSTATE
SELECT pg_catalog.count(*) AS calls FROM security_evil.called;
SET search_path = security, public;
DROP TABLE pg_temp.sp_posts, pg_temp.sp_comments;
SELECT fn, count(*) FROM security_evil.called GROUP BY fn ORDER BY fn;
-- The results are right.
SELECT 'sp_comments' AS tab, id, commentable_type AS kind, commentable_id::text AS id FROM sp_comments
UNION ALL SELECT 'sp_cascade', id, ref_type, ref_key::text FROM sp_cascade
UNION ALL SELECT 'sp_texts', id, ref_type, ref_id FROM sp_texts
UNION ALL SELECT 'native_sp_cascade', id, NULL, post_id::text FROM native_sp_cascade
UNION ALL SELECT 'native_sp_comments', id, NULL, post_id::text FROM native_sp_comments
ORDER BY 1, 2;
SELECT id FROM security.sp_posts ORDER BY id;
SELECT source, association, type_column, id_column, validated, kinds FROM polyref.associations
 WHERE source::text LIKE 'sp\_%' ORDER BY source::text, association;
-- And under the attack path, undeclare.
SET search_path = security_evil, pg_catalog, security, public;
SELECT polyref.undeclare('security.sp_cascade', 'ref');
SELECT polyref.undeclare('security.sp_texts', 'ref');
SELECT pg_catalog.count(*) AS calls FROM security_evil.called;
SET search_path = security, public;
SELECT * FROM state WHERE item LIKE '%sp\_%' ORDER BY item;

-- ===========================================================================
-- 5. NULL for each argument of every public function: 22004 for the
--    required ones, a NULL or empty answer for the NULL-tolerant ones, and
--    never a crash.
-- ===========================================================================
CREATE TABLE n_posts (id bigint PRIMARY KEY);
INSERT INTO n_posts VALUES (1);
CREATE TABLE n_videos (id bigint PRIMARY KEY);
CREATE TABLE n_comments (id int PRIMARY KEY, ref_type text, ref_id bigint);
INSERT INTO n_comments VALUES (1, 'n_posts', 1);
CREATE TABLE n_likes (id int PRIMARY KEY, ref_type text, ref_id bigint);
INSERT INTO n_likes VALUES (1, 'n_posts', 1);
SELECT polyref.declare('n_comments', 'ref', ARRAY['n_posts']::regclass[]);
-- try(call): the call's result as text, '(null)', or its SQLSTATE and
-- message; whatever the call did is rolled back, so the calls are
-- independent.
CREATE FUNCTION try(call text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    result text;
BEGIN
    EXECUTE 'SELECT coalesce((' || call || ')::text, ''(null)'')' INTO result;
    RAISE SQLSTATE 'ZZ000' USING MESSAGE = result;
EXCEPTION WHEN OTHERS THEN
    IF SQLSTATE = 'ZZ000' THEN
        RETURN 'ok' || CASE WHEN SQLERRM = '' THEN '' ELSE ': ' || SQLERRM END;
    END IF;
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT call, try(call) FROM (VALUES
  ('polyref.declare(NULL, ''ref'', ARRAY[''n_posts'']::regclass[])'),
  ('polyref.declare(''n_likes'', NULL, ARRAY[''n_posts'']::regclass[])'),
  ('polyref.declare(''n_likes'', ''ref'', NULL, validate => false)'),
  ('polyref.declare(''n_likes'', ''ref'', ARRAY[''n_posts'']::regclass[], NULL)'),
  ('polyref.declare(''n_likes'', ''ref'', ARRAY[''n_posts'']::regclass[], type_column => NULL)'),
  ('polyref.declare(''n_likes'', ''ref'', ARRAY[''n_posts'']::regclass[], id_column => NULL)'),
  ('polyref.declare(''n_likes'', ''ref'', ARRAY[''n_posts'']::regclass[], on_delete => NULL)'),
  ('polyref.declare(''n_likes'', ''ref'', ARRAY[''n_posts'']::regclass[], on_update => NULL)'),
  ('polyref.declare(''n_likes'', ''ref'', ARRAY[''n_posts'']::regclass[], is_deferrable => NULL)'),
  ('polyref.declare(''n_likes'', ''ref'', ARRAY[''n_posts'']::regclass[], initially_deferred => NULL)'),
  ('polyref.declare(''n_likes'', ''ref'', ARRAY[''n_posts'']::regclass[], validate => NULL)'),
  ('polyref.declare(''n_likes'', ''ref'', ARRAY[''n_posts'']::regclass[], create_index => NULL)'),
  ('polyref.add_target(NULL, ''ref'', ''n_posts'', ''P'')'),
  ('polyref.add_target(''n_comments'', NULL, ''n_posts'', ''P'')'),
  ('polyref.add_target(''n_comments'', ''ref'', NULL, ''P'')'),
  ('polyref.add_target(''n_comments'', ''ref'', ''n_videos'', NULL)'),
  ('polyref.add_target(''n_comments'', ''ref'', ''n_posts'', ''P'', NULL)'),
  ('polyref.drop_target(NULL, ''ref'', ''n_posts'')'),
  ('polyref.drop_target(''n_comments'', NULL, ''n_posts'')'),
  ('polyref.drop_target(''n_comments'', ''ref'', NULL)'),
  ('polyref.undeclare(NULL, ''ref'')'),
  ('polyref.undeclare(''n_comments'', NULL)'),
  ('polyref.validate(NULL, ''ref'')'),
  ('polyref.validate(''n_comments'', NULL)'),
  ('(SELECT count(*) FROM polyref.orphans(NULL, ''ref''))'),
  ('(SELECT count(*) FROM polyref.orphans(''n_comments'', NULL))'),
  ('polyref.rename_kind(NULL, ''ref'', ''n_posts'', ''P'')'),
  ('polyref.rename_kind(''n_comments'', NULL, ''n_posts'', ''P'')'),
  ('polyref.rename_kind(''n_comments'', ''ref'', NULL, ''P'')'),
  ('polyref.rename_kind(''n_comments'', ''ref'', ''n_posts'', NULL)'),
  ('polyref.resolve(NULL, ''ref'', ''n_posts'', 1)'),
  ('polyref.resolve(''n_comments'', NULL, ''n_posts'', 1)'),
  ('polyref.resolve(''n_comments'', ''ref'', NULL, 1)'),
  ('polyref.resolve(''n_comments'', ''ref'', ''n_posts'', NULL::bigint)'),
  ('(SELECT count(*) FROM polyref.resolve_many(NULL, ''ref'', ARRAY[''n_posts''], ARRAY[1]))'),
  ('(SELECT count(*) FROM polyref.resolve_many(''n_comments'', NULL, ARRAY[''n_posts''], ARRAY[1]))'),
  ('(SELECT count(*) FROM polyref.resolve_many(''n_comments'', ''ref'', NULL, ARRAY[1]))'),
  ('(SELECT count(*) FROM polyref.resolve_many(''n_comments'', ''ref'', ARRAY[''n_posts''], NULL::int[]))'),
  ('(SELECT count(*) FROM polyref.resolve_many(''n_comments'', ''ref'', ARRAY[NULL, ''n_posts'', ''n_posts''], ARRAY[1, NULL, 1]))'),
  ('(SELECT count(*) FROM polyref.referrers(NULL, 1))'),
  ('(SELECT count(*) FROM polyref.referrers(''n_posts'', NULL::bigint))'),
  ('polyref.create_join_view(NULL, ''ref'')'),
  ('polyref.create_join_view(''n_comments'', NULL)'),
  ('polyref.create_join_view(''n_comments'', ''ref'', NULL)'),
  ('polyref.diagram(NULL)'),
  ('polyref.canonical_key(NULL, 1::bigint)'),
  ('polyref.canonical_key(''1'', NULL::bigint)')
) AS calls(call);
-- Nothing stayed; the declared association still works.
SELECT source, association, kinds FROM polyref.associations
 WHERE source IN ('n_comments'::regclass, 'n_likes'::regclass) ORDER BY source::text, association;
INSERT INTO n_comments VALUES (2, 'n_posts', 2);
\echo :LAST_ERROR_SQLSTATE

-- ===========================================================================
-- 6. Quoted and non-ASCII identifiers, and kinds holding quotes,
--    backslashes and SQL.
-- ===========================================================================
CREATE SCHEMA "Weird Schema";
SET search_path = "Weird Schema", security, public;
CREATE TABLE "Pöst" ("Post Id" bigint PRIMARY KEY, "Title" text);
CREATE TABLE "Vid""eo" (id bigint PRIMARY KEY);
CREATE TABLE "Ünï" (id bigint PRIMARY KEY);
-- "Comment Table": association 'my "assoc"', no action on delete, set
-- default on update (the defaults point at video 1).
CREATE TABLE "Comment Table" (
    id int PRIMARY KEY,
    "Commentable Type" text DEFAULT 'Kind "quoted"',
    "Commentable Id" bigint DEFAULT 1
);
-- "Other Täble": association 'Ünï ''assoc''', cascade on delete and update.
CREATE TABLE "Other Täble" (id int PRIMARY KEY, "Ref ""Type""" text, "Ref Id" bigint);
-- The native twin of 'my "assoc"', a foreign key of the same name.
CREATE TABLE "Native Table" (id int PRIMARY KEY, "Pöst Id" bigint);
INSERT INTO "Pöst" VALUES (1, 'one'), (2, 'two'), (3, 'three'), (4, 'four'), (5, 'five');
INSERT INTO "Vid""eo" VALUES (1), (2);
INSERT INTO "Ünï" VALUES (1), (2);
INSERT INTO "Comment Table" VALUES
    (1, 'Post''; DROP TABLE x; --', 1), (2, 'Kind "quoted"', 1), (3, 'Ünïcode', 1),
    (4, 'Back\slash', 2), (5, 'Kind "quoted"', 2);
INSERT INTO "Other Täble" VALUES (1, 'Pöst', 4), (2, 'Pöst', 5), (3, 'Pöst', 1);
INSERT INTO "Native Table" VALUES (1, 3);
SELECT polyref.declare('"Comment Table"', 'my "assoc"',
                       ARRAY['"Pöst"', '"Vid""eo"', '"Ünï"', '"Pöst"']::regclass[],
                       ARRAY['Post''; DROP TABLE x; --', 'Kind "quoted"', 'Ünïcode', 'Back\slash'],
                       type_column => 'Commentable Type', id_column => 'Commentable Id',
                       on_update => 'set default');
SELECT polyref.declare('"Other Täble"', 'Ünï ''assoc''', ARRAY['"Pöst"']::regclass[], ARRAY['Pöst'],
                       type_column => 'Ref "Type"', id_column => 'Ref Id',
                       on_delete => 'cascade', on_update => 'cascade');
ALTER TABLE "Native Table" ADD CONSTRAINT "my ""assoc"""
    FOREIGN KEY ("Pöst Id") REFERENCES "Pöst" DEFERRABLE INITIALLY DEFERRED;
SELECT source, association, type_column, id_column, kinds FROM polyref.associations
 WHERE source IN ('"Comment Table"'::regclass, '"Other Täble"'::regclass) ORDER BY association COLLATE "C";
SELECT source, kind, target, key_column FROM polyref.targets
 WHERE source IN ('"Comment Table"'::regclass, '"Other Täble"'::regclass)
 ORDER BY source::text COLLATE "C", kind COLLATE "C";
SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = '"Weird Schema"'::regnamespace AND NOT t.tgisinternal
 ORDER BY c.relname COLLATE "C", t.tgname COLLATE "C";
-- Enforcement, with the names in the messages; SET CONSTRAINTS by the
-- quoted name (the native foreign key of the same name beside it).
INSERT INTO "Comment Table" VALUES (6, 'Post''; DROP TABLE x; --', 404);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO "Comment Table" VALUES (6, 'Post'';', 1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO "Other Täble" VALUES (4, 'Pöst', 404);
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SET CONSTRAINTS "my ""assoc""" IMMEDIATE;
INSERT INTO "Comment Table" VALUES (6, 'Ünïcode', 404);
ROLLBACK;
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SET CONSTRAINTS "my ""assoc""" IMMEDIATE;
INSERT INTO "Native Table" VALUES (6, 404);
ROLLBACK;
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SET CONSTRAINTS "Weird Schema"."Ünï 'assoc'" IMMEDIATE;
INSERT INTO "Other Täble" VALUES (4, 'Pöst', 404);
ROLLBACK;
\echo :LAST_ERROR_SQLSTATE
-- The error fields.
DO $$
DECLARE
    s text; t text; c text; d text;
BEGIN
    INSERT INTO "Comment Table" VALUES (6, 'Kind "quoted"', 404);
    SET CONSTRAINTS ALL IMMEDIATE;
EXCEPTION WHEN foreign_key_violation THEN
    GET STACKED DIAGNOSTICS s = SCHEMA_NAME, t = TABLE_NAME, c = CONSTRAINT_NAME, d = PG_EXCEPTION_DETAIL;
    RAISE NOTICE 'schema=% table=% constraint=% detail=%', s, t, c, d;
END $$;
INSERT INTO "Comment Table" VALUES (6, 'Back\slash', 2), (7, 'Ünïcode', 2);
-- No action: the association's message and the native twin's.
DELETE FROM "Pöst" WHERE "Post Id" = 2;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM "Pöst" WHERE "Post Id" = 3;
\echo :LAST_ERROR_SQLSTATE
-- Cascade on delete and on update; set default on update.
DELETE FROM "Pöst" WHERE "Post Id" = 4;
UPDATE "Pöst" SET "Post Id" = 55 WHERE "Post Id" = 5;
UPDATE "Vid""eo" SET id = 22 WHERE id = 2;
SELECT id, "Commentable Type", "Commentable Id" FROM "Comment Table" ORDER BY id;
SELECT id, "Ref ""Type""", "Ref Id" FROM "Other Täble" ORDER BY id;
-- rename_kind, drop_target, orphans, validate, undeclare.
SELECT polyref.rename_kind('"Comment Table"', 'my "assoc"', 'Post''; DROP TABLE x; --', 'Pöst "1"') AS renamed;
SELECT polyref.rename_kind('"Other Täble"', 'Ünï ''assoc''', 'Pöst', 'Kind''s \ "x"') AS renamed;
SELECT polyref.drop_target('"Comment Table"', 'my "assoc"', 'Back\slash');
SELECT association, kinds, validated FROM polyref.associations
 WHERE source IN ('"Comment Table"'::regclass, '"Other Täble"'::regclass) ORDER BY association COLLATE "C";
SELECT kind, id FROM polyref.orphans('"Comment Table"', 'my "assoc"') ORDER BY id;
DELETE FROM "Comment Table" WHERE "Commentable Type" = 'Back\slash';
SELECT polyref.validate('"Comment Table"', 'my "assoc"');
INSERT INTO "Other Täble" VALUES (4, 'Kind''s \ "x"', 1);
INSERT INTO "Other Täble" VALUES (5, 'Kind''s \ "x"', 404);
\echo :LAST_ERROR_SQLSTATE
SELECT id, "Commentable Type", "Commentable Id" FROM "Comment Table" ORDER BY id;
SELECT id, "Ref ""Type""", "Ref Id" FROM "Other Täble" ORDER BY id;
SELECT polyref.undeclare('"Comment Table"', 'my "assoc"');
SELECT polyref.undeclare('"Other Täble"', 'Ünï ''assoc''');
SELECT count(*) AS associations FROM polyref.associations
 WHERE source IN ('"Comment Table"'::regclass, '"Other Täble"'::regclass);
SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = '"Weird Schema"'::regnamespace AND NOT t.tgisinternal
 ORDER BY c.relname COLLATE "C", t.tgname COLLATE "C";
SELECT count(*) AS x_tables FROM pg_class WHERE relname = 'x';
SET search_path = security, public;

-- ===========================================================================
-- 7. Any SECURITY DEFINER function of polyref pins search_path.  (Today
--    there are none: polyref switches user itself, so the query returns no
--    row, and that is the test.)
-- ===========================================================================
SELECT p.proname, p.proconfig
  FROM pg_proc p
 WHERE p.pronamespace = 'polyref'::regnamespace
   AND p.prosecdef
   AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search\_path=%');
SELECT count(*) > 0 AS polyref_has_functions FROM pg_proc WHERE pronamespace = 'polyref'::regnamespace;

-- ===========================================================================
-- 8. polyref is not a trusted extension (README, "Who may install it"): a
--    database owner who is not a superuser may not create it, in any
--    version.
-- ===========================================================================
SELECT version, superuser, trusted FROM pg_available_extension_versions
 WHERE name = 'polyref' ORDER BY version;
\set regress_database :DBNAME
CREATE ROLE regress_security_dbowner;
CREATE DATABASE regress_security_untrusted OWNER regress_security_dbowner TEMPLATE template0;
\c regress_security_untrusted
SET ROLE regress_security_dbowner;
CREATE EXTENSION polyref;
CREATE EXTENSION polyref VERSION '1.0';
RESET ROLE;
SELECT count(*) AS installed FROM pg_extension WHERE extname = 'polyref';
\c :regress_database
DROP DATABASE regress_security_untrusted;
DROP ROLE regress_security_dbowner;
SET search_path = security, public;

-- Clean up.
SET client_min_messages = warning;
DROP SCHEMA "Weird Schema" CASCADE;
DROP SCHEMA security CASCADE;
DROP SCHEMA security_evil CASCADE;
RESET client_min_messages;
DROP ROLE regress_security_owner;
DROP ROLE regress_security_owner2;
DROP ROLE regress_security_towner;
DROP ROLE regress_security_towner2;
DROP ROLE regress_security_helper;
DROP ROLE regress_security_writer;
DROP ROLE regress_security_evil;
DROP ROLE regress_security_rowner;
