/*
 * probe.cpp — a unique-index lookup with a KEY SHARE row lock (see probe.hpp).
 */
#include "probe.hpp"

#include "locked_keys.hpp"

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
	if (target->partitioned || get_rel_relkind(target->relid) != RELKIND_RELATION)
		return;
	Relation rel = table_open(target->relid, AccessShareLock);
	bool heap = rel->rd_rel->relam == HEAP_TABLE_AM_OID;
	table_close(rel, AccessShareLock);
	if (!heap)
		return;

	Relation index = index_open(target->key_index, AccessShareLock);
	bool btree = index->rd_rel->relam == BTREE_AM_OID;
	Oid family = index->rd_opfamily[0];
	Oid input_type = index->rd_opcintype[0];
	Oid collation = index->rd_indcollation[0];
	index_close(index, AccessShareLock);
	if (!btree)
		return;

	/* The id goes into the scan key as it is: same type, cross-type member, or binary coercible. */
	Oid left, right;
	op_input_types(target->lookup_operator, &left, &right);
	Oid param_type = target->id_match == IdMatch::CanonicalText ? target->key_type : getBaseType(id_type);
	if (right != param_type && !IsBinaryCoercible(param_type, right))
		return;
	RegProcedure equal = get_opcode(target->lookup_operator);
	RegProcedure order = get_opfamily_proc(family, input_type, right, BTORDER_PROC);
	if (!built_in(equal) || !built_in(order))
		return;

	/* FOR KEY SHARE needs SELECT and UPDATE; without them, SPI raises native's error. */
	if (pg_class_aclcheck(target->relid, target->owner, ACL_SELECT | ACL_UPDATE) != ACLCHECK_OK)
		return;

	target->key_by_value = get_typbyval(param_type);
	target->probe_function = equal;
	target->probe_subtype = right == input_type ? InvalidOid : right;
	target->probe_collation = collation;
	fmgr_info_cxt(equal, &target->probe_equal, CurrentMemoryContext);
	target->direct_probe = true;
}

[[noreturn]] static void
serialization_failure()
{
	ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
	                errmsg("could not serialize access due to concurrent update")));
}

/*
 * Locks the row the index entry led to, as ExecLockRows does for a FOR KEY
 * SHARE scan; true when the locked version still has the key.
 */
static bool
lock_found_row(TargetRef *target, Relation rel, TupleTableSlot *slot, Snapshot snapshot, Datum key)
{
	TM_FailureData failure;
	/* READ COMMITTED follows the update chain to the newest version; the others must not. */
	int flags = IsolationUsesXactSnapshot() ? 0 : TUPLE_LOCK_FLAG_FIND_LAST_VERSION;
	TM_Result result = table_tuple_lock(rel, &slot->tts_tid, snapshot, slot, GetCurrentCommandId(false),
	                                    LockTupleKeyShare, LockWaitBlock, flags, &failure);
	switch (result)
	{
		case TM_Ok:
			if (failure.traversed)
			{
				/* A newer version was locked: it must still hold the key (EvalPlanQual's recheck). */
				bool isnull;
				Datum locked_key = slot_getattr(slot, target->key_attnum, &isnull);
				return !isnull && DatumGetBool(FunctionCall2Coll(&target->probe_equal, target->probe_collation,
				                                                 locked_key, key));
			}
			return true;
		case TM_SelfModified:
			/* Updated or deleted by a later command of this transaction: gone for this scan. */
			return false;
		case TM_Updated:
		case TM_Deleted:
			if (IsolationUsesXactSnapshot())
				serialization_failure();
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

/* The row this transaction locked for the key earlier, if it is still there (see locked_keys.hpp). */
static bool
still_locked(TargetRef *target, Relation rel, TupleTableSlot *slot, Snapshot snapshot, Datum key)
{
	ItemPointerData tid;
	if (!locked_keys_find(target->relid, key, &tid))
		return false;
	if (!table_tuple_fetch_row_version(rel, &tid, snapshot, slot))
		return false;
	bool isnull;
	Datum held = slot_getattr(slot, target->key_attnum, &isnull);
	return !isnull &&
	       DatumGetBool(FunctionCall2Coll(&target->probe_equal, target->probe_collation, held, key));
}

bool
probe_key(TargetRef *target, Datum key)
{
	/*
	 * What SPI does before a statement: make our own work visible, then take
	 * the statement's snapshot.  Under READ COMMITTED that is a fresh one
	 * whose command id is current already; the transaction snapshot of
	 * REPEATABLE READ needs a copy with the current command id.
	 */
	CommandCounterIncrement();
	bool pushed = IsolationUsesXactSnapshot();
	Snapshot snapshot;
	if (pushed)
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		UpdateActiveSnapshotCommandId();
		snapshot = GetActiveSnapshot();
	}
	else
		snapshot = GetTransactionSnapshot();

	/* The executor's locks for a FOR KEY SHARE scan, held to the end of the transaction. */
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
	ScanKeyEntryInitialize(&scan_key, 0, 1, BTEqualStrategyNumber, target->probe_subtype, target->probe_collation,
	                       target->probe_function, key);
	IndexScanDesc scan = index_beginscan(rel, index, snapshot, 1, 0);
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

} // namespace polyref
