# pg_upgrade of a database with polyref associations from an older major to
# the one under test (SPEC, "Declarations are schema": "pg_upgrade keeps
# working").  The older major comes from POLYREF_UPGRADE_FROM, the directory of
# its installation (Debian: /usr/lib/postgresql/15), with polyref built and
# installed for it; test/majors/run.sh sets that up in the chroots of 17,
# 18 and 19, which have PostgreSQL 15 from bookworm beside their own.  Elsewhere the
# test says it was skipped, and why.
#
# The old cluster gets the realistic schema of PolyrefTAP (every action, a
# NOT VALID association with a known orphan, deferral, a partitioned source,
# a text id over bigint and uuid keys), then pg_upgrade moves it to a new
# cluster of the major under test.  The new cluster must have the same
# declarations, targets, configuration rows, triggers, data, validated flags
# and orphans, enforce every association (check_enforcement: 23503 at COMMIT,
# SET CONSTRAINTS, cascades, RESTRICT as the new server reports it, TRUNCATE),
# and still after ALTER EXTENSION polyref UPDATE.
use strict;
use warnings;

use File::Spec;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PolyrefTAP;

my $from = $ENV{POLYREF_UPGRADE_FROM} // '';
if ($from eq '')
{
	plan skip_all =>
	  'POLYREF_UPGRADE_FROM names no older PostgreSQL installation (make test-majors sets it in the chroots of 17, 18 and 19)';
}
if (!-x "$from/bin/pg_ctl" || !-e "$from/lib/polyref.so")
{
	plan skip_all => "$from has no PostgreSQL server with polyref installed";
}

my $old = PostgreSQL::Test::Cluster->new('old', install_path => $from);
my $new = PostgreSQL::Test::Cluster->new('new');
ok($old->pg_version < $new->pg_version,
	'upgrading from ' . $old->pg_version . ' to ' . $new->pg_version);

# PostgreSQL 18's initdb turns data checksums on by default; the older
# cluster has none, and pg_upgrade needs both alike.
$old->init;
$old->append_conf('postgresql.conf', "lc_messages = 'C'\n");
$old->start;
$old->safe_psql('postgres', 'CREATE DATABASE app TEMPLATE template0');
# The old cluster runs polyref 1.0, as a user of release 1.0 on 15 has it.
my $schema = realistic_schema_sql();
$schema =~ s/CREATE EXTENSION polyref;/CREATE EXTENSION polyref VERSION '1.0';/
  or die 'realistic_schema_sql no longer creates the extension';
$old->safe_psql('app', $schema);
is($old->safe_psql('app', q{SELECT extversion FROM pg_extension WHERE extname = 'polyref'}),
	'1.0', 'the old cluster has polyref 1.0');

my %want = (
	catalog  => catalog_snapshot($old, 'app'),
	config   => config_snapshot($old, 'app'),
	triggers => trigger_snapshot($old, 'app'),
	data     => data_snapshot($old, 'app', @REALISTIC_TABLES),
	orphans  => orphans_snapshot($old, 'app'),);
like($want{catalog}, qr/^association\|likes\|likeable\|.*\|f\|/m,
	'the old cluster has the NOT VALID association');
check_enforcement($old, 'app', 'before pg_upgrade');
$old->stop;

$new->init($new->pg_version >= 18 ? (extra => ['--no-data-checksums']) : ());
$new->append_conf('postgresql.conf', "lc_messages = 'C'\n");

command_ok(
	[
		'pg_upgrade', '--no-sync',
		'--old-datadir' => $old->data_dir,
		'--new-datadir' => $new->data_dir,
		'--old-bindir' => $old->config_data('--bindir'),
		'--new-bindir' => $new->config_data('--bindir'),
		'--socketdir' => $new->host,
		'--old-port' => $old->port,
		'--new-port' => $new->port,
	],
	'pg_upgrade from ' . $old->pg_version . ' to ' . $new->pg_version);

$new->start;
is(catalog_snapshot($new, 'app'), $want{catalog},
	'the same declarations, kinds, actions, deferral and validated flags');
is(config_snapshot($new, 'app'),  $want{config},   'the same configuration rows');
is(trigger_snapshot($new, 'app'), $want{triggers}, 'the same triggers');
is(data_snapshot($new, 'app', @REALISTIC_TABLES), $want{data}, 'the same data');
is(orphans_snapshot($new, 'app'), $want{orphans},
	'the NOT VALID association keeps its orphan');
check_enforcement($new, 'app', 'after pg_upgrade');

# The extension's own version moves on with ALTER EXTENSION UPDATE.
$new->safe_psql('app', 'ALTER EXTENSION polyref UPDATE');
is( $new->safe_psql(
		'app', q{SELECT extversion = default_version
                   FROM pg_extension JOIN pg_available_extensions ON name = extname
                  WHERE extname = 'polyref'}),
	't',
	'ALTER EXTENSION polyref UPDATE reaches the default version');
is(catalog_snapshot($new, 'app'), $want{catalog}, 'the same declarations after the update');
check_enforcement($new, 'app', 'after ALTER EXTENSION UPDATE');

$new->stop;
done_testing();
