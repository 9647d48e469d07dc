# Shared pieces of polyref's TAP tests (test/t/*.pl): a realistic schema with
# its declarations and data, snapshots of the catalog, the triggers and the
# data as text (to compare two databases), and psql helpers that report
# SQLSTATEs.
package PolyrefTAP;

use strict;
use warnings;

use Exporter 'import';
use IPC::Run;
use PostgreSQL::Test::Cluster;
use Test::More;

our @EXPORT = qw(
  new_node run_sql sql_ok has_join_helpers
  realistic_schema_sql catalog_snapshot trigger_snapshot data_snapshot
  orphans_snapshot config_snapshot run_cmd check_enforcement realistic_snapshots
  @REALISTIC_TABLES scoped_schema_sql scoped_snapshot check_scoped_enforcement
);

# The tables of realistic_schema_sql holding rows (the partitions of events).
our @REALISTIC_TABLES = qw(
  posts videos storage.documents comments users organizations repositories
  accesses attachments likes reactions events_2023 events_2024
);

# new_node(NAME, INIT_PARAMS...): an initialised, started node with English
# messages (the tests match error texts).
sub new_node
{
	my ($name, %init) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(%init);
	$node->append_conf('postgresql.conf', "lc_messages = 'C'\n");
	$node->start;
	return $node;
}

# run_sql(NODE, DB, SQL): psql with ON_ERROR_STOP off; returns
# (exit status, stdout, stderr).  Use \echo :ERROR :LAST_ERROR_SQLSTATE in SQL
# to see where an error happened.
sub run_sql
{
	my ($node, $db, $sql) = @_;
	my ($ret, $out, $err) = $node->psql($db, $sql, on_error_stop => 0);
	return ($ret, $out, $err);
}

# sql_ok(NODE, DB, SQL): the output of SQL, dying (with the error) if it fails.
sub sql_ok
{
	my ($node, $db, $sql) = @_;
	return $node->safe_psql($db, $sql);
}

# has_join_helpers(NODE, DB): does this build have polyref's join helpers?
sub has_join_helpers
{
	my ($node, $db) = @_;
	return sql_ok($node, $db,
		q{SELECT to_regprocedure('polyref.resolve(regclass,text,text,anyelement)') IS NOT NULL}
	) eq 't';
}

