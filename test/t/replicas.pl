# polyref on replicas.
#
# 1. Streaming hot standby.  A primary with the realistic schema of PolyrefTAP
#    (associations declared, data) is backed up and a standby streams from
#    it.  On the standby: polyref.associations and polyref.targets equal the
#    primary's; the source tables, the triggers and polyref.orphans read the
#    same; the join helpers (resolve, resolve_many, referrers, diagram) answer
#    as on the primary, when this build has them; a declaration made on the
#    primary afterwards (a new association, and a new kind of an existing
#    one) reaches the standby, also in a session that was open (and had
#    cached the old catalog) before; and every write, polyref's management
#    functions included, fails as any write on a standby does (25006).
#
# 2. Logical replication.  Publisher and subscriber both have polyref, the
#    same tables and the same declarations, each beside a native foreign key
#    twin (comments / native_comments with ON DELETE CASCADE, flags /
#    native_flags with NO ACTION).  Declared on both sides: the publisher
#    checks its own writes; the subscriber's declarations check the writes made
#    on the subscriber itself (and give it the catalog and join helpers) --
#    declarations are not replicated (they are DDL plus configuration rows,
#    which no publication carries), so each node declares its own.  The apply
#    worker runs with session_replication_role = replica: neither a native
#    foreign key's triggers nor polyref's (ordinary, ENABLE ORIGIN) triggers
#    fire for replicated rows, so a replicated DELETE leaves a subscriber-only
#    reference dangling (no cascade, no error) and a replicated INSERT is not
#    checked -- the same rows dangle under polyref as under the native keys.
#    TRUNCATE differs in kind, not in safety: polyref's polyref_truncate is
#    ENABLE ALWAYS, so it also fires in the apply worker and refuses while
#    subscriber rows reference the table (the worker errors and retries, and
#    succeeds once those rows are gone); the native check (in
#    ExecuteTruncateGuts, not a trigger) refuses whenever a foreign key from
#    a table outside the truncated set exists, whatever the rows, so deleting
#    them does not help.  A TRUNCATE that carries the referencing tables too
#    applies under both.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PolyrefTAP;

# =============================================================================
# 1. Streaming hot standby
# =============================================================================

my $primary = new_node('primary', allows_streaming => 1);
$primary->safe_psql('postgres', realistic_schema_sql());
my $joins = has_join_helpers($primary, 'postgres');
note 'this build has no join helpers: their checks are skipped' unless $joins;
if ($joins)
{
	$primary->safe_psql('postgres',
		q{SELECT polyref.create_join_view('comments', 'commentable')});
}

$primary->backup('backup');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'backup', has_streaming => 1);
$standby->append_conf('postgresql.conf', "lc_messages = 'C'\n");
$standby->start;

# Changes made after the backup reach the standby by streaming.
$primary->safe_psql('postgres', q{
INSERT INTO comments (commentable_type, commentable_id, body) VALUES ('Video', 20, 'Streamed');
INSERT INTO posts VALUES (13, 'After the backup');
});
$primary->wait_for_catchup($standby);

is(sql_ok($standby, 'postgres', 'SELECT pg_is_in_recovery()'),
	't', 'standby: in recovery');

sub compare_nodes
{
	my ($label, $sql) = @_;
	my $want = sql_ok($primary, 'postgres', $sql);
	my ($ret, $got, $err) = run_sql($standby, 'postgres', $sql);
	is($got, $want, "standby: $label as on the primary") or diag($err);
	return $want;
}

my $catalog = compare_nodes('polyref.associations and polyref.targets',
	q{SELECT 'association', * FROM polyref.associations ORDER BY source::text, association;
      SELECT 'target', * FROM polyref.targets ORDER BY source::text, association, kind;});
like($catalog, qr/^association\|comments\|commentable\|.*\|\{Post,Video\}\|full(?:\|.*)?$/m,
	'primary: the catalog is not empty');
is(catalog_snapshot($standby, 'postgres'), catalog_snapshot($primary, 'postgres'),
	'standby: catalog snapshot as on the primary');
is(trigger_snapshot($standby, 'postgres'), trigger_snapshot($primary, 'postgres'),
	'standby: the polyref triggers as on the primary');
is( data_snapshot($standby, 'postgres', @REALISTIC_TABLES),
	data_snapshot($primary, 'postgres', @REALISTIC_TABLES),
	'standby: the data as on the primary');
