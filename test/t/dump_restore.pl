# pg_dump / restore of a database with polyref associations (SPEC,
# "Seeing": "Declarations live in extension configuration tables, so pg_dump /
# pg_restore carry them, and a restored database enforces them again"; since
# 1.1 the dump carries them in the triggers: "Declarations are schema", and
# test/t/schema_dump.pl for schema-only dumps).
#
# One node, database "src" with the realistic schema of PolyrefTAP (cascades,
# restrict, two associations on one table, a text id against bigint and uuid
# keys in two schemas, a NOT VALID association with a known orphan, one
# checked at statement end, a partitioned source; a join view if this build
# has the join helpers).  It is dumped three ways:
#   plain      pg_dump -Fp, restored with psql
#   custom     pg_dump -Fc, restored with pg_restore
#   directory  pg_dump -Fd, restored with pg_restore --jobs=4 (three times:
#              the data of the configuration tables loads in any order)
# and each restore must: raise no error; give the same polyref.associations,
# polyref.targets, configuration rows, polyref triggers (same tables, same
# definitions, same enabled state) and data; enforce every association again
# (23503 at COMMIT, SET CONSTRAINTS, cascades, restrict, TRUNCATE, DROP);
# keep the NOT VALID association not validated with the same orphan; and dump
# again to the very same plain script.  A second database, "scoped_src", holds
# scoped associations (scope_columns): restored from a custom dump with
# pg_restore --jobs=4, they keep their scope and are enforced within it.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PolyrefTAP;

my $node = new_node('dump');
$node->safe_psql('postgres', 'CREATE DATABASE src TEMPLATE template0');
$node->safe_psql('src', realistic_schema_sql());

my $joins = has_join_helpers($node, 'src');
if ($joins)
{
	$node->safe_psql('src',
		q{SELECT polyref.create_join_view('comments', 'commentable')});
}
else
{
	note 'this build has no join helpers: no join view in the dump';
}

# --- the source database: the baseline the restores must reproduce ----------

my %want = realistic_snapshots($node, 'src');

# The snapshots hold what they should (so an empty or broken query cannot make
# two databases look alike).
is( sql_ok($node, 'src',
		q{SELECT source, association, kinds, validated, initially_deferred
            FROM polyref.associations ORDER BY source::text, association}),
	join("\n",
		'accesses|owner|{Organization,User}|t|t',
		'accesses|resource|{Post,Repository}|t|t',
		'attachments|attachable|{Article,Document,Post}|t|t',
		'comments|commentable|{Post,Video}|t|t',
		'events|subject|{Repository,User}|t|t',
		'likes|likeable|{Post,Video}|f|t',
		'reactions|reactable|{Post,Video}|t|f',
		'repositories|owner|{Organization,User}|t|t'),
	'source: the declared associations');
