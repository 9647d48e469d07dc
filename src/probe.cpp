/*
 * probe.cpp — a unique-index lookup with a KEY SHARE row lock (see probe.hpp).
 */
#include "probe.hpp"

#include "leaf_walk.hpp"
#include "locked_keys.hpp"
#include "queries.hpp"
#include "spi_util.hpp"
#include "sql_names.hpp"

namespace polyref {

static bool
built_in(Oid oid)
{
	return OidIsValid(oid) && oid < FirstNormalObjectId;
}

void
prepare_direct_probe(TargetRef *target, Oid id_type)
{
	target->direct_probe = false;
	if (target->partitioned || !is_plain_heap(target->relid))
		return;

	Relation index = index_open(target->key_index, AccessShareLock);
	bool btree = index->rd_rel->relam == BTREE_AM_OID;
	Oid family = index->rd_opfamily[0];
	Oid input_type = index->rd_opcintype[0];
	Oid collation = index->rd_indcollation[0];
	bool walkable = btree && leaf_walk_usable(index);
	index_close(index, AccessShareLock);
	if (!btree)
		return;

	/*
	 * The id goes into the scan key as it is: same type, cross-type member, or
	 * binary coercible.
	 */
	Oid left, right;
	op_input_types(target->lookup_operator, &left, &right);
	Oid param_type = target->id_match == IdMatch::CanonicalText
						 ? target->key_type
						 : getBaseType(id_type);
	if (right != param_type && !IsBinaryCoercible(param_type, right))
		return;
	RegProcedure equal = get_opcode(target->lookup_operator);
	RegProcedure order =
		get_opfamily_proc(family, input_type, right, BTORDER_PROC);
	if (!built_in(equal) || !built_in(order))
		return;

	/*
	 * FOR KEY SHARE needs SELECT and UPDATE; without them, SPI raises native's
	 * error.
	 */
	if (pg_class_aclcheck(target->relid, target->owner,
						  ACL_SELECT | ACL_UPDATE) != ACLCHECK_OK)
		return;

	get_typlenbyval(param_type, &target->key_typlen, &target->key_by_value);
	target->probe_function = equal;
	target->probe_subtype = right == input_type ? InvalidOid : right;
	target->probe_collation = collation;
	fmgr_info_cxt(equal, &target->probe_equal, CurrentMemoryContext);
	target->direct_probe = true;

	/* A batch of probes also needs an order among ids, to sort the batch by. */
	target->sorted_probe = false;
	target->leaf_walk = false;
	Oid id_less =
		get_opfamily_member(family, right, right, BTLessStrategyNumber);
	if (!OidIsValid(id_less) || !built_in(get_opcode(id_less)))
		return;
	memset(&target->id_sort, 0, sizeof(target->id_sort));
	target->id_sort.ssup_cxt = CurrentMemoryContext;
	target->id_sort.ssup_collation = collation;
	PrepareSortSupportFromOrderingOp(id_less, &target->id_sort);
	target->sorted_probe = true;
	fmgr_info_cxt(order, &target->probe_order, CurrentMemoryContext);
	target->leaf_walk = walkable;
}

/* In ExecLockRows' words, which tell a delete apart from 19 on. */
[[noreturn]] static void
serialization_failure(TM_Result result)
{
	if (POLYREF_SERIALIZATION_FAILURE_NAMES_DELETE && result == TM_Deleted)
		ereport(
			ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("could not serialize access due to concurrent delete")));
	ereport(ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("could not serialize access due to concurrent update")));
}

/*
 * Locks the row the index entry led to, as ExecLockRows does for a FOR KEY
 * SHARE scan; true when the locked version still has the key.  With waited,
 * tells whether it had to wait for another transaction.
 */
