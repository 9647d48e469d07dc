/*
 * probe.hpp — the source check without SPI.
 *
 * The check of a new reference is "SELECT 1 FROM target WHERE key = $1 FOR
 * KEY SHARE", run as the target's owner, per row.  Almost all of its cost is
 * the executor being set up and torn down around one index lookup.  Where it
 * is exactly equivalent, polyref instead descends the key's unique index
 * itself and locks the row it finds FOR KEY SHARE, with the snapshot, the
 * wait, the update-chain recheck and the serialization errors that
 * ExecLockRows would give (PostgreSQL 19 does the same for native foreign
 * keys: ri_FastPathCheck).
 *
 * Exactly equivalent means: a plain heap table (not partitioned), a btree
 * key index, built-in comparison functions (no user code would have run as
 * the owner), an id that needs no conversion, and an owner who holds SELECT
 * and UPDATE on the target (what FOR KEY SHARE needs; otherwise the SPI path
 * raises the same permission error native foreign keys raise).
 */
#pragma once

#include "catalog.hpp"

namespace polyref {

/*
 * Decides target->direct_probe and fills what the probe needs (catalog build).
 */
void prepare_direct_probe(TargetRef *target, Oid id_type);

/*
 * Is there a live row with this key (and, for a scoped association, these
 * scope values, in scope_columns order; NULL when unscoped)?  Locks it FOR
 * KEY SHARE if so.
 */
bool probe_key(TargetRef *target, Datum key, const Datum *scope);

/*
 * probe_key for many keys at once (target->sorted_probe): batch keys
 * (make_batch_key) ascending by compare_batch_keys and distinct; found[i] tells
 * whether keys[i] has a live row, now locked FOR KEY SHARE.  One index scan and
 * one snapshot, taken again after a lock wait under READ COMMITTED, as the next
 * native check would; in key order, each descent finds the pages of the last
 * one in the CPU's caches.
 */
void probe_sorted_keys(TargetRef *target, const Datum *keys, int nkeys,
					   bool *found);

/*
 * The check of one key by whichever way the target allows: probe_key or the SPI
 * lookup.
 */
bool target_has_key(TargetRef *target, Datum key, const Datum *scope);

/*
 * A key as a batch holds it, copied into memory: the key itself when
 * unscoped, else an array of the scope values and then the key.  Batch keys
 * of a target are ordered as its key index orders them (the scope and key
 * columns in the index's order), which is how probe_sorted_keys wants them.
 */
Datum make_batch_key(TargetRef *target, Datum key, const Datum *scope,
					 MemoryContext memory);
int compare_batch_keys(TargetRef *target, Datum x, Datum y);
void batch_key_parts(TargetRef *target, Datum batch_key, Datum *key,
					 const Datum **scope);

} // namespace polyref