my $streamed = compare_nodes('a join over the source tables',
	q{SELECT c.body, coalesce(p.title, v.title)
        FROM comments c
        LEFT JOIN posts  p ON c.commentable_type = 'Post'  AND p.id = c.commentable_id
        LEFT JOIN videos v ON c.commentable_type = 'Video' AND v.id = c.commentable_id
       ORDER BY c.id});
like($streamed, qr/^Streamed\|Kinds$/m, 'standby: streamed rows are there');
compare_nodes('polyref.orphans',
	q{SELECT kind, id FROM polyref.orphans('likes', 'likeable') ORDER BY kind, id});

SKIP:
{
	skip 'this build has no join helpers', 7 unless $joins;

	my $r = compare_nodes('resolve',
		q{SELECT polyref.resolve('comments', 'commentable', 'Video', 11),
                 polyref.resolve('attachments', 'attachable', 'Document',
                                 '6b0e4f1e-6c2a-4d0b-9a53-0f6f1c1d2e01'::uuid)->>'name',
                 polyref.resolve('comments', 'commentable', 'Post', 999) IS NULL});
	is( $r,
		'{"id": 11, "title": "Cascades, the movie"}|spec.pdf|t',
		'resolve: the rows');
	compare_nodes('resolve_many',
		q{SELECT * FROM polyref.resolve_many('comments', 'commentable',
                        ARRAY['Post', 'Video', 'Post', 'Video'], ARRAY[10, 11, 999, 20])
          ORDER BY kind, id});
	compare_nodes('referrers',
		q{SELECT source, association, ref FROM polyref.referrers('posts', 10)
          ORDER BY source::text, association, ref::text});
	compare_nodes('diagram (mermaid)', q{SELECT polyref.diagram()});
	compare_nodes('diagram (aml)',     q{SELECT polyref.diagram('aml')});
	compare_nodes('the join view',
		q{SELECT id, target_kind, target FROM comments_commentable ORDER BY id});
}

# A session opened on the standby before the next declarations, which has
# used the association catalog (the join helpers and orphans() go through
# polyref's cache).
my $session = $standby->background_psql('postgres', on_error_stop => 0);
my $before = $session->query(
	$joins
	? q{SELECT polyref.resolve('comments', 'commentable', 'Post', 10)->>'title'}
	: q{SELECT count(*) FROM polyref.orphans('likes', 'likeable')});
is($before, $joins ? 'Hello polyref' : '1', 'standby session: warmed up');

# New declarations on the primary: an association on a new table, and a new
# kind of an existing association.
$primary->safe_psql('postgres', q{
CREATE TABLE photos (id bigint PRIMARY KEY, caption text NOT NULL);
INSERT INTO photos VALUES (1, 'Sunset');
SELECT polyref.add_target('comments', 'commentable', 'photos', kind => 'Photo');
INSERT INTO comments (commentable_type, commentable_id, body) VALUES ('Photo', 1, 'Pretty');
CREATE TABLE bookmarks (id bigint PRIMARY KEY, bookmarkable_type text, bookmarkable_id bigint);
INSERT INTO bookmarks VALUES (1, 'Post', 12), (2, 'Photo', 1), (3, 'Photo', 77);
SELECT polyref.declare('bookmarks', 'bookmarkable', ARRAY['posts', 'photos']::regclass[],
                       kinds => ARRAY['Post', 'Photo'], validate => false);
});
$primary->wait_for_catchup($standby);

compare_nodes('the catalog after new declarations',
	q{SELECT 'association', * FROM polyref.associations ORDER BY source::text, association;
      SELECT 'target', * FROM polyref.targets ORDER BY source::text, association, kind;});
is( sql_ok($standby, 'postgres',
		q{SELECT kinds FROM polyref.associations WHERE association IN ('bookmarkable', 'commentable')
           ORDER BY association}),
	"{Photo,Post}\n{Photo,Post,Video}",
	'standby: the new association and the new kind are there');
is(trigger_snapshot($standby, 'postgres'), trigger_snapshot($primary, 'postgres'),
	'standby: the new triggers are there');

# The session opened before sees them too (the cache was invalidated by
# replay).
my $after = $session->query(
	q{SELECT kind, id FROM polyref.orphans('bookmarks', 'bookmarkable') ORDER BY kind, id});
