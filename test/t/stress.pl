#!/usr/bin/env perl
#
# stress: a bounded concurrent load on polyref associations, one per action
# (no action, restrict, cascade, set null, set default), each beside a
# native foreign key twin, then proof that no committed row dangles.
#
#   1. READ COMMITTED: pgbench, 4 clients, inserting references to random
#      targets (checked at once, or at COMMIT for targets that are never
#      deleted), deleting random targets, re-keying targets (id + 100000 and
#      back in one transaction) and reviving deleted ones.
#   2. The same under default_transaction_isolation = 'repeatable read'
#      (serialization failures are retried by pgbench --max-tries).
#   3. A crash: the load runs in the background, the server is stopped with
#      'immediate' in the middle of it, and restarted.
#
# After each phase: an anti-join per association (and per native twin)
# counts the dangling rows, which must be 0; polyref.validate() must pass on
# every association; after the crash a new dangling insert is still refused.
# The whole file runs in well under two minutes.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use Time::HiRes qw(usleep);

my $duration = 15;    # seconds of load per pgbench phase

my $node = PostgreSQL::Test::Cluster->new('stress');
$node->init;
$node->append_conf(
	'postgresql.conf', qq{
max_connections = 40
deadlock_timeout = 100ms
log_statement = none
log_min_messages = warning
log_min_error_statement = panic
});
$node->start;

