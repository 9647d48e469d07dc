#!/usr/bin/env perl
#
# validation_memory: validate() and orphans() where the source's owner may
# not read the target, so that each key is looked up as the target's owner
# (the queries' path of src/validation.cpp, not the one pass), run in memory
# that does not grow with the table.
#
# A million source rows (POLYREF_MEMORY_ROWS changes the number) are
# validated, then listed by orphans() (three of them dangle), in one backend
# while this test samples the backend's private memory every 10 ms: RssAnon
# in /proc/<pid>/status, which leaves out the shared buffers the scans touch.
# The peak may stay at most 10 MB above what the same backend held after the
# same calls on a thousand-row table.  (Read in one result, with a result
# kept per lookup, the rows cost some 8 kB each: 8 GB for a million.)
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use Time::HiRes qw(usleep);
use PolyrefTAP;

my $rows = $ENV{POLYREF_MEMORY_ROWS} || 1_000_000;
my $allowed_kb = 10 * 1024;

plan skip_all => 'needs /proc/<pid>/status' unless -r "/proc/$$/status";

my $node = new_node('validation_memory');

sql_ok($node, 'postgres', qq{
CREATE EXTENSION polyref;
CREATE ROLE source_owner;
CREATE ROLE target_owner;
CREATE TABLE items (id int PRIMARY KEY);
INSERT INTO items SELECT generate_series(1, $rows);
ALTER TABLE items OWNER TO target_owner;
CREATE TABLE refs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                   ref_type text, ref_id int);
CREATE TABLE small_refs (LIKE refs INCLUDING ALL);
ALTER TABLE refs OWNER TO source_owner;
ALTER TABLE small_refs OWNER TO source_owner;
SELECT polyref.declare(source, 'ref', targets => ARRAY['items']::regclass[],
                       kinds => ARRAY['Item'],
                       type_column => 'ref_type', id_column => 'ref_id')
  FROM unnest(ARRAY['refs', 'small_refs']::regclass[]) AS source;
-- loaded without the row checks: validate() is what checks them here
SET session_replication_role = replica;
INSERT INTO refs (ref_type, ref_id) SELECT 'Item', g FROM generate_series(1, $rows) g;
INSERT INTO small_refs (ref_type, ref_id) SELECT 'Item', g FROM generate_series(1, 1000) g;
RESET session_replication_role;
VACUUM ANALYZE items, refs, small_refs;
});
is( sql_ok($node, 'postgres',
		q{SELECT has_table_privilege('source_owner', 'items', 'SELECT')}),
	'f',
	'the source owner may not read the target: keys are looked up one by one');

# RssAnon of a process, in kB.
sub rss_anon_kb
{
	my $pid = shift;
	open(my $fh, '<', "/proc/$pid/status") or return 0;
	while (<$fh>)
	{
		return $1 if /^RssAnon:\s+(\d+)\s+kB/;
	}
	return 0;
}

my ($in, $out, $err) = ('', '', '');
my $timer = IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default * 5);
my $psql = IPC::Run::start(
	[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres') ],
	'<', \$in, '>', \$out, '2>', \$err, $timer);
sub wait_for
{
	my $pattern = shift;
	$psql->pump until $out =~ $pattern || $timer->is_expired;
	die "psql: timed out waiting for $pattern; stderr: $err"
	  unless $out =~ $pattern;
}

$in .= "SELECT 'pid=' || pg_backend_pid();\n";
wait_for(qr/^pid=(\d+)$/m);
my ($pid) = $out =~ /^pid=(\d+)$/m;

# The same calls on a thousand rows first: what a backend keeps once, the
# catalog image, caches and plans, is in the baseline.
$in .= q{
SELECT polyref.validate('small_refs', 'ref');
SELECT 'small orphans=' || count(*) FROM polyref.orphans('small_refs', 'ref');
\echo warmed
};
wait_for(qr/^warmed$/m);
my $baseline = rss_anon_kb($pid);

my $started = time;
$in .= qq{
SELECT polyref.validate('refs', 'ref');
\\echo validated
SET session_replication_role = replica;
INSERT INTO refs (ref_type, ref_id) VALUES ('Item', 0), ('Item', -1), ('Item', $rows + 1);
RESET session_replication_role;
SELECT 'orphans=' || count(*) FROM polyref.orphans('refs', 'ref');
\\echo done
};
my $peak = $baseline;
while ($out !~ /^done$/m)
{
	die "psql: timed out; stderr: $err" if $timer->is_expired;
	$psql->pump_nb;
	my $now = rss_anon_kb($pid);
	$peak = $now if $now > $peak;
	usleep(10_000);
}
my $seconds = time - $started;
$in .= "\\q\n";
$psql->finish;

like($out, qr/^validated$/m, "validate() of $rows rows passed");
like($out, qr/^orphans=3$/m, 'orphans() found the three dangling rows');
my $growth = $peak - $baseline;
note("baseline RssAnon $baseline kB, peak $peak kB, growth $growth kB"
	  . " over $rows rows, about $seconds s");
cmp_ok($growth, '<=', $allowed_kb,
	"peak private memory of the backend stays within 10 MB of its baseline ($growth kB over $rows rows)");

$node->stop;
done_testing();
