# Declarations are schema (SPEC, "Declarations are schema"; issue 12): a
# schema-only dump carries every declaration in the arguments of the
# association's constraint trigger, and loading it declares them again.
#
#   1. pg_dump -s, and -s -x -O (Rails' flags), loaded with psql -v
#      ON_ERROR_STOP=1 into an empty database: no error, no warning, nothing
#      on stderr; the same declarations, kinds, targets, actions, deferral,
#      validated flags (NOT VALID stays so), configuration rows and triggers;
#      enforced.  The same through pg_restore --jobs=4 (directory format).
#   2. -s, then pg_dump -a --disable-triggers of the same database: no error,
#      no duplicated declaration, the data, the join view's record, enforced.
#   3. pg_dump -s -n app into a database that already has the extension.
#   4. A hand-edited dump (a malformed declaration; a target the dump lacks)
#      fails the load with an error naming the trigger, and leaves no table
#      unenforced in silence.
#   6. A scoped association (scope_columns): carried as scope_column=
#      arguments, restored with its scope and enforced within it.
#   5. Rails: structure.sql loaded twice into a purged test database (what
#      db:test:prepare does).  Laravel: migrate:fresh (drop every table with
#      CASCADE, load the schema dump, run a newer migration).
#   6. Django's GenericForeignKey declared with kind_registry (issue 13): a
#      schema-only dump carries kind_registry=<schema.table> and the
#      registry's trigger; the loaded database (no content types yet, as a
#      test database Django builds) records the registry and enforces the
#      kinds once the content types are inserted, relabels included; a full
#      dump restores the same, enforced.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PolyrefTAP;

my $node = new_node('schema');
$node->safe_psql('postgres', 'CREATE DATABASE src TEMPLATE template0');
$node->safe_psql('src', realistic_schema_sql());
my $joins = has_join_helpers($node, 'src');
$node->safe_psql('src',
	q{SELECT polyref.create_join_view('comments', 'commentable')})
  if $joins;

my $tmp = PostgreSQL::Test::Utils::tempdir;
my $src = $node->connstr('src');

my %want = realistic_snapshots($node, 'src');
like($want{catalog}, qr/^association\|likes\|likeable\|.*\|f\|\{Post,Video\}$/m,
	'source: likes.likeable is NOT VALID');
like($want{catalog}, qr/^association\|reactions\|reactable\|.*\|t\|f\|t\|/m,
	'source: reactions.reactable is checked at statement end');

sub dump_to
{
	my ($file, @args) = @_;
	my ($rc, $out, $err) = run_cmd('pg_dump', '-d', $src, @args, '-f', $file);
	is($rc, 0, "pg_dump @args exits 0") or diag($err);
	is($err, '', "pg_dump @args writes nothing to stderr");
}

sub fresh_db
{
	my ($db) = @_;
	$node->safe_psql('postgres', "DROP DATABASE IF EXISTS $db");
	$node->safe_psql('postgres', "CREATE DATABASE $db TEMPLATE template0");
}

# psql -v ON_ERROR_STOP=1 -f FILE, as Rails' db:schema:load runs it.
sub load_strict
{
	my ($db, $file) = @_;
	return run_cmd('psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d',
		$node->connstr($db), '-f', $file);
}

sub same_declarations
{
	my ($db, $label) = @_;
	is(catalog_snapshot($node, $db), $want{catalog},
		"$label: the same declarations, kinds, targets, actions, deferral and validated flags");
	is(config_snapshot($node, $db), $want{config},
		"$label: the same configuration rows, each once, created indexes included");
	is(trigger_snapshot($node, $db), $want{triggers},
		"$label: the same polyref triggers");
	is( sql_ok($node, $db,
			q{SELECT count(*) FROM (
                SELECT source, association, kind, target, key_column FROM polyref.carried_declarations()
                EXCEPT
                SELECT k.source, k.association, k.kind, k.target, k.key_column FROM polyref.config_kind k) d}),
		'0', "$label: what the triggers carry is what is configured");
}