my @actions = ('no action', 'restrict', 'cascade', 'set null', 'set default');
sub suffix { my $action = shift; $action =~ s/ //g; return $action; }
my @sources = map { 'c_' . suffix($_) } @actions;    # polyref sources
my @natives = map { 'n_' . suffix($_) } @actions;    # native twins

# --------------------------------------------------------------------------
# Schema.  posts and videos (ids 0..1000 and 1..1000; post 0 is permanent:
# the set default target) and n_posts, the native twins' target.  Each
# source has the association "ref" with one action on delete and update;
# the column defaults ('Post', 0) satisfy it.  Every native twin is
# DEFERRABLE INITIALLY DEFERRED, as the associations are by default.
my $setup = q{
CREATE EXTENSION polyref;
CREATE TABLE posts (id bigint PRIMARY KEY, title text);
CREATE TABLE videos (id bigint PRIMARY KEY, title text);
CREATE TABLE n_posts (id bigint PRIMARY KEY, title text);
INSERT INTO posts SELECT g, 'post ' || g FROM generate_series(0, 1000) g;
INSERT INTO videos SELECT g, 'video ' || g FROM generate_series(1, 1000) g;
INSERT INTO n_posts SELECT g, 'post ' || g FROM generate_series(0, 1000) g;
};
for my $i (0 .. $#actions)
{
	my ($action, $c, $n) = ($actions[$i], $sources[$i], $natives[$i]);
	my $native_action = uc $action;
	$setup .= qq{
CREATE TABLE $c (id bigserial PRIMARY KEY, ref_type text DEFAULT 'Post', ref_id bigint DEFAULT 0);
SELECT polyref.declare('$c', 'ref', ARRAY['posts', 'videos']::regclass[], ARRAY['Post', 'Video'],
                       on_delete => '$action', on_update => '$action');
CREATE TABLE $n (id bigserial PRIMARY KEY,
                 ref_id bigint DEFAULT 0 REFERENCES n_posts
                        ON DELETE $native_action ON UPDATE $native_action
                        DEFERRABLE INITIALLY DEFERRED);
CREATE INDEX ON $n (ref_id);
};
}

my $sources_array = 'ARRAY[' . join(', ', map { "'$_'" } @sources) . ']';
my $natives_array = 'ARRAY[' . join(', ', map { "'$_'" } @natives) . ']';

# The workload's functions.  Each catches foreign_key_violation (23503) and
# restrict_violation (23001, RESTRICT on PostgreSQL 18 and later) in
# a subtransaction, having made the checks immediate, so that a refused
# reference or delete (the expected outcome of many races) does not abort
# the pgbench client; serialization failures and deadlocks propagate, and
# pgbench retries them.
$setup .= qq{
-- Insert a reference to (kind k, id i) into every source, each in its own
-- subtransaction, checked at once; the native twins too for posts.
CREATE FUNCTION insert_random(k int, i bigint) RETURNS int LANGUAGE plpgsql AS \$\$
DECLARE
    kind text := CASE k WHEN 1 THEN 'Post' ELSE 'Video' END;
    t text;
    done int := 0;
BEGIN
    SET CONSTRAINTS ALL IMMEDIATE;
    FOREACH t IN ARRAY $sources_array LOOP
        BEGIN
            EXECUTE format('INSERT INTO %I (ref_type, ref_id) VALUES (\$1, \$2)', t) USING kind, i;
            done := done + 1;
        EXCEPTION WHEN foreign_key_violation OR restrict_violation THEN NULL;
        END;
    END LOOP;
    IF k = 1 THEN
        FOREACH t IN ARRAY $natives_array LOOP
            BEGIN
                EXECUTE format('INSERT INTO %I (ref_id) VALUES (\$1)', t) USING i;
            EXCEPTION WHEN foreign_key_violation OR restrict_violation THEN NULL;
            END;
        END LOOP;
    END IF;
    RETURN done;
END \$\$;

-- Delete target (k, i); with clear, first the rows of the restrict and no
-- action sources that would forbid it (as an application would).
CREATE FUNCTION delete_target(k int, i bigint, clear boolean) RETURNS int LANGUAGE plpgsql AS \$\$
DECLARE
    kind text := CASE k WHEN 1 THEN 'Post' ELSE 'Video' END;
    n int := -1;
BEGIN
    SET CONSTRAINTS ALL IMMEDIATE;
    BEGIN
        IF clear THEN
            DELETE FROM c_restrict WHERE ref_type = kind AND ref_id = i;
            DELETE FROM c_noaction WHERE ref_type = kind AND ref_id = i;
        END IF;
        IF k = 1 THEN
            DELETE FROM posts WHERE id = i;
        ELSE
            DELETE FROM videos WHERE id = i;
        END IF;
        GET DIAGNOSTICS n = ROW_COUNT;
    EXCEPTION WHEN foreign_key_violation OR restrict_violation THEN NULL;
    END;
    IF k = 1 THEN
        BEGIN
            IF clear THEN
                DELETE FROM n_restrict WHERE ref_id = i;
                DELETE FROM n_noaction WHERE ref_id = i;
            END IF;
            DELETE FROM n_posts WHERE id = i;
        EXCEPTION WHEN foreign_key_violation OR restrict_violation THEN NULL;
        END;
    END IF;
    RETURN n;
END \$\$;

-- Re-key target (k, i) to i + 100000 and back in one transaction: the
-- deferred no action checks, run after both updates, must pass; restrict
-- refuses at once when referenced; cascade follows both ways; set null and
-- set default act on the first update.
CREATE FUNCTION rekey_target(k int, i bigint) RETURNS int LANGUAGE plpgsql AS \$\$
DECLARE
    n int := -1;
BEGIN
    BEGIN
        SET CONSTRAINTS ALL DEFERRED;
        IF k = 1 THEN
            UPDATE posts SET id = id + 100000 WHERE id = i;
            UPDATE posts SET id = id - 100000 WHERE id = i + 100000;
        ELSE
            UPDATE videos SET id = id + 100000 WHERE id = i;
            UPDATE videos SET id = id - 100000 WHERE id = i + 100000;
        END IF;
        GET DIAGNOSTICS n = ROW_COUNT;
        SET CONSTRAINTS ALL IMMEDIATE;
    EXCEPTION WHEN foreign_key_violation OR restrict_violation THEN n := -1;
    END;
    IF k = 1 THEN
        BEGIN
            SET CONSTRAINTS ALL DEFERRED;
            UPDATE n_posts SET id = id + 100000 WHERE id = i;
            UPDATE n_posts SET id = id - 100000 WHERE id = i + 100000;
            SET CONSTRAINTS ALL IMMEDIATE;
        EXCEPTION WHEN foreign_key_violation OR restrict_violation THEN NULL;
        END;
    END IF;
    RETURN n;
END \$\$;

-- Dangling rows of one polyref source (anti-join, MATCH FULL) or native twin.
CREATE FUNCTION dangling(source regclass) RETURNS bigint LANGUAGE plpgsql AS \$\$
DECLARE
    n bigint;
BEGIN
    IF source::text LIKE 'c\\_%' THEN
        EXECUTE format(\$q\$
            SELECT count(*) FROM %s c
             WHERE CASE WHEN c.ref_type IS NULL AND c.ref_id IS NULL THEN false
                        WHEN c.ref_type IS NULL OR c.ref_id IS NULL THEN true
                        WHEN c.ref_type = 'Post'
                             THEN NOT EXISTS (SELECT 1 FROM posts p WHERE p.id = c.ref_id)
                        WHEN c.ref_type = 'Video'
                             THEN NOT EXISTS (SELECT 1 FROM videos v WHERE v.id = c.ref_id)
                        ELSE true END\$q\$, source) INTO n;
    ELSE
        EXECUTE format(\$q\$
            SELECT count(*) FROM %s c
             WHERE c.ref_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM n_posts p WHERE p.id = c.ref_id)\$q\$, source) INTO n;
    END IF;
    RETURN n;
END \$\$;
};
$node->safe_psql('postgres', $setup);

is( $node->safe_psql(
		'postgres',
		"SELECT string_agg(source::text || ':' || on_delete || '/' || on_update, ' ' ORDER BY source::text)
		   FROM polyref.associations"),
	'c_cascade:cascade/cascade c_noaction:no action/no action c_restrict:restrict/restrict '
	  . 'c_setdefault:set default/set default c_setnull:set null/set null',
	'five associations declared, one per action');

# The anti-joins do see a dangling row (one slipped in with the checks
# bypassed, then rolled back).
is( $node->safe_psql(
		'postgres', q{
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO c_cascade (ref_type, ref_id) VALUES ('Video', 999999), (NULL, 1), ('Nothing', 1);
INSERT INTO n_cascade (ref_id) VALUES (999999);
SELECT dangling('c_cascade') || ' ' || dangling('n_cascade');
ROLLBACK;
}),
	'3 1',
	'the anti-joins count dangling rows');

# --------------------------------------------------------------------------
# The pgbench scripts, written once into the node's directory.  Ids are
# drawn from exponential distributions, so that the clients collide on a
# few hot rows (lock waits, serialization failures) rather than rarely
# meeting among a thousand.
my %scripts = (
	# References to random targets, checked at once (insert_random catches
	# the refusals).
	'insert_random' => q{
\set k random(1, 2)
\set i random_exponential(1, 1000, 8)
SELECT insert_random(:k, :i);
},
	# References to targets 1..100, which are never deleted (only re-keyed
	# and back in one transaction): checked at COMMIT, never refused.
	'insert_deferred' => q{
\set k random(1, 2)
\set i random_exponential(1, 100, 4)
BEGIN;
INSERT INTO c_noaction (ref_type, ref_id) VALUES (CASE :k WHEN 1 THEN 'Post' ELSE 'Video' END, :i);
INSERT INTO c_restrict (ref_type, ref_id) VALUES (CASE :k WHEN 1 THEN 'Post' ELSE 'Video' END, :i);
INSERT INTO c_cascade (ref_type, ref_id) VALUES (CASE :k WHEN 1 THEN 'Post' ELSE 'Video' END, :i);
INSERT INTO c_setnull (ref_type, ref_id) VALUES (CASE :k WHEN 1 THEN 'Post' ELSE 'Video' END, :i);
INSERT INTO c_setdefault (ref_type, ref_id) VALUES (CASE :k WHEN 1 THEN 'Post' ELSE 'Video' END, :i);
INSERT INTO n_noaction (ref_id) VALUES (:i);
INSERT INTO n_restrict (ref_id) VALUES (:i);
INSERT INTO n_cascade (ref_id) VALUES (:i);
INSERT INTO n_setnull (ref_id) VALUES (:i);
INSERT INTO n_setdefault (ref_id) VALUES (:i);
COMMIT;
},
	# Delete a random target among 101..1000.
	'delete' => q{
\set k random(1, 2)
\set i random_exponential(101, 1000, 8)
\set clear random(0, 1)
SELECT delete_target(:k, :i, :clear = 1);
},
	# Re-key a random target.
	'rekey' => q{
\set k random(1, 2)
\set i random_exponential(1, 1000, 8)
SELECT rekey_target(:k, :i);
},
	# Bring a deleted target back.
	'revive' => q{
\set i random_exponential(101, 1000, 8)
INSERT INTO posts VALUES (:i, 'revived') ON CONFLICT DO NOTHING;
INSERT INTO videos VALUES (:i, 'revived') ON CONFLICT DO NOTHING;
INSERT INTO n_posts VALUES (:i, 'revived') ON CONFLICT DO NOTHING;
},);
my %weight = (
	insert_random => 4,
	insert_deferred => 3,
	delete => 3,
	rekey => 3,
	revive => 1);
my @script_args;
for my $name (sort keys %scripts)
{
	my $file = $node->basedir . "/$name.sql";
	append_to_file($file, $scripts{$name});
	push @script_args, '-f', "$file\@$weight{$name}";
}

sub pgbench_command
{
	my ($seconds) = @_;
	return [
		'pgbench', '-n', '-c', '4', '-j', '2', '-T', $seconds,
		'--max-tries=100', '--failures-detailed',
		'-h', $node->host, '-p', $node->port, @script_args, 'postgres'
	];
}

# Runs the load for $duration seconds; pgbench must exit 0 (no client
# aborted: every error other than a retried serialization failure or
# deadlock was caught by the workload).
sub run_load
{
	my ($label) = @_;
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run(pgbench_command($duration), '>', \$out, '2>', \$err);
	ok($ok, "$label: pgbench exits 0") or diag("stdout:\n$out\nstderr:\n$err");
	my ($processed) = $out =~ /number of transactions actually processed: (\d+)/;
	my ($failed) = $out =~ /number of failed transactions: (\d+)/;
	my ($retried) = $out =~ /number of transactions retried: (\d+)/;
	$processed //= 0;
	note("$label: $processed transactions, "
		  . ($failed // 0)
		  . " failed after retries, "
		  . ($retried // 0)
		  . " retried");
	cmp_ok($processed, '>', 100, "$label: the load ran");
	return;
}

# No committed row dangles, on either side, and validate() agrees.
sub check_consistency
{
	my ($label) = @_;
	for my $table (@sources, @natives)
	{
		is($node->safe_psql('postgres', "SELECT dangling('$table')"),
			'0', "$label: no dangling row in $table");
	}
	for my $source (@sources)
	{
		my ($rc, $out, $err) =
		  $node->psql('postgres', "SELECT polyref.validate('$source', 'ref')");
		is($rc, 0, "$label: polyref.validate('$source') succeeds")
		  or diag($err);
	}
	is( $node->safe_psql(
			'postgres',
			'SELECT count(*) FROM polyref.associations WHERE NOT validated'),
		'0',
		"$label: every association is marked validated");
	return;
}

sub stats
{
	return $node->safe_psql(
		'postgres', q{
SELECT (SELECT count(*) FROM posts) || ' posts, '
    || (SELECT count(*) FROM videos) || ' videos, '
    || (SELECT count(*) FROM c_noaction) || ' no action, '
    || (SELECT count(*) FROM c_cascade) || ' cascade, '
    || (SELECT count(*) FROM c_setnull WHERE ref_id IS NULL) || ' set to null, '
    || (SELECT count(*) FROM c_setdefault WHERE ref_id = 0) || ' set to default, '
    || (SELECT count(*) FROM n_setnull WHERE ref_id IS NULL) || ' native set to null'});
}

my $log_offset = -s $node->logfile;

# --------------------------------------------------------------------------
# 1. READ COMMITTED.
run_load('read committed');
note('read committed: ' . stats());
check_consistency('read committed');
# The actions did act under the load.
cmp_ok($node->safe_psql('postgres', 'SELECT count(*) FROM c_setnull WHERE ref_id IS NULL'),
	'>', 0, 'read committed: set null acted');
cmp_ok($node->safe_psql('postgres', 'SELECT count(*) FROM c_setdefault WHERE ref_id = 0'),
	'>', 0, 'read committed: set default acted');
cmp_ok($node->safe_psql('postgres', 'SELECT count(*) FROM posts'),
	'<', 1001, 'read committed: targets were deleted');

# --------------------------------------------------------------------------
# 2. REPEATABLE READ, for every new session.
$node->safe_psql('postgres',
	"ALTER DATABASE postgres SET default_transaction_isolation = 'repeatable read'");
is($node->safe_psql('postgres', 'SHOW default_transaction_isolation'),
	'repeatable read', 'new sessions run in repeatable read');
run_load('repeatable read');
note('repeatable read: ' . stats());
$node->safe_psql('postgres', 'ALTER DATABASE postgres RESET default_transaction_isolation');
check_consistency('repeatable read');

# No backend died under the load.
my $log = slurp_file($node->logfile, $log_offset);
unlike($log, qr/terminated by signal|was terminated by exception|PANIC/,
	'no server process crashed under the load');

# --------------------------------------------------------------------------
# 3. A crash in the middle of the load (READ COMMITTED).
my ($out, $err) = ('', '');
my $load = IPC::Run::start(pgbench_command(60), '>', \$out, '2>', \$err,
	IPC::Run::timeout(120));
# Wait until the load is well under way: rows are being committed.
my $before = $node->safe_psql('postgres', 'SELECT count(*) FROM c_cascade');
my $waited = 0;
while ($waited < 100)
{
	usleep(100_000);
	$waited++;
	last
	  if $waited >= 20
	  && $node->safe_psql('postgres', 'SELECT count(*) FROM c_cascade') > $before + 50;
}
$node->stop('immediate');
# pgbench loses its connections and gives up.
if (eval { $load->finish; 1 })
{
	note('pgbench after the crash: exit status ' . ($? >> 8));
}
else
{
	diag("pgbench did not end after the crash: $@");
	$load->kill_kill;
}
$node->start;
note('after the crash: ' . stats());
check_consistency('after the crash');

# A new dangling reference is still refused, at COMMIT and immediately.
my ($rc, $stdout, $stderr) = $node->psql('postgres',
	"INSERT INTO c_noaction (ref_type, ref_id) VALUES ('Post', 999999)");
isnt($rc, 0, 'after the crash: a dangling insert is refused');
like(
	$stderr,
	qr/violates foreign key constraint "ref"/,
	'after the crash: refused as a foreign key violation');
($rc, $stdout, $stderr) = $node->psql('postgres',
	"BEGIN; SET CONSTRAINTS ALL IMMEDIATE; INSERT INTO c_cascade (ref_type, ref_id) VALUES ('Video', 999999); COMMIT;");
like(
	$stderr,
	qr/violates foreign key constraint "ref"/,
	'after the crash: refused immediately too');
# And a target delete still acts: cascade.
$node->safe_psql('postgres', q{
INSERT INTO posts VALUES (5000, 'after the crash');
INSERT INTO c_cascade (ref_type, ref_id) VALUES ('Post', 5000);
INSERT INTO c_restrict (ref_type, ref_id) VALUES ('Post', 5000);
});
($rc, $stdout, $stderr) = $node->psql('postgres', 'DELETE FROM posts WHERE id = 5000');
# RESTRICT in the words of the server (its own from PostgreSQL 18 on).
my $restrict_words =
  $node->pg_version >= 18
  ? 'violates RESTRICT setting of foreign key constraint'
  : 'violates foreign key constraint';
like($stderr, qr/\Q$restrict_words\E "ref" on table "c_restrict"/,
	'after the crash: restrict still refuses');
$node->safe_psql('postgres', q{
DELETE FROM c_restrict WHERE ref_id = 5000;
DELETE FROM posts WHERE id = 5000;
});
is($node->safe_psql('postgres', 'SELECT count(*) FROM c_cascade WHERE ref_id = 5000'),
	'0', 'after the crash: cascade still deletes');
check_consistency('the end');

$node->stop;
done_testing();