static bool
lock_found_row(TargetRef *target, Relation rel, TupleTableSlot *slot,
			   Snapshot snapshot, Datum key, bool *waited = nullptr,
			   LeafWalk *walk = nullptr)
{
	TM_FailureData failure;
	/*
	 * READ COMMITTED follows the update chain to the newest version; the others
	 * must not.
	 */
	int flags =
		IsolationUsesXactSnapshot() ? 0 : TUPLE_LOCK_FLAG_FIND_LAST_VERSION;
	CommandId command = GetCurrentCommandId(false);
	TM_Result result = table_tuple_lock(
		rel, &slot->tts_tid, snapshot, slot, command, LockTupleKeyShare,
		waited != nullptr ? LockWaitSkip : LockWaitBlock, flags, &failure);
	if (result == TM_WouldBlock)
	{
		*waited = true;
		/* No index page stays pinned while we wait (VACUUM would wait too). */
		if (walk != nullptr)
			leaf_walk_release(walk);
		result =
			table_tuple_lock(rel, &slot->tts_tid, snapshot, slot, command,
							 LockTupleKeyShare, LockWaitBlock, flags, &failure);
	}
	switch (result)
	{
		case TM_Ok:
			if (failure.traversed)
			{
				/*
				 * A newer version was locked: it must still hold the key
				 * (EvalPlanQual's recheck).
				 */
				bool isnull;
				Datum locked_key =
					slot_getattr(slot, target->key_attnum, &isnull);
				return !isnull &&
					   DatumGetBool(FunctionCall2Coll(&target->probe_equal,
													  target->probe_collation,
													  locked_key, key));
			}
			return true;
		case TM_SelfModified:
			/*
			 * Updated or deleted by a later command of this transaction: gone
			 * for this scan.
			 */
			return false;
		case TM_Updated:
		case TM_Deleted:
			if (IsolationUsesXactSnapshot())
				serialization_failure(result);
			/* Deleted under READ COMMITTED: no row. */
			return false;
		case TM_Invisible:
			elog(ERROR, "polyref: attempted to lock invisible tuple");
		case TM_BeingModified:
		case TM_WouldBlock:
			break;
	}
	elog(ERROR, "polyref: unexpected table_tuple_lock status %d", (int) result);
}

/*
 * The row this transaction locked for the key earlier, if it is still there
 * (see locked_keys.hpp).
 */
static bool
still_locked(TargetRef *target, Relation rel, TupleTableSlot *slot,
			 Snapshot snapshot, Datum key)
{
	ItemPointerData tid;
	if (!locked_keys_find(target->relid, key, &tid))
		return false;
	if (!table_tuple_fetch_row_version(rel, &tid, snapshot, slot))
		return false;
	bool isnull;
	Datum held = slot_getattr(slot, target->key_attnum, &isnull);
	return !isnull &&
		   DatumGetBool(FunctionCall2Coll(&target->probe_equal,
										  target->probe_collation, held, key));
}

/*
 * What SPI does before a statement: make our own work visible, then take
 * the statement's snapshot.  Under READ COMMITTED that is a fresh one whose
 * command id is current already; the transaction snapshot of REPEATABLE
 * READ needs a copy with the current command id (popped by end_probe).
 */
static Snapshot
begin_probe(bool *pushed)
{
	CommandCounterIncrement();
	*pushed = IsolationUsesXactSnapshot();
	if (!*pushed)
		return GetTransactionSnapshot();
	PushActiveSnapshot(GetTransactionSnapshot());
	UpdateActiveSnapshotCommandId();
	return GetActiveSnapshot();
}

bool
probe_key(TargetRef *target, Datum key)
{
	bool pushed;
	Snapshot snapshot = begin_probe(&pushed);

	/*
	 * The executor's locks for a FOR KEY SHARE scan, held to the end of the
	 * transaction.
	 */
	Relation rel = table_open(target->relid, RowShareLock);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	bool rememberable = locked_keys_usable(target->key_by_value);
	if (rememberable && still_locked(target, rel, slot, snapshot, key))
	{
		ExecDropSingleTupleTableSlot(slot);
		table_close(rel, NoLock);
		if (pushed)
			PopActiveSnapshot();
		return true;
	}

	Relation index = index_open(target->key_index, AccessShareLock);
	ScanKeyData scan_key;
	ScanKeyEntryInitialize(&scan_key, 0, 1, BTEqualStrategyNumber,
						   target->probe_subtype, target->probe_collation,
						   target->probe_function, key);
	IndexScanDesc scan = polyref_index_beginscan(rel, index, snapshot, 1, 0);
	index_rescan(scan, &scan_key, 1, NULL, 0);
	bool found = false;
	while (!found && index_getnext_slot(scan, ForwardScanDirection, slot))
		found = lock_found_row(target, rel, slot, snapshot, key);
	if (found && rememberable)
		locked_keys_remember(target->relid, key, &slot->tts_tid);
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(index, NoLock);
	table_close(rel, NoLock);
	if (pushed)
		PopActiveSnapshot();
	return found;
}

/*
 * Locks the first row among tids (index entries for key) that the snapshot
 * sees, as index_getnext_slot and lock_found_row would one by one.
 */