# Enforcement in a database that has the schema and no rows.
sub check_empty_enforced
{
	my ($db, $label) = @_;
	my (undef, $out, $err) = run_sql($node, $db, <<'SQL');
BEGIN;
INSERT INTO comments (commentable_type, commentable_id, body) VALUES ('Post', 1, 'ghost');
COMMIT;
\echo dangling :ERROR :LAST_ERROR_SQLSTATE
INSERT INTO reactions VALUES (1, 'Video', 9, 'x');
\echo immediate :ERROR :LAST_ERROR_SQLSTATE
BEGIN;
INSERT INTO posts VALUES (1, 'p');
INSERT INTO comments (commentable_type, commentable_id, body) VALUES ('Post', 1, 'ok');
INSERT INTO likes VALUES (1, 'Post', 1);
COMMIT;
\echo present :ERROR
DELETE FROM posts WHERE id = 1;
\echo referenced :ERROR :LAST_ERROR_SQLSTATE
SELECT count(*) FROM comments;
DELETE FROM likes;
SQL
	is($out, "dangling true 23503\nimmediate true 23503\npresent false\nreferenced true 23503\n1",
		"$label: enforced (a dangling reference refused at COMMIT, an immediate one at once)")
	  or diag($err);
	# likes.likeable (no action) keeps post 1: delete the like, then the post cascades its comment.
	(undef, $out, $err) = run_sql($node, $db, <<'SQL');
DELETE FROM posts WHERE id = 1;
\echo delete :ERROR
SELECT count(*) FROM comments;
SQL
	is($out, "delete false\n0", "$label: ON DELETE CASCADE") or diag($err);
}

# --- 1. pg_dump -s, with and without -x -O ----------------------------------

dump_to("$tmp/schema.sql",      '--schema-only');
dump_to("$tmp/structure.sql",   '--schema-only', '--no-privileges', '--no-owner');
dump_to("$tmp/schema.dir",      '--schema-only', '-Fd');
dump_to("$tmp/data.sql",        '--data-only', '--disable-triggers');

my $schema_sql = slurp_file("$tmp/schema.sql");
like($schema_sql,
	qr/^CREATE CONSTRAINT TRIGGER commentable AFTER INSERT OR UPDATE ON public\.comments DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION polyref\.constraint_trigger\('polyref=1', 'type_column=commentable_type', 'id_column=commentable_id', 'on_delete=cascade', 'on_update=no action', 'validated=true', 'created_index=comments_commentable_type_commentable_id_idx', 'kind=Post', 'target=public\.posts', 'key_column=id', 'kind=Video', 'target=public\.videos', 'key_column=id'(?:, 'join_view=public\.comments_commentable')?\);$/m,
	'the schema-only dump carries the declaration in the trigger');
unlike($schema_sql, qr/polyref\.config_/, 'and no configuration table');

for my $case (['schema.sql', 'pg_dump -s'], ['structure.sql', 'pg_dump -s -x -O'])
{
	my ($file, $label) = @$case;
	my $db = $file =~ s/\.sql$//r;
	fresh_db($db);
	my ($rc, $out, $err) = load_strict($db, "$tmp/$file");
	is($rc, 0, "$label: psql -v ON_ERROR_STOP=1 loads it") or diag($err);
	is($err, '', "$label: no error, no warning, nothing on stderr");
	same_declarations($db, $label);
	if ($joins)
	{
		is( sql_ok($node, $db,
				q{SELECT join_view, source, association FROM polyref.config_join_view}),
			'comments_commentable|comments|commentable',
			"$label: the join view is recorded");
	}
	check_empty_enforced($db, $label);
}

fresh_db('schema_jobs');
{
	my ($rc, $out, $err) = run_cmd('pg_restore', '--jobs=4', '-d',
		$node->connstr('schema_jobs'), "$tmp/schema.dir");
	is($rc, 0, 'pg_dump -s -Fd, pg_restore --jobs=4: exits 0') or diag($err);
	is($err, '', 'pg_restore --jobs=4: nothing on stderr');
	same_declarations('schema_jobs', 'pg_restore --jobs=4 of -s');
	check_empty_enforced('schema_jobs', 'pg_restore --jobs=4 of -s');
}