# run_cmd(ARGV...): (exit status, stdout, stderr) of a program.
sub run_cmd
{
	my @cmd = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run(\@cmd, '<', \undef, '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

# The schema of the demo, grown: comments on posts and videos (cascade);
# repositories owned by users or organizations; accesses with an owner
# (cascade) and a resource (restrict); attachments whose text id points at a
# bigint key (posts, under two kinds) and a uuid key (storage.documents, in
# another schema); likes declared NOT VALID with one known orphan; reactions
# checked at statement end (initially_deferred => false); events, a
# partitioned source whose subjects cascade into both partitions.
sub realistic_schema_sql
{
	return <<'SQL';
CREATE EXTENSION polyref;
CREATE SCHEMA storage;

CREATE TABLE posts  (id bigint PRIMARY KEY, title text NOT NULL);
CREATE TABLE videos (id bigint PRIMARY KEY, title text NOT NULL);
CREATE TABLE storage.documents (id uuid PRIMARY KEY, name text NOT NULL);
CREATE TABLE comments (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                       commentable_type text, commentable_id bigint, body text NOT NULL);
CREATE TABLE users         (id bigint PRIMARY KEY, login text NOT NULL UNIQUE);
CREATE TABLE organizations (id bigint PRIMARY KEY, login text NOT NULL UNIQUE);
CREATE TABLE repositories (id bigint PRIMARY KEY, name text NOT NULL,
                           owner_type text NOT NULL, owner_id bigint NOT NULL);
CREATE TABLE accesses (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                       owner_type    text NOT NULL, owner_id    bigint NOT NULL,
                       resource_type text NOT NULL, resource_id bigint NOT NULL,
                       level text NOT NULL CHECK (level IN ('read', 'write', 'admin')));
CREATE TABLE attachments (id bigint PRIMARY KEY, attachable_type text, attachable_id text,
                          filename text NOT NULL);
CREATE TABLE likes (id bigint PRIMARY KEY, likeable_type text, likeable_id bigint);
CREATE TABLE reactions (id bigint PRIMARY KEY, reactable_type text, reactable_id bigint,
                        emoji text NOT NULL);
CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, subject_type text, subject_id bigint,
                     action text NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');

INSERT INTO posts  VALUES (10, 'Hello polyref'), (11, 'Deferred checks'), (12, 'Dumps');
INSERT INTO videos VALUES (11, 'Cascades, the movie'), (20, 'Kinds');
INSERT INTO storage.documents VALUES
    ('6b0e4f1e-6c2a-4d0b-9a53-0f6f1c1d2e01', 'spec.pdf'),
    ('6b0e4f1e-6c2a-4d0b-9a53-0f6f1c1d2e02', 'notes.txt');
INSERT INTO comments (commentable_type, commentable_id, body) VALUES
    ('Post', 10, 'First!'), ('Post', 11, 'Nice post'), ('Video', 11, 'Nice video'),
    ('Post', 12, 'Restored?'), (NULL, NULL, 'Detached');
INSERT INTO users VALUES (1, 'alice'), (2, 'bob'), (3, 'carol');
INSERT INTO organizations VALUES (1, 'acme'), (2, 'globex');
INSERT INTO repositories VALUES (1, 'dotfiles', 'User', 1), (2, 'rocket', 'Organization', 1),
                                (3, 'anvil', 'Organization', 2);
INSERT INTO accesses (owner_type, owner_id, resource_type, resource_id, level) VALUES
    ('User', 1, 'Post', 10, 'write'), ('User', 1, 'Post', 12, 'read'),
    ('User', 2, 'Post', 10, 'read'), ('User', 1, 'Repository', 1, 'admin'),
    ('Organization', 1, 'Repository', 2, 'admin'), ('User', 3, 'Repository', 3, 'read');
INSERT INTO attachments VALUES
    (1, 'Post', '10', 'diagram.png'),
    (2, 'Document', '6b0e4f1e-6c2a-4d0b-9a53-0f6f1c1d2e01', 'spec-v2.pdf'),
    (4, NULL, NULL, 'loose.txt');
INSERT INTO likes VALUES (1, 'Post', 10), (2, 'Post', 404), (3, 'Video', 20), (4, NULL, NULL);
INSERT INTO reactions VALUES (1, 'Post', 10, '+1'), (2, 'Video', 20, 'heart');
INSERT INTO events VALUES
    (1, '2023-05-01', 'User', 1, 'login'), (2, '2024-02-01', 'User', 1, 'push'),
    (3, '2024-03-01', 'Repository', 2, 'star'), (4, '2023-07-01', 'User', 2, 'login'),
    (5, '2024-04-01', 'User', 3, 'fork');

SELECT polyref.declare('comments', 'commentable', ARRAY['posts', 'videos']::regclass[],
                       kinds => ARRAY['Post', 'Video'], on_delete => 'cascade');
SELECT polyref.declare('repositories', 'owner', ARRAY['users', 'organizations']::regclass[],
                       kinds => ARRAY['User', 'Organization']);
SELECT polyref.declare('accesses', 'owner', ARRAY['users', 'organizations']::regclass[],
                       kinds => ARRAY['User', 'Organization'], on_delete => 'cascade');
SELECT polyref.declare('accesses', 'resource', ARRAY['posts', 'repositories']::regclass[],
                       kinds => ARRAY['Post', 'Repository'], on_delete => 'restrict');
SELECT polyref.declare('attachments', 'attachable', ARRAY['posts', 'storage.documents']::regclass[],
                       kinds => ARRAY['Post', 'Document']);
SELECT polyref.add_target('attachments', 'attachable', 'posts', kind => 'Article');
INSERT INTO attachments VALUES (3, 'Article', '11', 'legacy.png');
SELECT polyref.declare('likes', 'likeable', ARRAY['posts', 'videos']::regclass[],
                       kinds => ARRAY['Post', 'Video'], validate => false);
SELECT polyref.declare('reactions', 'reactable', ARRAY['posts', 'videos']::regclass[],
                       kinds => ARRAY['Post', 'Video'], initially_deferred => false);
SELECT polyref.declare('events', 'subject', ARRAY['users', 'repositories']::regclass[],
                       kinds => ARRAY['User', 'Repository'], on_delete => 'cascade');
SQL
}

# A scoped association (scope_columns, release 1.1): comments of an account
# point at posts and videos of the same account (Rails 7.1 composite keys).
# Videos' unique index lists the scope after the key; one comment points
# nowhere and keeps its tenant; notes are NOT VALID with a cross-account orphan.
sub scoped_schema_sql
{
	return <<'SQL';
CREATE EXTENSION polyref;
CREATE TABLE posts  (account_id int, id bigint, title text, PRIMARY KEY (account_id, id));
CREATE TABLE videos (account_id int NOT NULL, id bigint NOT NULL, title text);
CREATE UNIQUE INDEX videos_id_account_id_key ON videos (id, account_id);
CREATE TABLE comments (id int PRIMARY KEY, account_id int, commentable_type text,
                       commentable_id bigint);
CREATE TABLE notes (id int PRIMARY KEY, account_id int, subject_type text, subject_id bigint);
INSERT INTO posts VALUES (1, 1, 'one/1'), (2, 1, 'two/1'), (2, 2, 'two/2');
INSERT INTO videos VALUES (1, 5, 'video one/5');
INSERT INTO notes VALUES (1, 2, 'Post', 2), (2, 1, 'Post', 404);
SELECT polyref.declare('comments', 'commentable', ARRAY['posts']::regclass[],
                       kinds => ARRAY['Post'], on_delete => 'cascade',
                       scope_columns => ARRAY['account_id']);
SELECT polyref.add_target('comments', 'commentable', 'videos', kind => 'Video',
                          key_column => 'id');
INSERT INTO comments VALUES (1, 1, 'Post', 1), (2, 2, 'Post', 1), (3, 1, 'Video', 5),
                            (4, 2, NULL, NULL);
SELECT polyref.declare('notes', 'subject', ARRAY['posts']::regclass[], kinds => ARRAY['Post'],
                       validate => false, scope_columns => ARRAY['account_id']);
SQL
}

# The declarations of scoped_schema_sql as polyref shows them, with the orphans.
sub scoped_snapshot
{
	my ($node, $db) = @_;
	return sql_ok($node, $db, <<'SQL');
SELECT source, association, kinds, scope_columns, on_delete, validated
  FROM polyref.associations ORDER BY source::text, association;
SELECT source, association, kind, target, key_column FROM polyref.targets
 ORDER BY source::text, association, kind;
SELECT 'orphan', kind, id FROM polyref.orphans('notes', 'subject');
SQL
}

# The scoped association is enforced in DB: a comment on another account's
# post is refused, one on its own account's accepted, the cascade stays in
# its account.  Changes nothing (everything runs in rolled-back transactions).
sub check_scoped_enforcement
{
	my ($node, $db, $label) = @_;
	my (undef, $out, $err) = run_sql($node, $db, <<'SQL');
BEGIN;
INSERT INTO comments VALUES (10, 2, 'Post', 2);
COMMIT;
\echo own :ERROR
BEGIN;
INSERT INTO comments VALUES (11, 2, 'Video', 5);
COMMIT;
\echo other :ERROR :LAST_ERROR_SQLSTATE
BEGIN;
DELETE FROM posts WHERE account_id = 1 AND id = 1;
SELECT string_agg(id::text, ',' ORDER BY id) FROM comments;
ROLLBACK;
DELETE FROM comments WHERE id = 10;
SQL
	is($out, "own false\nother true 23503\n2,3,4,10",
		"$label: the scoped association is enforced within its account")
	  or diag($err);
}

# Text snapshots, for comparing two databases.  regclass columns print as
# names, so they compare across OIDs.
sub catalog_snapshot
{
	my ($node, $db) = @_;
	return sql_ok($node, $db, <<'SQL');
SELECT 'association', source, association, type_column, id_column, on_delete, on_update,
       is_deferrable, initially_deferred, validated, kinds
  FROM polyref.associations ORDER BY source::text, association;
SELECT 'target', source, association, kind, target, key_column
  FROM polyref.targets ORDER BY source::text, association, kind;
SQL
}

# The raw configuration rows (superuser only), created_index included, and
# whether each index declare made still exists.
sub config_snapshot
{
	my ($node, $db) = @_;
	return sql_ok($node, $db, <<'SQL');
SELECT a.*, to_regclass(quote_ident(n.nspname) || '.' || quote_ident(a.created_index)) IS NOT NULL
  FROM polyref.config_association a
  JOIN pg_class c ON c.oid = a.source JOIN pg_namespace n ON n.oid = c.relnamespace
 ORDER BY a.source::text, a.association;
SELECT * FROM polyref.config_kind ORDER BY source::text, association, kind;
SQL
}

# Every trigger that calls a polyref function, with its definition, enabled
# state, deferral, and whether it is a partition's clone of a parent trigger.
sub trigger_snapshot
{
	my ($node, $db) = @_;
	return sql_ok($node, $db, <<'SQL');
SELECT t.tgrelid::regclass, t.tgname, t.tgenabled, t.tgdeferrable, t.tginitdeferred,
       t.tgparentid <> 0 AS cloned, t.tgconstraint <> 0 AS is_constraint,
       pg_get_triggerdef(t.oid)
  FROM pg_trigger t
  JOIN pg_proc p ON p.oid = t.tgfoid
 WHERE p.pronamespace = 'polyref'::regnamespace
 ORDER BY t.tgrelid::regclass::text, t.tgname, pg_get_triggerdef(t.oid);
SQL
}

# Every snapshot of a database made by realistic_schema_sql, by name: the
# baseline a dump and its restore must reproduce.
sub realistic_snapshots
{
	my ($node, $db) = @_;
	return (
		catalog  => catalog_snapshot($node, $db),
		config   => config_snapshot($node, $db),
		triggers => trigger_snapshot($node, $db),
		data     => data_snapshot($node, $db, @REALISTIC_TABLES),
		orphans  => orphans_snapshot($node, $db),);
}

# Every row of TABLES (ONLY each), in a fixed order.
sub data_snapshot
{
	my ($node, $db, @tables) = @_;
	my $sql = join(
		"\n",
		map {
			"SELECT '$_', count(*), coalesce(string_agg(t::text, ' ; ' ORDER BY t::text), '') FROM ONLY $_ t;"
		} @tables);
	return sql_ok($node, $db, $sql);
}

# polyref.orphans of the NOT VALID association, joined back to the rows.
sub orphans_snapshot
{
	my ($node, $db) = @_;
	return sql_ok($node, $db, <<'SQL');
SELECT l.id, o.tableoid, o.kind, o.id
  FROM polyref.orphans('likes', 'likeable') o JOIN likes l ON l.ctid = o.ctid
 ORDER BY l.id;
SQL
}

# check_enforcement(NODE, DB, LABEL): the associations of
# realistic_schema_sql are enforced in DB.  Changes nothing (everything runs
# in transactions that roll back or fail).
sub check_enforcement
{
	my ($node, $db, $label) = @_;
	my ($ret, $out, $err);

	# A dangling reference is accepted by the statement and refused at COMMIT.
	($ret, $out, $err) = run_sql($node, $db, <<'SQL');
BEGIN;
INSERT INTO comments (commentable_type, commentable_id, body) VALUES ('Post', 999, 'ghost');
\echo insert :ERROR
COMMIT;
\echo commit :ERROR :LAST_ERROR_SQLSTATE
SELECT count(*) FROM comments WHERE body = 'ghost';
SQL
	is($out, "insert false\ncommit true 23503\n0",
		"$label: dangling insert refused with 23503 at COMMIT");
	like(
		$err,
		qr/ERROR:  insert or update on table "comments" violates foreign key constraint "commentable"\n.*DETAIL:  Key \(commentable_type, commentable_id\)=\(Post, 999\) is not present in table "posts"\./s,
		"$label: in a native foreign key's words");

	# SET CONSTRAINTS <association> IMMEDIATE checks at the statement.
	($ret, $out, $err) = run_sql($node, $db, <<'SQL');
BEGIN;
SET CONSTRAINTS commentable IMMEDIATE;
\echo set :ERROR
INSERT INTO comments (commentable_type, commentable_id, body) VALUES ('Video', 999, 'ghost');
\echo insert :ERROR :LAST_ERROR_SQLSTATE
ROLLBACK;
SQL
	is($out, "set false\ninsert true 23503",
		"$label: SET CONSTRAINTS commentable IMMEDIATE checks at the statement");

	# initially_deferred => false: checked at statement end, unless deferred.
	($ret, $out, $err) = run_sql($node, $db, <<'SQL');
BEGIN;
INSERT INTO reactions VALUES (100, 'Post', 999, 'ghost');
\echo immediate :ERROR :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SET CONSTRAINTS reactable DEFERRED;
INSERT INTO reactions VALUES (100, 'Post', 999, 'ghost');
\echo deferred :ERROR
COMMIT;
\echo commit :ERROR :LAST_ERROR_SQLSTATE
SQL
	is( $out,
		"immediate true 23503\ndeferred false\ncommit true 23503",
		"$label: initially_deferred => false checks at statement end, SET CONSTRAINTS reactable DEFERRED defers"
	);
	like($err, qr/violates foreign key constraint "reactable"/,
		"$label: reactable names itself");

	# The text id column: canonical uuid and bigint texts resolve; a missing
	# uuid is refused.
	($ret, $out, $err) = run_sql($node, $db, <<'SQL');
BEGIN;
SET CONSTRAINTS attachable IMMEDIATE;
INSERT INTO attachments VALUES (100, 'Document', '6b0e4f1e-6c2a-4d0b-9a53-0f6f1c1d2e02', 'ok.txt'),
                               (101, 'Article', '12', 'ok.png');
\echo present :ERROR
INSERT INTO attachments VALUES (102, 'Document', '6b0e4f1e-6c2a-4d0b-9a53-0f6f1c1d2eff', 'ghost.txt');
\echo missing :ERROR :LAST_ERROR_SQLSTATE
ROLLBACK;
SQL
	is($out, "present false\nmissing true 23503",
		"$label: text id against bigint and uuid keys");
	like($err, qr/is not present in table "documents"/,
		"$label: the uuid kind's table is named");

	# on_delete cascade: deleting post 11 deletes its comments, not the comment
	# on video 11; deleting user 1 deletes their events in both partitions and
	# their accesses.
	($ret, $out, $err) = run_sql($node, $db, <<'SQL');
BEGIN;
DELETE FROM posts WHERE id = 11;
\echo delete :ERROR
SELECT string_agg(commentable_type || ' ' || commentable_id, ', ' ORDER BY commentable_type, commentable_id)
  FROM comments WHERE commentable_id = 11;
DELETE FROM users WHERE id = 1;
SELECT string_agg(tableoid::regclass || ' ' || id, ', ' ORDER BY id) FROM events;
SELECT count(*) FROM accesses WHERE owner_type = 'User' AND owner_id = 1;
ROLLBACK;
SQL
	is( $out,
		"delete false\nVideo 11\nevents_2024 3, events_2023 4, events_2024 5\n0",
		"$label: cascades (comments; events in every partition; accesses)");

	# on_delete restrict: refused at once.
	($ret, $out, $err) = run_sql($node, $db, <<'SQL');
BEGIN;
DELETE FROM posts WHERE id = 10;
\echo delete :ERROR :LAST_ERROR_SQLSTATE
ROLLBACK;
SQL
	# PostgreSQL 18 reports RESTRICT apart from NO ACTION (23001), as polyref
	# does on the server it runs on.
	if ($node->pg_version >= 18)
	{
		is($out, "delete true 23001", "$label: restrict refuses at once (23001)");
		like(
			$err,
			qr/update or delete on table "posts" violates RESTRICT setting of foreign key constraint "resource" on table "accesses"/,
			"$label: restrict message");
	}
	else
	{
		is($out, "delete true 23503", "$label: restrict refuses at once");
		like(
			$err,
			qr/update or delete on table "posts" violates foreign key constraint "resource" on table "accesses"/,
			"$label: restrict message");
	}

	# no action, deferred: a still referenced document cannot go at COMMIT.
	($ret, $out, $err) = run_sql($node, $db, <<'SQL');
BEGIN;
DELETE FROM storage.documents WHERE name = 'spec.pdf';
\echo delete :ERROR
COMMIT;
\echo commit :ERROR :LAST_ERROR_SQLSTATE
SELECT count(*) FROM storage.documents;
SQL
	is($out, "delete false\ncommit true 23503\n2",
		"$label: no action checks the target side at COMMIT");
	like(
		$err,
		qr/update or delete on table "documents" violates foreign key constraint "attachable" on table "attachments"/,
		"$label: no action message");

	# TRUNCATE of a referenced target; DROP of a needed target.
	($ret, $out, $err) = run_sql($node, $db, <<'SQL');
TRUNCATE videos;
\echo truncate :ERROR :LAST_ERROR_SQLSTATE
DROP TABLE videos;
\echo drop :ERROR :LAST_ERROR_SQLSTATE
SELECT count(*) FROM videos;
SQL
	is($out, "truncate true 0A000\ndrop true 2BP01\n2",
		"$label: TRUNCATE and DROP of a referenced target refused");
}

1;