static bool
lock_row_of_entries(TargetRef *target, Relation rel, IndexFetchTableData *fetch,
					TupleTableSlot *slot, Snapshot snapshot, Datum key,
					const ItemPointerData *tids, int ntids, bool *waited,
					LeafWalk *walk)
{
	for (int i = 0; i < ntids; i++)
	{
		ItemPointerData tid = tids[i]; /* a HOT chain moves it */
		bool call_again = false, all_dead = false;
		if (table_index_fetch_tuple(fetch, &tid, snapshot, slot, &call_again,
									&all_dead) &&
			lock_found_row(target, rel, slot, snapshot, key, waited, walk))
			return true;
	}
	return false;
}

/*
 * The keys' entries found along the index's leaf level (leaf_walk.hpp), the
 * active snapshot refreshed after a lock wait under READ COMMITTED.
 */
static void
walk_sorted_keys(TargetRef *target, Relation rel, Relation index,
				 const Datum *keys, int nkeys, bool *found)
{
	Snapshot snapshot = GetActiveSnapshot();
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	IndexFetchTableData *fetch = polyref_index_fetch_begin(rel);
	LeafWalk *walk =
		leaf_walk_begin(index, &target->probe_order, target->probe_subtype,
						target->probe_collation, snapshot);
	for (int k = 0; k < nkeys; k++)
	{
		ItemPointer tids;
		int ntids = leaf_walk_seek(walk, keys[k], &tids);
		bool waited = false;
		found[k] = lock_row_of_entries(target, rel, fetch, slot, snapshot,
									   keys[k], tids, ntids, &waited, walk);
		if (waited && !IsolationUsesXactSnapshot())
		{
			/* as in rescan_sorted_keys */
			PopActiveSnapshot();
			PushActiveSnapshot(GetTransactionSnapshot());
			snapshot = GetActiveSnapshot();
			leaf_walk_set_snapshot(walk, snapshot);
		}
	}
	leaf_walk_end(walk);
	table_index_fetch_end(fetch);
	ExecDropSingleTupleTableSlot(slot);
}

/* The keys looked up one by one, each from the root, by one index scan. */
static void
rescan_sorted_keys(TargetRef *target, Relation rel, Relation index,
				   const Datum *keys, int nkeys, bool *found)
{
	Snapshot snapshot = GetActiveSnapshot();
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	IndexScanDesc scan = polyref_index_beginscan(rel, index, snapshot, 1, 0);
	for (int k = 0; k < nkeys; k++)
	{
		ScanKeyData scan_key;
		ScanKeyEntryInitialize(&scan_key, 0, 1, BTEqualStrategyNumber,
							   target->probe_subtype, target->probe_collation,
							   target->probe_function, keys[k]);
		index_rescan(scan, &scan_key, 1, NULL, 0);
		bool waited = false;
		found[k] = false;
		while (!found[k] &&
			   index_getnext_slot(scan, ForwardScanDirection, slot))
			found[k] =
				lock_found_row(target, rel, slot, snapshot, keys[k], &waited);
		if (waited && !IsolationUsesXactSnapshot())
		{
			/*
			 * A native READ COMMITTED check takes its snapshot when it starts,
			 * so the checks after one that waited see what committed meanwhile.
			 */
			index_endscan(scan);
			PopActiveSnapshot();
			PushActiveSnapshot(GetTransactionSnapshot());
			snapshot = GetActiveSnapshot();
			scan = polyref_index_beginscan(rel, index, snapshot, 1, 0);
		}
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
}

void
probe_sorted_keys(TargetRef *target, const Datum *keys, int nkeys, bool *found)
{
	/*
	 * Unlike probe_key, always a registered copy: a lock wait may refresh it.
	 */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	UpdateActiveSnapshotCommandId();
	Relation rel = table_open(target->relid, RowShareLock);
	Relation index = index_open(target->key_index, AccessShareLock);
	if (target->leaf_walk)
		walk_sorted_keys(target, rel, index, keys, nkeys, found);
	else
		rescan_sorted_keys(target, rel, index, keys, nkeys, found);
	index_close(index, NoLock);
	table_close(rel, NoLock);
	PopActiveSnapshot();
}

bool
target_has_key(TargetRef *target, Datum key)
{
	if (target->direct_probe)
		return probe_key(target, key);
	spi_open();
	/* As natively, a partitioned target is read with a fresh snapshot. */
	bool found = run_plan(lookup_key_plan(target), target->owner, &key, " ",
						  target->partitioned, 1) > 0;
	spi_close();
	return found;
}

} // namespace polyref