# --- 2. -s, then -a --disable-triggers ------------------------------------------

unlike(slurp_file("$tmp/data.sql"), qr/COPY polyref\.config_/,
	'the data-only dump carries no declaration');
fresh_db('split');
{
	my ($rc, $out, $err) = load_strict('split', "$tmp/schema.sql");
	is($rc, 0, '-s then -a: the schema loads') or diag($err);
	($rc, $out, $err) = load_strict('split', "$tmp/data.sql");
	is($rc, 0, '-s then -a: the data loads') or diag($err);
	unlike($err, qr/\b(ERROR|WARNING|FATAL)\b/, '-s then -a: no error, no warning')
	  or diag($err);
	same_declarations('split', '-s then -a');
	is(data_snapshot($node, 'split', @REALISTIC_TABLES), $want{data}, '-s then -a: the data');
	is(orphans_snapshot($node, 'split'), $want{orphans},
		'-s then -a: the NOT VALID association keeps its orphan');
	if ($joins)
	{
		is( sql_ok($node, 'split',
				q{SELECT join_view, source, association FROM polyref.config_join_view}),
			'comments_commentable|comments|commentable',
			'-s then -a: the join view is recorded once');
	}
	check_enforcement($node, 'split', '-s then -a');
}

# --- 3. pg_dump -s -n app into a database that has the extension ----------------

$node->safe_psql('src', <<'SQL');
CREATE SCHEMA app;
CREATE TABLE app.people (id bigint PRIMARY KEY);
CREATE TABLE app.teams  (id bigint PRIMARY KEY);
CREATE TABLE app.memberships (id bigint PRIMARY KEY, member_type text NOT NULL, member_id bigint NOT NULL);
SELECT polyref.declare('app.memberships', 'member', ARRAY['app.people', 'app.teams']::regclass[],
                       kinds => ARRAY['Person', 'Team'], on_delete => 'restrict',
                       initially_deferred => false);
CREATE SCHEMA reports;
CREATE TABLE reports.badges (id bigint PRIMARY KEY, holder_type text, holder_id bigint);
SELECT polyref.declare('reports.badges', 'holder', ARRAY['public.users']::regclass[], kinds => ARRAY['User']);
SQL
my $app_want = sql_ok($node, 'src',
	q{SELECT source, association, kinds, on_delete, is_deferrable, initially_deferred, validated
        FROM polyref.associations WHERE source::text LIKE 'app.%' ORDER BY source::text});
dump_to("$tmp/app.sql", '--schema-only', '-n', 'app');
fresh_db('has_ext');
$node->safe_psql('has_ext',
	'CREATE EXTENSION polyref; CREATE TABLE public.unrelated (id bigint PRIMARY KEY)');
{
	my ($rc, $out, $err) = load_strict('has_ext', "$tmp/app.sql");
	is($rc, 0, '-s -n app: loads into a database that has the extension') or diag($err);
	is($err, '', '-s -n app: nothing on stderr');
	is( sql_ok($node, 'has_ext',
			q{SELECT source, association, kinds, on_delete, is_deferrable, initially_deferred, validated
                FROM polyref.associations ORDER BY source::text}),
		$app_want,
		'-s -n app: that schema\'s declarations');
	my (undef, $o, $e) = run_sql($node, 'has_ext', <<'SQL');
INSERT INTO app.memberships VALUES (1, 'Team', 7);
\echo dangling :ERROR :LAST_ERROR_SQLSTATE
INSERT INTO app.teams VALUES (7);
INSERT INTO app.memberships VALUES (1, 'Team', 7);
DELETE FROM app.teams;
\echo restrict :ERROR :LAST_ERROR_SQLSTATE
SQL
	# RESTRICT as the server reports it: 23001 from PostgreSQL 18 on.
	my $restrict_state = $node->pg_version >= 18 ? '23001' : '23503';
	is($o, "dangling true 23503\nrestrict true $restrict_state", '-s -n app: enforced')
	  or diag($e);
}

# --- 4. hand-edited and truncated dumps fail clearly ------------------------------