is($want{orphans}, '2|likes|Post|404', 'source: the known orphan');
like(
	$want{triggers},
	qr/^comments\|commentable\|O\|t\|t\|f\|t\|CREATE CONSTRAINT TRIGGER commentable AFTER INSERT OR UPDATE ON public\.comments DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION polyref\.constraint_trigger\(/m,
	'source: the constraint trigger on comments');
like($want{triggers}, qr/^posts\|polyref_truncate\|A\|/m,
	'source: polyref_truncate on posts, ENABLE ALWAYS');
like($want{triggers}, qr/^events_2023\|subject\|O\|t\|t\|t\|t\|/m,
	'source: the partition events_2023 has its clone of "subject"');
like($want{data}, qr/^likes\|4\|/m, 'source: data snapshot has rows');
check_enforcement($node, 'src', 'source');

my $join_view_rows;
if ($joins)
{
	$join_view_rows = sql_ok($node, 'src',
		q{SELECT id, target_kind, target FROM comments_commentable ORDER BY id});
	like($join_view_rows, qr/^3\|Video\|\{"id": 11, "title": "Cascades, the movie"\}$/m,
		'source: the join view');
}

# --- dump ---------------------------------------------------------------------

my $tmp = PostgreSQL::Test::Utils::tempdir;
my $src = $node->connstr('src');

sub dump_ok
{
	my ($what, @args) = @_;
	my ($rc, $out, $err) = run_cmd('pg_dump', '-d', $src, @args);
	is($rc, 0, "pg_dump $what exits 0") or diag($err);
	is($err, '', "pg_dump $what writes nothing to stderr");
}

dump_ok('plain',     '-Fp', '-f', "$tmp/src.sql");
dump_ok('custom',    '-Fc', '-f', "$tmp/src.dump");
dump_ok('directory', '-Fd', '-f', "$tmp/src.dir");

my $plain = slurp_file("$tmp/src.sql");
like($plain, qr/^CREATE EXTENSION IF NOT EXISTS polyref WITH SCHEMA polyref;$/m,
	'the dump creates the extension');
# Since 1.1 each declaration is carried once, by its trigger (restored in
# post-data), and the configuration tables are not dumped as data.
unlike($plain, qr/^COPY polyref\.config_(association|kind) /m,
	'the dump carries no configuration rows');
like($plain, qr/EXECUTE FUNCTION polyref\.constraint_trigger\('polyref=1', 'type_column=commentable_type', /,
	'the dump carries the declarations in the triggers');
like($plain, qr/^CREATE CONSTRAINT TRIGGER commentable /m,
	'the dump carries the triggers');

# --- restore and compare --------------------------------------------------------

# A plain dump without the random key of its \restrict / \unrestrict lines
# (pg_dump 15.14 and later).
sub without_restrict
{
	my ($script) = @_;
	$script =~ s/^\\((?:un)?restrict) .*$/\\$1 KEY/mg;
	return $script;
}

sub check_restored
{
	my ($db, $label, $rc, $err) = @_;

	is($rc, 0, "$label: restore exits 0");
	unlike($err, qr/\b(ERROR|FATAL|PANIC)\b/, "$label: restore raises no error")
	  or diag($err);
	unlike($err, qr/\bWARNING\b/, "$label: restore raises no warning")
	  or diag($err);

	is(catalog_snapshot($node, $db), $want{catalog},
		"$label: polyref.associations and polyref.targets as in the source");
	is( sql_ok($node, $db,
			q{SELECT source, association, kinds FROM polyref.associations ORDER BY source::text, association}),
		sql_ok($node, 'src',
			q{SELECT source, association, kinds FROM polyref.associations ORDER BY source::text, association}),
		"$label: the same kinds per association");
	is(config_snapshot($node, $db), $want{config},
		"$label: configuration rows and the indexes declare made");
	is(trigger_snapshot($node, $db), $want{triggers},
		"$label: the polyref triggers, on the same tables, with the same definitions");
	is(data_snapshot($node, $db, @REALISTIC_TABLES), $want{data},
		"$label: the data");

	# The restored database dumps to the same script as the source (before
	# anything runs in it: a refused INSERT still advances an identity).
	my ($drc, $dout, $derr) =
	  run_cmd('pg_dump', '-d', $node->connstr($db), '-Fp', '-f', "$tmp/$db.sql");
	is($drc, 0, "$label: dumps again") or diag($derr);
	ok(without_restrict(slurp_file("$tmp/$db.sql")) eq without_restrict($plain),
		"$label: dumps again to the same plain script")
	  or diag((run_cmd('diff', '-u', "$tmp/src.sql", "$tmp/$db.sql"))[1]);

	# NOT VALID stays NOT VALID, with the same orphan; validate() still
	# refuses it and passes once it is gone.
	is( sql_ok($node, $db,
			q{SELECT validated FROM polyref.associations WHERE source = 'likes'::regclass}),
		'f', "$label: likes.likeable is still not validated");
	is(orphans_snapshot($node, $db), $want{orphans},
		"$label: orphans() lists the same row");
	my ($vrc, $vout, $verr) = run_sql($node, $db, <<'SQL');
SELECT polyref.validate('likes', 'likeable');
\echo validate :ERROR :LAST_ERROR_SQLSTATE
BEGIN;
DELETE FROM likes WHERE id = 2;
SELECT polyref.validate('likes', 'likeable');
SELECT validated FROM polyref.associations WHERE source = 'likes'::regclass;
ROLLBACK;
SQL
	is($vout, "validate true 23503\n\nt",
		"$label: validate() refuses the orphan, passes without it");

	check_enforcement($node, $db, $label);

	if ($joins)
	{
		is( sql_ok($node, $db,
				q{SELECT id, target_kind, target FROM comments_commentable ORDER BY id}),
			$join_view_rows,
			"$label: the join view");
		is( sql_ok($node, $db,
				q{SELECT join_view, source, association FROM polyref.config_join_view ORDER BY join_view::text}),
			'comments_commentable|comments|commentable',
			"$label: the join view is still recorded");
		my (undef, $rout, $rerr) = run_sql($node, $db,
			q{SELECT polyref.resolve('comments', 'commentable', 'Video', 11)->>'title'});
		is($rout, 'Cascades, the movie', "$label: resolve()") or diag($rerr);
	}
}

# (a) plain, with psql.
$node->safe_psql('postgres', 'CREATE DATABASE r_plain TEMPLATE template0');
my ($rc, $out, $err) = run_cmd(
	'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=0',
	'-d', $node->connstr('r_plain'), '-f', "$tmp/src.sql");
check_restored('r_plain', 'plain (psql)', $rc, $err);

# (b) custom, with pg_restore.
$node->safe_psql('postgres', 'CREATE DATABASE r_custom TEMPLATE template0');
($rc, $out, $err) =
  run_cmd('pg_restore', '-d', $node->connstr('r_custom'), "$tmp/src.dump");
check_restored('r_custom', 'custom (pg_restore)', $rc, $err);

# (c) directory, with pg_restore --jobs=4.
$node->safe_psql('postgres', 'CREATE DATABASE r_dir TEMPLATE template0');
($rc, $out, $err) = run_cmd('pg_restore', '--jobs=4', '-d',
	$node->connstr('r_dir'), "$tmp/src.dir");
check_restored('r_dir', 'directory (pg_restore --jobs=4)', $rc, $err);

# A parallel restore schedules the data of the configuration tables in any
# order: twice more, so that an order dependency shows up reliably.
for my $n (2, 3)
{
	$node->safe_psql('postgres', "CREATE DATABASE r_dir$n TEMPLATE template0");
	($rc, $out, $err) = run_cmd('pg_restore', '--jobs=4', '-d',
		$node->connstr("r_dir$n"), "$tmp/src.dir");
	is($rc, 0, "directory (pg_restore --jobs=4), again ($n): restore exits 0");
	unlike($err, qr/\b(ERROR|FATAL|PANIC)\b/,
		"directory (pg_restore --jobs=4), again ($n): restore raises no error")
	  or diag($err);
	is(config_snapshot($node, "r_dir$n"), $want{config},
		"directory (pg_restore --jobs=4), again ($n): configuration rows");
}

# --- scoped associations (scope_columns) -----------------------------------------

$node->safe_psql('postgres', 'CREATE DATABASE scoped_src TEMPLATE template0');
$node->safe_psql('scoped_src', scoped_schema_sql());
my $scoped_want = scoped_snapshot($node, 'scoped_src');
like($scoped_want, qr/^comments\|commentable\|\{Post,Video\}\|\{account_id\}\|/m,
	'scoped source: comments.commentable is scoped by account_id');
($rc, $out, $err) = run_cmd('pg_dump', '-d', $node->connstr('scoped_src'), '-Fd',
	'-f', "$tmp/scoped.dir");
is($rc, 0, 'scoped: pg_dump -Fd exits 0') or diag($err);
$node->safe_psql('postgres', 'CREATE DATABASE scoped_r TEMPLATE template0');
($rc, $out, $err) = run_cmd('pg_restore', '--jobs=4', '-d', $node->connstr('scoped_r'),
	"$tmp/scoped.dir");
is($rc, 0, 'scoped (pg_restore --jobs=4): restore exits 0');
unlike($err, qr/\b(ERROR|WARNING|FATAL|PANIC)\b/, 'scoped (pg_restore --jobs=4): no error')
  or diag($err);
is(scoped_snapshot($node, 'scoped_r'), $scoped_want,
	'scoped (pg_restore --jobs=4): the same declarations, scope, kinds and orphan');
is(config_snapshot($node, 'scoped_r'), config_snapshot($node, 'scoped_src'),
	'scoped (pg_restore --jobs=4): the same configuration rows, scope_columns included');
check_scoped_enforcement($node, 'scoped_r', 'scoped (pg_restore --jobs=4)');

$node->stop;
done_testing();
