-- Checks that wait in the pending batch (src/pending_checks.hpp): a
-- statement's source checks run together when its AFTER triggers have
-- fired, deferred ones at COMMIT or PREPARE.  What must hold: a violation
-- is raised where a native check would raise it (the firing statement, its
-- exception handler, COMMIT), ROLLBACK TO SAVEPOINT loses no other check,
-- nothing is checked against a configuration changed since, and many rows
-- with repeated keys are checked as one per row would.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS polyref;
RESET client_min_messages;
CREATE SCHEMA batching; SET search_path = batching, public;

CREATE TABLE posts (id bigint PRIMARY KEY);
CREATE TABLE videos (id bigint PRIMARY KEY);
CREATE TABLE photos (id bigint PRIMARY KEY);
INSERT INTO posts SELECT generate_series(1, 1000);
INSERT INTO videos SELECT generate_series(1, 1000);
INSERT INTO photos VALUES (1);
CREATE TABLE comments (id serial PRIMARY KEY, commentable_type text, commentable_id bigint);
CREATE TABLE notes (id serial PRIMARY KEY, notable_type text, notable_id bigint);
-- comments checks at the end of each statement, notes at COMMIT.  (The
-- first call also loads polyref in this session: the transaction that loads
-- it checks row by row, the later ones batch.)
SELECT polyref.declare('comments', 'commentable', targets => ARRAY['posts', 'videos'],
                       kinds => ARRAY['Post', 'Video'], initially_deferred => false);
SELECT polyref.declare('notes', 'notable', targets => ARRAY['posts', 'videos'],
                       kinds => ARRAY['Post', 'Video']);

-- Many rows, repeated keys, both kinds, one statement: all pass, or the
-- first bad row in firing order is the one reported, as natively (here the
-- batch sorts 3333 before 9999; the row with 9999 was inserted first).
INSERT INTO comments (commentable_type, commentable_id)
SELECT (ARRAY['Post', 'Video'])[1 + g % 2], 1 + (g * 7919) % 1000 FROM generate_series(1, 10000) g;
SELECT commentable_type, count(*), count(DISTINCT commentable_id) FROM comments GROUP BY 1 ORDER BY 1;
INSERT INTO comments (commentable_type, commentable_id)
SELECT 'Post', CASE g WHEN 5000 THEN 9999 WHEN 7000 THEN 3333 ELSE g % 1000 + 1 END FROM generate_series(1, 9000) g;
INSERT INTO comments (commentable_type, commentable_id)
SELECT CASE WHEN g = 8000 THEN 'Nope' ELSE 'Video' END, CASE WHEN g = 6000 THEN 5000 ELSE g % 1000 + 1 END
  FROM generate_series(1, 9000) g;
-- Deferred: checked at COMMIT, the first bad row in firing order reported.
BEGIN;
INSERT INTO notes (notable_type, notable_id) SELECT 'Video', g % 1000 + 1 FROM generate_series(1, 5000) g;
INSERT INTO notes (notable_type, notable_id) VALUES ('Post', 4242), ('Video', 4343);
COMMIT;
SELECT count(*) AS notes FROM notes;
-- COPY runs its checks when it ends.
COPY comments (commentable_type, commentable_id) FROM stdin;
Post	1
Video	1
Post	1001
\.
SELECT count(*) AS comments FROM comments;

SELECT max(id) AS before_handlers FROM comments \gset
-- A violation is raised at the end of the statement that fired the check:
-- inside the exception handler around that statement, which may catch it.
DO $$
BEGIN
    BEGIN
        INSERT INTO comments (commentable_type, commentable_id) VALUES ('Post', 1), ('Post', 4444);
    EXCEPTION WHEN foreign_key_violation THEN
        RAISE NOTICE 'caught where it was fired: %', SQLERRM;
    END;
    INSERT INTO comments (commentable_type, commentable_id) VALUES ('Post', 2);
END $$;
SELECT commentable_type, commentable_id FROM comments WHERE id > :before_handlers;

-- Never inside a handler that did not fire it: the trigger below runs after
-- the association's in the same firing cycle, and its own statement, in an
-- exception block, ends while the outer statement's checks still wait.
-- They are not its to run: a violation raised there would be swallowed and
-- the bad row kept.
CREATE TABLE audit (comment_id int);
CREATE FUNCTION audit_comment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        INSERT INTO audit VALUES (NEW.id);
    EXCEPTION WHEN foreign_key_violation THEN
        RAISE NOTICE 'swallowed: %', SQLERRM;
    END;
    RETURN NULL;
END $$;
CREATE TRIGGER zz_audit AFTER INSERT ON comments FOR EACH ROW EXECUTE FUNCTION audit_comment();
INSERT INTO comments (commentable_type, commentable_id) VALUES ('Post', 3), ('Post', 4545);
SELECT count(*) AS kept FROM comments WHERE commentable_id = 4545;
INSERT INTO comments (commentable_type, commentable_id) VALUES ('Post', 3), ('Post', 4);
SELECT count(*) AS audited FROM audit;
DROP TRIGGER zz_audit ON comments;

-- ROLLBACK TO SAVEPOINT drops the checks of its own subtransaction and no
-- other.  At COMMIT the deferred checks of notes wait together; a deferred
-- trigger of the user's fires among them and rolls a subtransaction back
-- (an exception block): the bad note must still be refused.
CREATE FUNCTION audit_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        INSERT INTO audit VALUES (1 / 0);
    EXCEPTION WHEN division_by_zero THEN
        NULL;
    END;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER zz_audit AFTER INSERT ON notes DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION audit_note();