# A dump of reports alone names public.users, which this database lacks.
dump_to("$tmp/reports.sql", '--schema-only', '-n', 'reports');
fresh_db('no_users');
$node->safe_psql('no_users', 'CREATE EXTENSION polyref');
{
	my ($rc, $out, $err) = load_strict('no_users', "$tmp/reports.sql");
	isnt($rc, 0, 'a dump naming a missing table: the load fails');
	like($err,
		qr/ERROR:  relation "public\.users" does not exist\nDETAIL:  Trigger "holder" on table "reports\.badges" carries association "holder", whose kind "User" points at that table\./,
		'a dump naming a missing table: the error names the table and the trigger');
	is( sql_ok($node, 'no_users',
			q{SELECT count(*) FROM pg_trigger WHERE tgrelid = 'reports.badges'::regclass AND tgname = 'holder'}),
		'0', 'a dump naming a missing table: no trigger left that enforces nothing');
}

# A hand-edited declaration.
(my $edited = $schema_sql) =~ s/'on_delete=cascade', 'on_update=no action', 'validated=true', 'created_index=comments_/'on_delete=explode', 'on_update=no action', 'validated=true', 'created_index=comments_/
  or die 'the edit did not apply';
PostgreSQL::Test::Utils::append_to_file("$tmp/edited.sql", $edited);
fresh_db('edited');
{
	my ($rc, $out, $err) = load_strict('edited', "$tmp/edited.sql");
	isnt($rc, 0, 'a malformed declaration: the load fails');
	like($err,
		qr/ERROR:  trigger "commentable" on table "public\.comments" carries a malformed polyref declaration\nDETAIL:  Argument 4: on_delete "explode" is not/,
		'a malformed declaration: the error names the trigger, the table and the argument');
	unlike($err, qr/server closed the connection|terminated by signal/, 'no crash');
}

# A hand-edited declaration with ON_ERROR_STOP off: the load reports the
# error and the table refuses writes instead of going unenforced.
fresh_db('edited_on');
{
	my ($rc, $out, $err) = run_cmd('psql', '-X', '-q', '-d', $node->connstr('edited_on'),
		'-f', "$tmp/edited.sql");
	like($err, qr/carries a malformed polyref declaration/,
		'ON_ERROR_STOP off: the error is reported');
	my (undef, $o, $e) = run_sql($node, 'edited_on', <<'SQL');
INSERT INTO posts VALUES (1, 'p');
INSERT INTO comments (commentable_type, commentable_id, body) VALUES ('Post', 1, 'x');
\echo insert :ERROR
SQL
	is($o, 'insert false',
		'ON_ERROR_STOP off: without its trigger comments is not a declared source (no stale half-state)');
	is( sql_ok($node, 'edited_on',
			q{SELECT count(*) FROM polyref.associations WHERE source = 'comments'::regclass}),
		'0', 'ON_ERROR_STOP off: and polyref.associations says so');
}

# --- 5. Rails and Laravel ---------------------------------------------------------

# Rails: schema_format = :sql; db:schema:dump runs pg_dump -s -x -O into
# db/structure.sql and appends the schema_migrations rows; db:test:prepare
# purges the test database and loads it with psql -v ON_ERROR_STOP=1.
$node->safe_psql('src', <<'SQL');
CREATE TABLE public.schema_migrations (version character varying NOT NULL PRIMARY KEY);
INSERT INTO public.schema_migrations VALUES ('20240101000000'), ('20240102000000');
SQL
my $rails_want = catalog_snapshot($node, 'src');
dump_to("$tmp/rails.sql", '--schema-only', '--no-privileges', '--no-owner');
PostgreSQL::Test::Utils::append_to_file("$tmp/rails.sql",
	qq{SET search_path TO "\$user", public;\n\nINSERT INTO "schema_migrations" (version) VALUES\n('20240101000000'),\n('20240102000000');\n\n});
