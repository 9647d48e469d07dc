/*
 * citus.hpp — polyref on Citus (SPEC, "Distributed tables").
 *
 * On Citus the rows live in shards (comments_102011 on a worker), and the
 * triggers that fire are the shards' copies of polyref's triggers, which
 * Citus makes with citus.enable_unsafe_triggers: the same definition, the
 * trigger renamed with the shard id ("commentable_102011"), its arguments
 * untouched.  Those arguments carry the association's declaration
 * (schema_carrier.hpp), naming the logical tables ("target=public.posts").
 *
 * So no node needs the coordinator's configuration: each node's catalog image
 * adds, for every shard placed on it whose constraint trigger carries a
 * declaration, that declaration with the shard as source and, as each
 * target, the node's own placement of the target: a reference table's one
 * shard, present on every node that holds shards.  The image is then used
 * as on one node: checks, actions (a DELETE of a reference table runs on
 * every placement, so each node acts on its own shards of the source),
 * TRUNCATE, deferral.
 *
 * Nothing here runs unless Citus's metadata tables exist in the database;
 * polyref is not linked with Citus and reads its catalogs by name, with SQL.
 */
#pragma once

#include "catalog.hpp"

namespace polyref {

/* Whether this database has Citus's metadata (the citus extension). */
bool citus_installed();

/*
 * Whether relid is a Citus table whose rows live in shards: its own triggers
 * on the coordinator leave the checks to those of its shards.
 */
bool citus_has_shards(Oid relid);

/*
 * The associations carried by the triggers of the shards placed on this
 * node, as configuration rows (one per kind, grouped as read_config's):
 * source and targets are local shards, the association its name on the
 * logical table.  *suffixes gets, for each shard involved, the length of
 * the "_<shard id>" Citus appends to its triggers' names.
 */
struct ShardSuffix
{
	Oid relid;
	int length;
};
ConfigRow *citus_shard_rows(int *nrows, ShardSuffix **suffixes, int *nsuffixes);

/*
 * Whether trigger_name on rel is one Citus copied onto a shard: Citus is
 * installed, and both names end with the same "_<shard id>".
 */
bool citus_copied_trigger(Relation rel, const char *trigger_name);

/*
 * Whether a CREATE TRIGGER on relid is Citus copying a trigger (onto a
 * shard, or onto a worker's shell table): its declaration is the
 * coordinator's, not one to record here.
 */
bool citus_copies_trigger(Oid relid);

/*
 * 0A000 unless Citus can enforce a reference from source to target
 * (association name): both local tables, a reference table to a reference
 * table, or a distributed table to a reference table.  distributing: a
 * Citus function has just distributed tables, and a local source may still
 * be on its way there once its targets are reference tables (a WARNING).
 */
void citus_check_shape(Oid source, Oid target, const char *name,
					   bool distributing);

/*
 * Registers the hooks that check every declaration when a transaction that
 * distributed tables commits (from _PG_init; polyref must then be in
 * shared_preload_libraries for every session to have them).
 */
void citus_init();

} // namespace polyref
