# polyref on Citus (SPEC, "Distributed tables"; issue 15).
#
# A coordinator and two workers on loopback, with citus in
# shared_preload_libraries and citus.enable_unsafe_triggers on (Citus copies
# polyref's triggers onto the shards only then).  posts and videos are
# reference tables, comments is distributed: declared before it is
# distributed (and the targets made reference tables in the same
# transaction), notes is distributed first and declared afterwards.  On every
# shard the single-node semantics hold: a dangling reference is refused at
# COMMIT (23503), deferral lets the target row come later in the transaction,
# SET CONSTRAINTS ... IMMEDIATE checks at once, deleting a post cascades to
# the comments on every worker (comments) or is refused while notes reference
# it (NO ACTION), and TRUNCATE of a referenced target is refused (0A000).
# Shapes Citus cannot enforce are refused with 0A000: a distributed target
# when declaring, and distributing a declared table so that a target is not
# a reference table.  Then a shard of comments moves to the other worker, and
# a third worker joins and takes shards: enforcement follows.
#
# Citus is not part of PostgreSQL: without citus.so in the server's library
# directory the test says it was skipped.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PolyrefTAP;

my $pg_config = $ENV{PG_CONFIG} // 'pg_config';
my $libdir = `$pg_config --pkglibdir`;
chomp $libdir;
if (!-e "$libdir/citus.so")
{
	plan skip_all =>
	  "Citus is not installed ($libdir/citus.so is missing): the Citus tests need it";
}

# A node that Citus can reach on 127.0.0.1 (Citus's own connections, also to
# itself, go through TCP).
sub citus_node
{
	my ($name) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', <<'CONF');
lc_messages = 'C'
shared_preload_libraries = 'citus,polyref'
listen_addresses = '127.0.0.1'
max_prepared_transactions = 50
max_worker_processes = 20
wal_level = logical
citus.local_hostname = '127.0.0.1'
citus.enable_unsafe_triggers = on
citus.shard_count = 4
citus.shard_replication_factor = 1
citus.log_remote_commands = off
CONF
	$node->append_conf('pg_hba.conf', "host all all 127.0.0.1/32 trust\n");
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION citus');
	return $node;
}