for my $round (1, 2)
{
	fresh_db('rails_test');
	my ($rc, $out, $err) = load_strict('rails_test', "$tmp/rails.sql");
	is($rc, 0, "Rails db:test:prepare ($round): structure.sql loads") or diag($err);
	is($err, '', "Rails db:test:prepare ($round): nothing on stderr");
	is(catalog_snapshot($node, 'rails_test'), $rails_want,
		"Rails db:test:prepare ($round): the declarations");
	check_empty_enforced('rails_test', "Rails db:test:prepare ($round)");
}

# Laravel: schema:dump is pg_dump --no-owner --no-acl --schema-only;
# migrate:fresh drops every table of the schema with CASCADE, loads the dump
# with psql, then runs the migrations newer than it.
$node->safe_psql('postgres', 'CREATE DATABASE laravel TEMPLATE template0');
$node->safe_psql('laravel', <<'SQL');
CREATE EXTENSION polyref;
CREATE TABLE migrations (id serial PRIMARY KEY, migration varchar(255) NOT NULL, batch int NOT NULL);
CREATE TABLE posts (id bigserial PRIMARY KEY);
CREATE TABLE videos (id bigserial PRIMARY KEY);
CREATE TABLE comments (id bigserial PRIMARY KEY, commentable_type varchar(255) NOT NULL,
                       commentable_id bigint NOT NULL);
SELECT polyref.declare('comments', 'commentable', ARRAY['posts', 'videos']::regclass[],
                       kinds => ARRAY['post', 'video'], on_delete => 'cascade');
SQL
my $laravel_want = sql_ok($node, 'laravel',
	q{SELECT source, association, kinds, on_delete, validated FROM polyref.associations ORDER BY source::text, association});
{
	my ($rc, $out, $err) = run_cmd('pg_dump', '-d', $node->connstr('laravel'),
		'--no-owner', '--no-acl', '--schema-only', '-f', "$tmp/laravel.sql");
	is($rc, 0, 'Laravel schema:dump') or diag($err);
}
for my $round (1, 2)
{
	$node->safe_psql('laravel', <<'SQL');
DO $$ BEGIN
    EXECUTE (SELECT 'DROP TABLE ' || string_agg(format('%I.%I', schemaname, tablename), ', ') || ' CASCADE'
               FROM pg_tables WHERE schemaname = 'public');
END $$;
SQL
	is(sql_ok($node, 'laravel', 'SELECT count(*) FROM polyref.associations'),
		'0', "Laravel migrate:fresh ($round): dropping the tables forgets their declarations");
	my ($rc, $out, $err) = run_cmd('psql', '-X', '-q', '-d', $node->connstr('laravel'),
		'-f', "$tmp/laravel.sql");
	is($rc, 0, "Laravel migrate:fresh ($round): the schema dump loads");
	# The dump creates the extension's schema, which migrate:fresh keeps (as
	# it keeps every schema): psql reports that, as for any schema in a dump,
	# and goes on.  Nothing else.
	my @errors = grep { /\b(ERROR|WARNING)\b/ && !/ERROR:  schema "polyref" already exists$/ }
	  split /\n/, $err;
	is_deeply(\@errors, [], "Laravel migrate:fresh ($round): no other error, no warning")
	  or diag($err);
	is( sql_ok($node, 'laravel',
			q{SELECT source, association, kinds, on_delete, validated FROM polyref.associations ORDER BY source::text, association}),
		$laravel_want,
		"Laravel migrate:fresh ($round): the dumped declarations");
	# A migration newer than the dump.
	$node->safe_psql('laravel', <<'SQL');
CREATE TABLE likes (id bigserial PRIMARY KEY, likeable_type varchar(255) NOT NULL, likeable_id bigint NOT NULL);
SELECT polyref.declare('likes', 'likeable', ARRAY['posts', 'comments']::regclass[],
                       kinds => ARRAY['post', 'comment']);
SQL
	my (undef, $o, $e) = run_sql($node, 'laravel', <<'SQL');
INSERT INTO posts DEFAULT VALUES;
INSERT INTO comments (commentable_type, commentable_id) VALUES ('post', currval('posts_id_seq'));
INSERT INTO likes (likeable_type, likeable_id) VALUES ('comment', currval('comments_id_seq'));
\echo valid :ERROR
BEGIN;
INSERT INTO comments (commentable_type, commentable_id) VALUES ('video', 404);
COMMIT;
\echo dangling :ERROR :LAST_ERROR_SQLSTATE
SQL
	is($o, "valid false\ndangling true 23503", "Laravel migrate:fresh ($round): enforced")
	  or diag($e);
}