BEGIN;
INSERT INTO notes (notable_type, notable_id) VALUES ('Post', 1), ('Post', 4646), ('Video', 2);
COMMIT;
SELECT count(*) AS kept FROM notes WHERE notable_id = 4646;
-- A savepoint rolled back takes its bad row's check with it; the rest run.
BEGIN;
INSERT INTO notes (notable_type, notable_id) VALUES ('Post', 5);
SAVEPOINT s;
INSERT INTO notes (notable_type, notable_id) VALUES ('Post', 4747);
ROLLBACK TO SAVEPOINT s;
INSERT INTO notes (notable_type, notable_id) VALUES ('Video', 6);
COMMIT;
SELECT notable_type, notable_id FROM notes WHERE notable_id IN (5, 6, 4747) ORDER BY 2;
-- And the same inside SET CONSTRAINTS ... IMMEDIATE, which runs them at once.
BEGIN;
INSERT INTO notes (notable_type, notable_id) VALUES ('Post', 4848);
SAVEPOINT s;
SET CONSTRAINTS notable IMMEDIATE;
ROLLBACK TO SAVEPOINT s;
SET CONSTRAINTS notable IMMEDIATE;
ROLLBACK;
DROP TRIGGER zz_audit ON notes;

-- PREPARE TRANSACTION runs the deferred checks first, as COMMIT does.
BEGIN;
INSERT INTO notes (notable_type, notable_id) VALUES ('Post', 4949);
PREPARE TRANSACTION 'batching';
SELECT count(*) AS prepared FROM pg_prepared_xacts WHERE gid = 'batching';

-- The configuration changes while checks wait: they are made again from
-- their rows.  The trigger below drops kind Video in the middle of the
-- firing cycle, in a subtransaction of its own (whose statements do not run
-- the outer checks); the Video row then names an undeclared kind.
CREATE FUNCTION drop_video_kind() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.commentable_type = 'Post' THEN
        BEGIN
            PERFORM polyref.drop_target('comments', 'commentable', 'Video');
        EXCEPTION WHEN division_by_zero THEN
            NULL;
        END;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER zz_drop_video AFTER INSERT ON comments FOR EACH ROW EXECUTE FUNCTION drop_video_kind();
BEGIN;
INSERT INTO comments (commentable_type, commentable_id) VALUES ('Video', 7), ('Post', 7);
ROLLBACK;
-- Adding a kind mid-cycle keeps the waiting checks exact: the bad row is
-- still refused, the good ones pass.
CREATE OR REPLACE FUNCTION drop_video_kind() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.commentable_type = 'Post' AND NEW.commentable_id = 8 THEN
        BEGIN
            PERFORM polyref.add_target('comments', 'commentable', 'photos', kind => 'Photo');
        EXCEPTION WHEN division_by_zero THEN
            NULL;
        END;
    END IF;
    RETURN NULL;
END $$;
SELECT max(id) AS before_change FROM comments \gset
BEGIN;
INSERT INTO comments (commentable_type, commentable_id) VALUES ('Video', 8), ('Post', 8), ('Video', 5050);
ROLLBACK;
BEGIN;
INSERT INTO comments (commentable_type, commentable_id) VALUES ('Video', 9), ('Post', 8), ('Photo', 1);
SELECT commentable_type, commentable_id FROM comments WHERE id > :before_change ORDER BY 1, 2;
ROLLBACK;
DROP TRIGGER zz_drop_video ON comments;

-- A row changed again by a later trigger of the same firing cycle is
-- checked in its final version only, as a deferred check would be (a
-- native immediate check would have refused the first version already; the
-- data ends the same).
SELECT max(id) AS before_repoint FROM comments \gset
CREATE FUNCTION repoint() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE comments SET commentable_id = 10 WHERE id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER zz_repoint AFTER INSERT ON comments FOR EACH ROW EXECUTE FUNCTION repoint();
INSERT INTO comments (commentable_type, commentable_id) VALUES ('Post', 5151) RETURNING commentable_id;
SELECT commentable_type, commentable_id FROM comments WHERE id > :before_repoint;
DROP TRIGGER zz_repoint ON comments;

-- A fresh backend: its first statement on a declared table loads polyref,
-- after the statement began, so no hook of polyref's saw it begin.  Its
-- checks still run before it ends: at ExecutorEnd for a query (batched, the
-- first bad row in firing order named: 9999 fired before 4242), row by row
-- for a COPY; deferred ones at COMMIT.
\c
SET search_path = batching, public;
BEGIN;
INSERT INTO comments (commentable_type, commentable_id)
SELECT 'Post', CASE g WHEN 300 THEN 9999 WHEN 500 THEN 4242 ELSE g END FROM generate_series(1, 900) g;
SELECT 'the INSERT was refused' AS never_here;
ROLLBACK;
\c
SET search_path = batching, public;
BEGIN;
COPY comments (commentable_type, commentable_id) FROM stdin;
Post	1
Post	4343
\.
SELECT 'the COPY was refused' AS never_here;
ROLLBACK;
\c
SET search_path = batching, public;
BEGIN;
INSERT INTO notes (notable_type, notable_id) SELECT 'Post', g FROM generate_series(1, 900) g;
INSERT INTO notes (notable_type, notable_id) VALUES ('Video', 4444);
SELECT count(*) AS notes_pending_check FROM notes WHERE notable_id = 4444;
COMMIT;
-- The statements after the loading one batch as in any transaction.
\c
SET search_path = batching, public;
BEGIN;
INSERT INTO comments (commentable_type, commentable_id) VALUES ('Post', 1);
INSERT INTO comments (commentable_type, commentable_id)
SELECT 'Video', CASE g WHEN 700 THEN 7777 ELSE g END FROM generate_series(1, 900) g;
ROLLBACK;

DROP SCHEMA batching CASCADE;