# The SQLSTATE of running SQL on node (00000 when it succeeds), and stderr.
sub sqlstate
{
	my ($node, $sql) = @_;
	my ($ret, $out, $err) = run_sql($node, 'postgres',
		"\\set VERBOSITY verbose\n$sql;\n\\echo state :LAST_ERROR_SQLSTATE\n");
	my ($state) = $out =~ /state (\S+)/;
	return ($state // 'none', $err);
}

# How many shards of table a node holds (citus_shards: workers hide them).
my $coordinator;
sub shards_on
{
	my ($node, $table) = @_;
	return sql_ok($coordinator, 'postgres',
		"SELECT count(*) FROM citus_shards WHERE table_name = '$table'::regclass AND nodeport = "
		  . $node->port);
}

$coordinator = citus_node('coordinator');
my @workers = (citus_node('worker1'), citus_node('worker2'));
$coordinator->safe_psql('postgres',
	"SELECT citus_set_coordinator_host('127.0.0.1', " . $coordinator->port . ')');
$coordinator->safe_psql('postgres',
	"SELECT citus_add_node('127.0.0.1', " . $_->port . ')')
  for @workers;
$coordinator->safe_psql('postgres', 'CREATE EXTENSION polyref');
for my $w (@workers)
{
	is(sql_ok($w, 'postgres', q{SELECT count(*) FROM pg_extension WHERE extname = 'polyref'}),
		'1', $w->name . ' has polyref: Citus propagated CREATE EXTENSION');
}

# =============================================================================
# Declared before distributing: comments -> posts, videos (cascade)
# =============================================================================

$coordinator->safe_psql('postgres', <<'SQL');
CREATE TABLE posts  (id bigint PRIMARY KEY, title text NOT NULL);
CREATE TABLE videos (id bigint PRIMARY KEY, title text NOT NULL);
CREATE TABLE comments (id bigint PRIMARY KEY, commentable_type text,
                       commentable_id bigint, body text NOT NULL);
INSERT INTO posts  SELECT g, 'post ' || g FROM generate_series(1, 20) g;
INSERT INTO videos SELECT g, 'video ' || g FROM generate_series(1, 20) g;
INSERT INTO comments SELECT g, CASE WHEN g % 2 = 0 THEN 'Post' ELSE 'Video' END,
                            g % 20 + 1, 'comment ' || g FROM generate_series(1, 40) g;
SELECT polyref.declare('comments', 'commentable', ARRAY['posts', 'videos']::regclass[],
                       ARRAY['Post', 'Video'], on_delete => 'cascade');
SQL

# Distributing the source alone leaves it referencing local tables.
my ($state, $err) = sqlstate($coordinator,
	q{SELECT create_distributed_table('comments', 'id')});
is($state, '0A000', 'distributing a source whose targets are local tables is refused');
like($err, qr/association "commentable" from table "comments" to table "posts" cannot be enforced on Citus/,
	'... saying which association');
like($err, qr/create_reference_table/, '... and what Citus needs');
is(sql_ok($coordinator, 'postgres',
		q{SELECT count(*) FROM pg_dist_partition WHERE logicalrelid = 'comments'::regclass}),
	'0', '... and comments stays a local table');

# The targets become reference tables (the source is not enforced against
# them meanwhile: a warning says so), then the source is distributed.
($state, $err) = sqlstate($coordinator, q{SELECT create_reference_table('posts')});
is($state, '00000', 'posts becomes a reference table') or diag $err;
like($err, qr/WARNING: .*association "commentable" from local table "comments" to reference table "posts" is not enforced/,
	'... with a warning while comments is local');
$coordinator->safe_psql('postgres', q{SELECT create_reference_table('videos')});
($state, $err) = sqlstate($coordinator, q{SELECT create_distributed_table('comments', 'id')});
is($state, '00000', 'comments is distributed, its rows checked on the workers') or diag $err;

# Each worker holds shards of comments.
for my $w (@workers)
{
	cmp_ok(shards_on($w, 'comments'), '>', 0, $w->name . ' holds shards of comments');
}

# The issue: every INSERT failed with "trigger commentable_NNN ... enforces no
# declared association".
($state, $err) = sqlstate($coordinator,
	q{INSERT INTO comments SELECT g, 'Post', g % 20 + 1, 'new' FROM generate_series(101, 140) g});
is($state, '00000', 'inserting valid comments into every shard works') or diag $err;
is(sql_ok($coordinator, 'postgres', 'SELECT count(*) FROM comments'), '80', '... all of them');

for my $id (101 .. 108)
{
	($state, $err) = sqlstate($coordinator,
		"INSERT INTO comments VALUES ($id + 1000, 'Post', 999, 'dangling')");
	is($state, '23503', "a dangling reference (comment $id + 1000) is refused at commit");
}
like($err, qr/violates foreign key constraint "commentable"/, '... as a foreign key violation');

($state, $err) = sqlstate($coordinator, <<'SQL');
BEGIN;
INSERT INTO comments VALUES (2001, 'Video', 500, 'before its video');
INSERT INTO videos VALUES (500, 'late');
COMMIT;
SQL
is($state, '00000', 'deferral: the video may come later in the transaction') or diag $err;

# Citus does not pass SET CONSTRAINTS on to the workers: the shards' checks
# stay deferred to COMMIT, where they still refuse (README, "Citus").
($state, $err) = sqlstate($coordinator, <<'SQL');
BEGIN;
SET CONSTRAINTS ALL IMMEDIATE;
INSERT INTO comments VALUES (2002, 'Video', 501, 'checked at commit');
\echo after insert :LAST_ERROR_SQLSTATE
COMMIT
SQL
# (One shard in the transaction: Citus commits it in one phase and reports
# the worker's 23503 as a WARNING under its own XX000.)
like($state, qr/^(23503|XX000)$/,
	'under SET CONSTRAINTS ALL IMMEDIATE, a dangling row is refused at commit');
like($err, qr/23503: insert or update on table "comments_[0-9]+" violates foreign key constraint "commentable"/,
	'... as a foreign key violation on its shard');
is(sql_ok($coordinator, 'postgres', 'SELECT count(*) FROM comments WHERE id = 2002'), '0',
	'... and the row is not there');

($state, $err) = sqlstate($coordinator,
	q{INSERT INTO comments VALUES (2003, 'Podcast', 1, 'undeclared kind')});
is($state, '23503', 'an undeclared kind is refused');

# Cascade: post 2 is referenced from comments on several shards.
$coordinator->safe_psql('postgres',
	q{INSERT INTO comments SELECT g, 'Post', 2, 'on post 2' FROM generate_series(3001, 3020) g});
my $before = sql_ok($coordinator, 'postgres',
	q{SELECT count(*) FROM comments WHERE commentable_type = 'Post' AND commentable_id = 2});
cmp_ok($before, '>', 1, 'post 2 has comments');
my $videos_before = sql_ok($coordinator, 'postgres',
	q{SELECT count(*) FROM comments WHERE commentable_type = 'Video' AND commentable_id = 2});
my $shards_before = sql_ok($coordinator, 'postgres', <<'SQL');
SELECT count(DISTINCT get_shard_id_for_distribution_column('comments', id))
  FROM comments WHERE commentable_type = 'Post' AND commentable_id = 2
SQL
cmp_ok($shards_before, '>', 1, '... on several shards');
($state, $err) = sqlstate($coordinator, 'DELETE FROM posts WHERE id = 2');
is($state, '00000', 'deleting post 2 works') or diag $err;
is(sql_ok($coordinator, 'postgres',
		q{SELECT count(*) FROM comments WHERE commentable_type = 'Post' AND commentable_id = 2}),
	'0', '... and cascades to its comments on every shard');
is(sql_ok($coordinator, 'postgres',
		q{SELECT count(*) FROM comments WHERE commentable_type = 'Video' AND commentable_id = 2}),
	$videos_before, '... leaving video 2\'s');

($state, $err) = sqlstate($coordinator, 'TRUNCATE posts');
is($state, '0A000', 'TRUNCATE of a referenced reference table is refused');
like($err, qr/cannot truncate a table referenced in a foreign key constraint/, '... as natively');
($state, $err) = sqlstate($coordinator, 'TRUNCATE comments');
is($state, '00000', 'TRUNCATE of the source works') or diag $err;
($state, $err) = sqlstate($coordinator, 'TRUNCATE posts');
is($state, '00000', '... and then of the target') or diag $err;
$coordinator->safe_psql('postgres', <<'SQL');
INSERT INTO posts SELECT g, 'post ' || g FROM generate_series(1, 20) g;
INSERT INTO comments SELECT g, 'Post', g % 20 + 1, 'again' FROM generate_series(1, 40) g;
SQL

# =============================================================================
# Declared after distributing: notes -> posts, videos (no action)
# =============================================================================

$coordinator->safe_psql('postgres', <<'SQL');
CREATE TABLE notes (id bigint PRIMARY KEY, notable_type text, notable_id bigint);
SELECT create_distributed_table('notes', 'id');
INSERT INTO notes SELECT g, 'Video', g % 20 + 1 FROM generate_series(1, 40) g;
SELECT polyref.declare('notes', 'notable', ARRAY['posts', 'videos']::regclass[],
                       ARRAY['Post', 'Video']);
SQL
($state, $err) = sqlstate($coordinator,
	q{INSERT INTO notes SELECT g, 'Post', g % 20 + 1 FROM generate_series(101, 120) g});
is($state, '00000', 'declared after distributing: valid notes insert') or diag $err;
($state, $err) = sqlstate($coordinator, q{INSERT INTO notes VALUES (999, 'Post', 777)});
is($state, '23503', '... a dangling note is refused');
($state, $err) = sqlstate($coordinator, 'DELETE FROM videos WHERE id = 3');
is($state, '23503', '... deleting a video notes reference is refused (NO ACTION)');
($state, $err) = sqlstate($coordinator, <<'SQL');
BEGIN;
DELETE FROM videos WHERE id = 3;
INSERT INTO videos VALUES (3, 'back');
COMMIT;
SQL
is($state, '00000', '... unless it is back by commit') or diag $err;

# =============================================================================
# Shapes Citus cannot enforce
# =============================================================================

$coordinator->safe_psql('postgres', <<'SQL');
CREATE TABLE albums (id bigint PRIMARY KEY);
SELECT create_distributed_table('albums', 'id');
CREATE TABLE local_posts (id bigint PRIMARY KEY);
CREATE TABLE tags (id bigint PRIMARY KEY, taggable_type text, taggable_id bigint);
SQL
($state, $err) = sqlstate($coordinator,
	q{SELECT polyref.declare('notes', 'album', ARRAY['albums']::regclass[],
	                        type_column => 'notable_type', id_column => 'notable_id')});
is($state, '0A000', 'declaring a distributed target is refused');
like($err, qr/co-located/, '... saying what Citus needs');
($state, $err) = sqlstate($coordinator,
	q{SELECT polyref.declare('tags', 'taggable', ARRAY['posts']::regclass[])});
is($state, '0A000', 'declaring a local source with a reference target is refused');
($state, $err) = sqlstate($coordinator,
	q{SELECT polyref.declare('notes', 'local', ARRAY['local_posts']::regclass[],
	                        type_column => 'notable_type', id_column => 'notable_id')});
is($state, '0A000', 'declaring a distributed source with a local target is refused');
($state, $err) = sqlstate($coordinator,
	q{SELECT polyref.declare('tags', 'taggable', ARRAY['local_posts']::regclass[])});
is($state, '00000', 'a local source with a local target is declared as on one node') or diag $err;
($state, $err) = sqlstate($coordinator, q{SELECT create_distributed_table('local_posts', 'id')});
is($state, '0A000', 'distributing the target of a local source is refused');
($state, $err) = sqlstate($coordinator, q{SELECT create_distributed_table('tags', 'id')});
is($state, '0A000', '... and so is distributing the source while its target is local');
like($err, qr/Make table "local_posts" a reference table/, '... saying what Citus needs');
($state, $err) = sqlstate($coordinator, q{SELECT create_reference_table('local_posts')});
is($state, '00000', 'making the target a reference table works') or diag $err;
($state, $err) = sqlstate($coordinator, q{SELECT create_distributed_table('tags', 'id')});
is($state, '00000', '... and then distributing the source') or diag $err;
$coordinator->safe_psql('postgres', q{INSERT INTO local_posts VALUES (1)});
($state, $err) = sqlstate($coordinator, q{INSERT INTO tags VALUES (1, 'local_posts', 1)});
is($state, '00000', '... whose rows are checked: a valid tag') or diag $err;
($state, $err) = sqlstate($coordinator, q{INSERT INTO tags VALUES (2, 'local_posts', 2)});
is($state, '23503', '... and a dangling one');

# =============================================================================
# A shard moves; a node joins
# =============================================================================

# Every check runs on each shard of comments, wherever it is now.
sub check_every_shard
{
	my ($label) = @_;
	my $shards = sql_ok($coordinator, 'postgres', <<'SQL');
SELECT string_agg(s.shardid || ':' || n.nodeport, ' ' ORDER BY s.shardid)
  FROM pg_dist_shard s JOIN pg_dist_placement p USING (shardid)
  JOIN pg_dist_node n USING (groupid)
 WHERE s.logicalrelid = 'comments'::regclass
SQL
	note "$label: shards of comments at $shards";
	# One id in each shard: the first id of 1..400 that hashes there.
	my @ids = split /\n/, sql_ok($coordinator, 'postgres', <<'SQL');
SELECT min(g) FROM generate_series(5001, 5400) g
 GROUP BY get_shard_id_for_distribution_column('comments', g) ORDER BY 1
SQL
	is(scalar @ids, 4, "$label: an id for each of the 4 shards");
	for my $id (@ids)
	{
		my ($s, $e) = sqlstate($coordinator,
			"INSERT INTO comments VALUES ($id, 'Post', 30, 'valid')");
		is($s, '00000', "$label: a valid comment $id is accepted") or diag $e;
	}
	my $dangling = 0;
	for my $id (@ids)
	{
		my ($s) = sqlstate($coordinator,
			"INSERT INTO comments VALUES ($id + 20000, 'Post', 4242, 'dangling')");
		$dangling++ if $s eq '23503';
	}
	is($dangling, 4, "$label: a dangling comment is refused in every shard");
	my ($s, $e) = sqlstate($coordinator, 'DELETE FROM posts WHERE id = 30');
	is($s, '00000', "$label: deleting post 30 works") or diag $e;
	is(sql_ok($coordinator, 'postgres',
			q{SELECT count(*) FROM comments WHERE commentable_type = 'Post' AND commentable_id = 30}),
		'0', "$label: ... and cascades on every shard");
	$coordinator->safe_psql('postgres', q{INSERT INTO posts VALUES (30, 'post 30')});
	$coordinator->safe_psql('postgres', 'DELETE FROM comments WHERE id > 5000');
}

$coordinator->safe_psql('postgres', q{INSERT INTO posts VALUES (30, 'post 30')});
check_every_shard('before moving');

my ($shard, $from_port) = split /\|/, sql_ok($coordinator, 'postgres', <<'SQL');
SELECT s.shardid, n.nodeport
  FROM pg_dist_shard s JOIN pg_dist_placement p USING (shardid)
  JOIN pg_dist_node n USING (groupid)
 WHERE s.logicalrelid = 'comments'::regclass AND n.groupid <> 0
 ORDER BY s.shardid LIMIT 1
SQL
my ($to) = grep { $_->port != $from_port } @workers;
$coordinator->safe_psql('postgres', <<"SQL");
SELECT citus_move_shard_placement($shard, '127.0.0.1', $from_port, '127.0.0.1', @{[ $to->port ]},
                                  shard_transfer_mode => 'block_writes');
CALL citus_cleanup_orphaned_resources();
SQL
is(sql_ok($coordinator, 'postgres', <<"SQL"), $to->port, "shard $shard moved");
SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid)
 WHERE p.shardid = $shard
SQL
check_every_shard('after citus_move_shard_placement');

my $worker3 = citus_node('worker3');
$coordinator->safe_psql('postgres',
	"SELECT citus_add_node('127.0.0.1', " . $worker3->port . ')');
is(sql_ok($worker3, 'postgres', q{SELECT count(*) FROM pg_extension WHERE extname = 'polyref'}),
	'1', 'the new node got polyref');
$coordinator->safe_psql('postgres', <<'SQL');
SELECT rebalance_table_shards(shard_transfer_mode => 'block_writes');
CALL citus_cleanup_orphaned_resources();
SQL
cmp_ok(shards_on($worker3, 'comments'), '>', 0,
	'the new node holds shards of comments after a rebalance');
check_every_shard('after adding a node and rebalancing');

$_->stop for ($worker3, @workers, $coordinator);
done_testing();