# --- 6. Django's GenericForeignKey: a kind registry ---------------------------

$node->safe_psql('postgres', 'CREATE DATABASE django TEMPLATE template0');
$node->safe_psql('django', <<'SQL');
CREATE EXTENSION polyref;
CREATE TABLE django_content_type (id serial PRIMARY KEY, app_label varchar(100) NOT NULL,
                                  model varchar(100) NOT NULL, UNIQUE (app_label, model));
CREATE TABLE shop_article (id bigserial PRIMARY KEY, title text NOT NULL);
CREATE TABLE shop_taggeditem (id bigserial PRIMARY KEY, tag varchar(50) NOT NULL,
                              content_type_id integer NOT NULL
                                  REFERENCES django_content_type (id) DEFERRABLE INITIALLY DEFERRED,
                              object_id integer NOT NULL CHECK (object_id >= 0));
SELECT polyref.declare('shop_taggeditem', 'content_object', ARRAY['shop_article']::regclass[],
                       ARRAY['shop.article'], 'content_type_id', 'object_id',
                       on_delete => 'cascade', kind_registry => 'django_content_type');
INSERT INTO django_content_type (app_label, model) VALUES ('auth', 'user'), ('shop', 'article');
INSERT INTO shop_article (title) VALUES ('a');
INSERT INTO shop_taggeditem (tag, content_type_id, object_id) VALUES ('t', 2, 1);
SQL
my $django_src = $node->connstr('django');
my ($drc, undef, $derr) = run_cmd('pg_dump', '-d', $django_src, '--schema-only',
	'-f', "$tmp/django_schema.sql");
is($drc, 0, 'Django: pg_dump -s exits 0') or diag($derr);
($drc, undef, $derr) = run_cmd('pg_dump', '-d', $django_src, '-Fc',
	'-f', "$tmp/django.dump");
is($drc, 0, 'Django: pg_dump -Fc exits 0') or diag($derr);
my $django_sql = slurp_file("$tmp/django_schema.sql");
like($django_sql,
	qr/polyref\.constraint_trigger\('polyref=1', 'type_column=content_type_id', 'id_column=object_id', 'on_delete=cascade', 'on_update=no action', 'validated=true', 'created_index=[^']+', 'kind_registry=public\.django_content_type', 'kind=shop\.article', 'target=public\.shop_article', 'key_column=id'\)/,
	'Django: the schema-only dump carries kind_registry');
like($django_sql,
	qr/^CREATE TRIGGER polyref_registry AFTER INSERT OR DELETE OR UPDATE ON public\.django_content_type FOR EACH ROW EXECUTE FUNCTION polyref\.registry_trigger\(\);$/m,
	'Django: and the registry trigger');

my $django_want = 'shop_taggeditem|content_object|{shop.article}|django_content_type|t';
my $django_catalog = q{SELECT source, association, kinds, kind_registry, validated FROM polyref.associations};

# The test database Django builds: the schema, then post_migrate's content
# types (other ids than in the source database).
fresh_db('django_test');
my ($lrc, undef, $lerr) = load_strict('django_test', "$tmp/django_schema.sql");
is($lrc, 0, 'Django: the schema-only dump loads') or diag($lerr);
unlike($lerr, qr/\b(ERROR|WARNING)\b/, 'Django: without an error or warning');
is(sql_ok($node, 'django_test', $django_catalog), $django_want,
	'Django: the loaded database records the kind registry');