is($after, 'Photo|77', 'standby session: orphans() of the new association');
SKIP:
{
	skip 'this build has no join helpers', 2 unless $joins;
	is( $session->query(
			q{SELECT polyref.resolve('comments', 'commentable', 'Photo', 1)->>'caption'}),
		'Sunset',
		'standby session: resolve() knows the new kind');
	is( $session->query(
			q{SELECT polyref.resolve('bookmarks', 'bookmarkable', 'Post', 12)->>'title'}),
		'Dumps',
		'standby session: resolve() knows the new association');
}
$session->quit;

# Writes fail on the standby as on any standby: 25006, read-only transaction.
my ($ret, $out, $err) = run_sql($standby, 'postgres', q{
INSERT INTO comments (commentable_type, commentable_id, body) VALUES ('Post', 10, 'on the standby');
\echo insert :ERROR :LAST_ERROR_SQLSTATE
DELETE FROM posts WHERE id = 13;
\echo delete :ERROR :LAST_ERROR_SQLSTATE
TRUNCATE videos;
\echo truncate :ERROR :LAST_ERROR_SQLSTATE
SELECT polyref.declare('photos', 'nothing', ARRAY['posts']::regclass[]);
\echo declare :ERROR :LAST_ERROR_SQLSTATE
SELECT polyref.add_target('bookmarks', 'bookmarkable', 'videos', kind => 'Video');
\echo add_target :ERROR :LAST_ERROR_SQLSTATE
SELECT polyref.drop_target('comments', 'commentable', 'Photo');
\echo drop_target :ERROR :LAST_ERROR_SQLSTATE
SELECT polyref.validate('likes', 'likeable');
\echo validate :ERROR :LAST_ERROR_SQLSTATE
SELECT polyref.rename_kind('comments', 'commentable', 'Video', 'Clip');
\echo rename_kind :ERROR :LAST_ERROR_SQLSTATE
SELECT polyref.undeclare('bookmarks', 'bookmarkable');
\echo undeclare :ERROR :LAST_ERROR_SQLSTATE
});
is( $out,
	join("\n",
		'insert true 25006',
		'delete true 25006',
		'truncate true 25006',
		'declare true 25006',
		'add_target true 25006',
		'drop_target true 25006',
		'validate true 25006',
		'rename_kind true 25006',
		'undeclare true 25006'),
	'standby: every write is refused as read-only (25006)')
  or diag($err);
unlike($err, qr/\b(FATAL|PANIC)\b/, 'standby: no crash');
SKIP:
{
	skip 'this build has no join helpers', 1 unless $joins;
	($ret, $out, $err) = run_sql($standby, 'postgres', q{
SELECT polyref.create_join_view('bookmarks', 'bookmarkable');
\echo create_join_view :ERROR :LAST_ERROR_SQLSTATE
});
	is($out, 'create_join_view true 25006',
		'standby: create_join_view is refused as read-only')
	  or diag($err);
}
is($standby->safe_psql('postgres', 'SELECT 1'), '1', 'standby: still up');

$standby->stop;
$primary->stop;

# =============================================================================
# 2. Logical replication
# =============================================================================

my $lr_schema = <<'SQL';
CREATE EXTENSION polyref;
CREATE TABLE posts  (id bigint PRIMARY KEY, title text NOT NULL);
CREATE TABLE videos (id bigint PRIMARY KEY, title text NOT NULL);
-- comments.commentable ON DELETE CASCADE, and its native twin.
CREATE TABLE comments (id bigint PRIMARY KEY, commentable_type text, commentable_id bigint,
                       body text NOT NULL);
CREATE TABLE native_comments (id bigint PRIMARY KEY,
                              post_id bigint REFERENCES posts ON DELETE CASCADE,
                              body text NOT NULL);
