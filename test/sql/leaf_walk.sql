-- A batch of checks finds its keys along the key index's leaf level
-- (src/leaf_walk.cpp) instead of descending from the root for each key.
-- What must hold, for every key type: a key present is found wherever it
-- sits (first or last entry of a leaf, the rightmost leaf, beyond the page
-- the last key was on), a key absent is reported, dead versions of a key
-- are passed over, and the versions of one key spread over several leaves
-- and posting lists are all looked at.  Each table holds thousands of keys
-- so that its index has many leaves.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS polyref;
RESET client_min_messages;
CREATE SCHEMA leaf_walk; SET search_path = leaf_walk, public;

CREATE TABLE big8 (id bigint PRIMARY KEY, title text);          -- in-line int8
CREATE TABLE small4 (id integer PRIMARY KEY, title text);       -- int4 key, int8 id
CREATE TABLE uu (id uuid PRIMARY KEY, title text);              -- in-line uuid
CREATE TABLE words (id text PRIMARY KEY, title text);           -- _bt_compare
CREATE TABLE backwards (id bigint NOT NULL, title text);        -- DESC: no walk
CREATE UNIQUE INDEX backwards_id ON backwards (id DESC);
INSERT INTO big8 SELECT g * 3, 'b' FROM generate_series(1, 20000) g;
INSERT INTO small4 SELECT g * 3, 's' FROM generate_series(1, 20000) g;
INSERT INTO uu SELECT md5((g * 3)::text)::uuid, 'u' FROM generate_series(1, 20000) g;
INSERT INTO words SELECT lpad((g * 3)::text, 6, '0'), 'w' FROM generate_series(1, 20000) g;
INSERT INTO backwards SELECT g * 3, 'd' FROM generate_series(1, 20000) g;
CREATE INDEX ON big8 (title);   -- so that updates of title are not HOT
ANALYZE big8, small4, uu, words, backwards;

CREATE TABLE refs (n serial PRIMARY KEY, target_type text, target_id bigint);
SELECT polyref.declare('refs', 'target', targets => '{big8,small4}', kinds => '{Big,Small}');
SELECT polyref.add_target('refs', 'target', 'backwards', kind => 'Back', key_column => 'id');
SELECT polyref.add_target('refs', 'target', 'backwards', kind => 'Back2', key_column => 'id');
CREATE TABLE urefs (n serial PRIMARY KEY, target_type text, target_id uuid);
SELECT polyref.declare('urefs', 'target', targets => '{uu}', kinds => '{U}');
CREATE TABLE wrefs (n serial PRIMARY KEY, target_type text, target_id text);
SELECT polyref.declare('wrefs', 'target', targets => '{words}', kinds => '{W}');

-- Every third key from the first to the last, in shuffled order: all found.
BEGIN;
INSERT INTO refs (target_type, target_id)
SELECT k, 3 * (1 + (g * 7919) % 20000) FROM generate_series(1, 20000) g,
       unnest('{Big,Small,Back}'::text[]) k;
INSERT INTO urefs (target_type, target_id)
SELECT 'U', md5((3 * (1 + (g * 7919) % 20000))::text)::uuid FROM generate_series(1, 20000) g;
INSERT INTO wrefs (target_type, target_id)
SELECT 'W', lpad((3 * (1 + (g * 7919) % 20000))::text, 6, '0') FROM generate_series(1, 20000) g;
COMMIT;
SELECT (SELECT count(*) FROM refs) AS refs, (SELECT count(*) FROM urefs) AS urefs,
       (SELECT count(*) FROM wrefs) AS wrefs;

-- A key absent between two present ones, below the first, above the last,
-- far beyond the last key's page: each is reported, the first in firing
-- order named.
BEGIN;
INSERT INTO refs (target_type, target_id) SELECT 'Big', g * 3 FROM generate_series(100, 200) g;
INSERT INTO refs (target_type, target_id) VALUES ('Big', 301);
COMMIT;
BEGIN;
INSERT INTO refs (target_type, target_id) VALUES ('Small', 0), ('Small', 3), ('Small', 60000);
COMMIT;
BEGIN;
INSERT INTO refs (target_type, target_id) VALUES ('Small', 3), ('Small', 60003);
COMMIT;
BEGIN;
INSERT INTO refs (target_type, target_id) VALUES ('Back', 3), ('Back2', 59999), ('Back', 60000);
COMMIT;
BEGIN;
INSERT INTO urefs (target_type, target_id) VALUES ('U', md5('3')::uuid), ('U', md5('4')::uuid);
COMMIT;
BEGIN;
INSERT INTO wrefs (target_type, target_id) VALUES ('W', '000003'), ('W', '000004'), ('W', '060000');
COMMIT;

-- Versions of one key: in this transaction, 2000 updates of one row leave
-- 2001 index entries for key 30000 (none may be removed yet), 12 kB of heap
-- TIDs in posting lists, more than a leaf holds; the live version, the
-- newest, comes last, on the last of those leaves.  Its neighbours
-- and itself are found; once deleted, it is not, though its dead versions
-- remain.
BEGIN;
DO $$
BEGIN
    FOR i IN 1 .. 2000 LOOP
        UPDATE leaf_walk.big8 SET title = 'v' || i WHERE id = 30000;
    END LOOP;
END $$;
INSERT INTO refs (target_type, target_id) VALUES ('Big', 29997), ('Big', 30000), ('Big', 30003);
SET CONSTRAINTS ALL IMMEDIATE;
SAVEPOINT deleted;
DELETE FROM refs WHERE target_type = 'Big' AND target_id = 30000;
DELETE FROM big8 WHERE id = 30000;
INSERT INTO refs (target_type, target_id) VALUES ('Big', 29997), ('Big', 30000), ('Big', 30003);
ROLLBACK TO SAVEPOINT deleted;
COMMIT;
SELECT count(*) AS refs_to_30000 FROM refs WHERE target_type = 'Big' AND target_id = 30000;

RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA leaf_walk CASCADE;
RESET client_min_messages;