my (undef, $o, $e) = run_sql($node, 'django_test', <<'SQL');
INSERT INTO shop_article (title) VALUES ('a');
BEGIN;
INSERT INTO django_content_type (id, app_label, model) VALUES (10, 'shop', 'article');
INSERT INTO shop_taggeditem (tag, content_type_id, object_id) VALUES ('ok', 10, 1);
COMMIT;
\echo valid :ERROR
BEGIN;
INSERT INTO django_content_type (id, app_label, model) VALUES (11, 'auth', 'user');
INSERT INTO shop_taggeditem (tag, content_type_id, object_id) VALUES ('user', 11, 1);
COMMIT;
\echo undeclared :ERROR :LAST_ERROR_SQLSTATE
UPDATE django_content_type SET model = 'post' WHERE id = 10;
SELECT kinds FROM polyref.associations;
DELETE FROM django_content_type WHERE id = 10;
\echo carried :ERROR :LAST_ERROR_SQLSTATE
SQL
is($o, "valid false\nundeclared true 23503\n{shop.post}\ncarried true 23503",
	'Django: enforced through the registry in the loaded database') or diag($e);

# A full dump restored with pg_restore: the same, with the rows.
fresh_db('django_full');
my ($rrc, undef, $rerr) = run_cmd('pg_restore', '-d', $node->connstr('django_full'),
	"$tmp/django.dump");
is($rrc, 0, 'Django: pg_restore of the full dump exits 0') or diag($rerr);
is(sql_ok($node, 'django_full', $django_catalog), $django_want,
	'Django: the restored database records the kind registry');
(undef, $o, $e) = run_sql($node, 'django_full', <<'SQL');
BEGIN;
INSERT INTO shop_taggeditem (tag, content_type_id, object_id) VALUES ('user', 1, 1);
COMMIT;
\echo undeclared :ERROR :LAST_ERROR_SQLSTATE
DELETE FROM shop_article;
SELECT count(*) FROM shop_taggeditem;
SQL
is($o, "undeclared true 23503\n0", 'Django: the restored database enforces and cascades')
  or diag($e);

# --- 7. a scoped association (scope_columns) ----------------------------------

$node->safe_psql('postgres', 'CREATE DATABASE scoped_src TEMPLATE template0');
$node->safe_psql('scoped_src', scoped_schema_sql());
my $scoped_want = scoped_snapshot($node, 'scoped_src');
like($scoped_want, qr/^comments\|commentable\|\{Post,Video\}\|\{account_id\}\|cascade\|t$/m,
	'scoped source: comments.commentable is scoped by account_id');
like($scoped_want, qr/^orphan\|Post\|404$/m, 'scoped source: the known orphan');
{
	my ($rc, $out, $err) = run_cmd('pg_dump', '-d', $node->connstr('scoped_src'),
		'--schema-only', '-f', "$tmp/scoped.sql");
	is($rc, 0, 'scoped: pg_dump -s exits 0') or diag($err);
	like(slurp_file("$tmp/scoped.sql"),
		qr/polyref\.constraint_trigger\('polyref=1', 'type_column=commentable_type', 'id_column=commentable_id', 'on_delete=cascade', 'on_update=no action', 'validated=true', 'created_index=comments_commentable_type_commentable_id_idx', 'scope_column=account_id', 'kind=Post'/,
		'scoped: the trigger carries the scope column');
	fresh_db('scoped_dst');
	($rc, $out, $err) = load_strict('scoped_dst', "$tmp/scoped.sql");
	is($rc, 0, 'scoped: the schema-only dump loads') or diag($err);
	is($err, '', 'scoped: no error, no warning, nothing on stderr');
	$node->safe_psql('scoped_dst', <<'SQL');
INSERT INTO posts VALUES (1, 1, 'one/1'), (2, 1, 'two/1'), (2, 2, 'two/2');
INSERT INTO videos VALUES (1, 5, 'video one/5');
SET session_replication_role = replica;
INSERT INTO comments VALUES (1, 1, 'Post', 1), (2, 2, 'Post', 1), (3, 1, 'Video', 5),
                            (4, 2, NULL, NULL);
INSERT INTO notes VALUES (1, 2, 'Post', 2), (2, 1, 'Post', 404);
SQL
	is(scoped_snapshot($node, 'scoped_dst'), $scoped_want,
		'scoped: the same declarations, scope, kinds, validated flags and orphan');
	check_scoped_enforcement($node, 'scoped_dst', 'scoped (pg_dump -s)');
}

$node->stop;
done_testing();