-- flags.flaggable NO ACTION, and its native twin.
CREATE TABLE flags (id bigint PRIMARY KEY, flaggable_type text, flaggable_id bigint);
CREATE TABLE native_flags (id bigint PRIMARY KEY, post_id bigint REFERENCES posts);
-- For TRUNCATE: targets published, referencing tables local to each node.
CREATE TABLE tags (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE taggings (id bigint PRIMARY KEY, taggable_type text, taggable_id bigint);
CREATE TABLE native_tags (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE native_taggings (id bigint PRIMARY KEY, tag_id bigint REFERENCES native_tags);

SELECT polyref.declare('comments', 'commentable', ARRAY['posts', 'videos']::regclass[],
                       kinds => ARRAY['Post', 'Video'], on_delete => 'cascade');
SELECT polyref.declare('flags', 'flaggable', ARRAY['posts', 'videos']::regclass[],
                       kinds => ARRAY['Post', 'Video']);
SELECT polyref.declare('taggings', 'taggable', ARRAY['tags']::regclass[], kinds => ARRAY['Tag']);
SQL

my $pub = new_node('publisher', allows_streaming => 'logical');
my $sub = PostgreSQL::Test::Cluster->new('subscriber');
$sub->init;
$sub->append_conf(
	'postgresql.conf', q{
lc_messages = 'C'
wal_retrieve_retry_interval = '200ms'
max_logical_replication_workers = 10
max_worker_processes = 16
});
$sub->start;
$pub->safe_psql('postgres', $lr_schema);
$sub->safe_psql('postgres', $lr_schema);

$pub->safe_psql('postgres', q{
INSERT INTO posts VALUES (1, 'one'), (2, 'two'), (3, 'three'), (4, 'four');
INSERT INTO videos VALUES (1, 'clip');
INSERT INTO comments VALUES (1, 'Post', 1, 'c1'), (2, 'Post', 2, 'c2'), (3, 'Video', 1, 'v1');
INSERT INTO native_comments VALUES (1, 1, 'c1'), (2, 2, 'c2');
INSERT INTO flags VALUES (1, 'Post', 1);
INSERT INTO native_flags VALUES (1, 1);
INSERT INTO tags VALUES (1, 'red'), (2, 'blue');
INSERT INTO native_tags VALUES (1, 'red'), (2, 'blue');
CREATE PUBLICATION pub_main FOR TABLE posts, videos, comments, native_comments, flags, native_flags;
CREATE PUBLICATION pub_tags FOR TABLE tags;
CREATE PUBLICATION pub_native_tags FOR TABLE native_tags;
});
(my $pub_conn = $pub->connstr('postgres')) =~ s/'/''/g;
for my $name (qw(main tags native_tags))
{
	$sub->safe_psql('postgres',
		"CREATE SUBSCRIPTION sub_$name CONNECTION '$pub_conn' PUBLICATION pub_$name");
}
$sub->wait_for_subscription_sync($pub, "sub_$_") for qw(main tags native_tags);

my @lr_tables = qw(posts videos comments native_comments flags native_flags tags native_tags);
is( data_snapshot($sub, 'postgres', @lr_tables),
	data_snapshot($pub, 'postgres', @lr_tables),
	'subscriber: initial sync copied every table');
is(catalog_snapshot($sub, 'postgres'), catalog_snapshot($pub, 'postgres'),
	'subscriber: declared as on the publisher');
like(trigger_snapshot($sub, 'postgres'), qr/^posts\|polyref_actions\|O\|/m,
	'subscriber: polyref_actions fires in origin mode only (ENABLE)');
like(trigger_snapshot($sub, 'postgres'), qr/^comments\|commentable\|O\|/m,
	'subscriber: the constraint trigger fires in origin mode only (ENABLE)');
like(trigger_snapshot($sub, 'postgres'), qr/^tags\|polyref_truncate\|A\|/m,
	'subscriber: polyref_truncate fires always (ENABLE ALWAYS)');

# Writes made on the subscriber itself are checked, by both.
($ret, $out, $err) = run_sql($sub, 'postgres', q{
INSERT INTO comments VALUES (1000, 'Post', 99, 'local ghost');
\echo polyref :ERROR :LAST_ERROR_SQLSTATE
INSERT INTO native_comments VALUES (1000, 99, 'local ghost');
\echo native :ERROR :LAST_ERROR_SQLSTATE
DELETE FROM posts WHERE id = 1;
\echo delete :ERROR :LAST_ERROR_SQLSTATE
});
is($out, "polyref true 23503\nnative true 23503\ndelete true 23503",
	'subscriber: local writes are checked by polyref and by the native key');

# Subscriber-only rows referencing post 3, which the publisher will delete.
$sub->safe_psql('postgres', q{
INSERT INTO comments VALUES (1001, 'Post', 3, 'subscriber only');
INSERT INTO native_comments VALUES (1001, 3, 'subscriber only');
INSERT INTO flags VALUES (1001, 'Post', 3);
INSERT INTO native_flags VALUES (1001, 3);
});

# Replicated DELETEs: post 3 (referenced on the subscriber only) and post 2
# (whose comments the publisher cascades itself).
$pub->safe_psql('postgres', 'DELETE FROM posts WHERE id IN (2, 3)');
$pub->wait_for_catchup('sub_main');

# The rows that dangle on the subscriber: polyref's orphans() and the same
# anti-join for the native keys.
my $dangling_sql = q{
SELECT 'comments', string_agg(o.id, ',' ORDER BY o.id)
  FROM (SELECT c.id::text AS id FROM polyref.orphans('comments', 'commentable') o
          JOIN comments c ON c.ctid = o.ctid) o;
SELECT 'native_comments', string_agg(n.id::text, ',' ORDER BY n.id)
  FROM native_comments n WHERE NOT EXISTS (SELECT FROM posts p WHERE p.id = n.post_id);
SELECT 'flags', string_agg(o.id, ',' ORDER BY o.id)
  FROM (SELECT f.id::text AS id FROM polyref.orphans('flags', 'flaggable') o
          JOIN flags f ON f.ctid = o.ctid) o;
SELECT 'native_flags', string_agg(n.id::text, ',' ORDER BY n.id)
  FROM native_flags n WHERE NOT EXISTS (SELECT FROM posts p WHERE p.id = n.post_id);
};
is( sql_ok($sub, 'postgres', $dangling_sql),
	"comments|1001\nnative_comments|1001\nflags|1001\nnative_flags|1001",
	'subscriber: a replicated DELETE leaves the same rows dangling under polyref and native keys (no cascade, no check)'
);
is( sql_ok($sub, 'postgres',
		q{SELECT (SELECT string_agg(id::text, ',' ORDER BY id) FROM comments),
                 (SELECT string_agg(id::text, ',' ORDER BY id) FROM native_comments)}),
	'1,3,1001|1,1001',
	'subscriber: the publisher\'s own cascades arrive as replicated row deletes');
is( sql_ok($sub, 'postgres',
		q{SELECT association, validated FROM polyref.associations ORDER BY 1}),
	"commentable|t\nflaggable|t\ntaggable|t",
	'subscriber: the associations stay validated, as the native constraints do');

# Replicated INSERTs are not checked either: post 4 is gone on the subscriber
# only (deleted there, unreferenced), the publisher now references it.
$sub->safe_psql('postgres', 'DELETE FROM posts WHERE id = 4');
$pub->safe_psql('postgres', q{
INSERT INTO comments VALUES (10, 'Post', 4, 'replicated');
INSERT INTO native_comments VALUES (10, 4, 'replicated');
INSERT INTO flags VALUES (10, 'Post', 4);
INSERT INTO native_flags VALUES (10, 4);
});
$pub->wait_for_catchup('sub_main');
is( sql_ok($sub, 'postgres', $dangling_sql),
	"comments|10,1001\nnative_comments|10,1001\nflags|10,1001\nnative_flags|10,1001",
	'subscriber: replicated INSERTs are not checked, by polyref as by native keys');
is(sql_ok($sub, 'postgres', q{SELECT count(*) FROM pg_stat_subscription WHERE subname = 'sub_main' AND pid IS NOT NULL}),
	'1', 'subscriber: the apply worker kept running');

# A local change on the subscriber is checked as usual, by both: a non-key
# update of a dangling row passes (the key did not change), a key update to
# another missing post is refused.
($ret, $out, $err) = run_sql($sub, 'postgres', q{
UPDATE comments SET body = body || '!' WHERE id = 10;
\echo polyref_nonkey :ERROR
UPDATE native_comments SET body = body || '!' WHERE id = 10;
\echo native_nonkey :ERROR
UPDATE comments SET commentable_id = 3 WHERE id = 10;
\echo polyref_key :ERROR :LAST_ERROR_SQLSTATE
UPDATE native_comments SET post_id = 3 WHERE id = 10;
\echo native_key :ERROR :LAST_ERROR_SQLSTATE
});
is( $out,
	"polyref_nonkey false\nnative_nonkey false\npolyref_key true 23503\nnative_key true 23503",
	'subscriber: local updates of a dangling row are checked alike');

# --- TRUNCATE ---------------------------------------------------------------

# Subscriber-only rows referencing tag 1 and native tag 1.
$sub->safe_psql('postgres', q{
INSERT INTO taggings VALUES (1, 'Tag', 1);
INSERT INTO native_taggings VALUES (1, 1);
});

# On the publisher, nothing references the tags: polyref lets TRUNCATE tags
# through; the native check refuses TRUNCATE native_tags alone, whatever the
# rows, so the publisher truncates native_taggings with it (only native_tags
# is published).
($ret, $out, $err) = run_sql($pub, 'postgres', q{
TRUNCATE tags;
\echo polyref :ERROR
TRUNCATE native_tags;
\echo native_alone :ERROR :LAST_ERROR_SQLSTATE
TRUNCATE native_tags, native_taggings;
\echo native_both :ERROR
});
is($out, "polyref false\nnative_alone true 0A000\nnative_both false",
	'publisher: TRUNCATE of the unreferenced targets');

# On the subscriber, the apply workers fail: polyref_truncate fires (ENABLE
# ALWAYS) because taggings references tag 1 there; the native check fires
# because native_taggings has a foreign key to native_tags.
my $log_offset = 0;
$log_offset = $sub->wait_for_log(
	qr/ERROR:  cannot truncate a table referenced in a foreign key constraint\n.*DETAIL:  Table "taggings" references "tags" through association "taggable"\./,
	$log_offset);
ok(1, 'subscriber: the replicated TRUNCATE of tags is refused by polyref_truncate');
$sub->wait_for_log(
	qr/ERROR:  cannot truncate a table referenced in a foreign key constraint\n.*DETAIL:  Table "native_taggings" references "native_tags"\./,
	0);
ok(1, 'subscriber: the replicated TRUNCATE of native_tags is refused by the native check');
is( sql_ok($sub, 'postgres',
		q{SELECT (SELECT count(*) FROM tags), (SELECT count(*) FROM native_tags)}),
	'2|2', 'subscriber: neither target was truncated');
unlike(slurp_file($sub->logfile), qr/\b(PANIC|server process .* was terminated)\b/,
	'subscriber: no crash in the apply worker');

# Once the subscriber's referencing rows are gone, polyref's refusal lifts and
# the retried TRUNCATE applies; the native refusal does not depend on rows, so
# it stays.
$sub->safe_psql('postgres', 'DELETE FROM taggings; DELETE FROM native_taggings;');
$log_offset = -s $sub->logfile;
$sub->poll_query_until('postgres', 'SELECT count(*) = 0 FROM tags')
  or die 'timed out waiting for the TRUNCATE of tags to apply';
ok(1, 'subscriber: with no referencing rows left, the replicated TRUNCATE of tags applies');
$sub->wait_for_log(qr/DETAIL:  Table "native_taggings" references "native_tags"\./,
	$log_offset);
is(sql_ok($sub, 'postgres', 'SELECT count(*) FROM native_tags'),
	'2', 'subscriber: native_tags is still refused with no referencing rows');
$sub->safe_psql('postgres', 'ALTER SUBSCRIPTION sub_native_tags DISABLE');

# A TRUNCATE that carries the referencing tables applies under both (the
# subscriber-only rows referencing post 3 and 4 go with it).
$pub->safe_psql('postgres',
	'TRUNCATE posts, videos, comments, native_comments, flags, native_flags');
$pub->wait_for_catchup('sub_main');
is( sql_ok($sub, 'postgres',
		q{SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM videos),
                 (SELECT count(*) FROM comments), (SELECT count(*) FROM native_comments),
                 (SELECT count(*) FROM flags), (SELECT count(*) FROM native_flags)}),
	'0|0|0|0|0|0',
	'subscriber: a TRUNCATE of targets and sources together applies');

# Replication goes on afterwards.
$pub->safe_psql('postgres', q{
INSERT INTO posts VALUES (5, 'five');
INSERT INTO comments VALUES (20, 'Post', 5, 'after');
});
$pub->wait_for_catchup('sub_main');
is(sql_ok($sub, 'postgres', q{SELECT body FROM comments}),
	'after', 'subscriber: replication continues');

$sub->stop;
$pub->stop;
done_testing();
