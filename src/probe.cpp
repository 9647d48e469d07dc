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

/*
 * What a scan key on one column of the key's index needs, for values of
 * param_type compared by lookup_operator: false unless they go into the
 * scan key as they are (same type, cross-type member, or binary coercible)
 * and both the comparison and the column's ordering are built in.  With
 * sort, also an ordering among the values, to sort a batch by.
 */
static bool
prepare_column_probe(Relation index, int column, Oid lookup_operator,
					 Oid param_type, RegProcedure *function, Oid *subtype,
					 Oid *collation, FmgrInfo *equal, SortSupport sort,
					 bool *sortable)
{
	Oid family = index->rd_opfamily[column];
	Oid input_type = index->rd_opcintype[column];
	*collation = index->rd_indcollation[column];
	Oid left, right;
	op_input_types(lookup_operator, &left, &right);
	if (right != param_type && !IsBinaryCoercible(param_type, right))
		return false;
	RegProcedure eq = get_opcode(lookup_operator);
	RegProcedure order =
		get_opfamily_proc(family, input_type, right, BTORDER_PROC);
	if (!built_in(eq) || !built_in(order))
		return false;
	*function = eq;
	*subtype = right == input_type ? InvalidOid : right;
	fmgr_info_cxt(eq, equal, CurrentMemoryContext);

	Oid less = get_opfamily_member(family, right, right, BTLessStrategyNumber);
	*sortable = OidIsValid(less) && built_in(get_opcode(less));
	if (*sortable)
	{
		memset(sort, 0, sizeof(*sort));
		sort->ssup_cxt = CurrentMemoryContext;
		sort->ssup_collation = *collation;
		PrepareSortSupportFromOrderingOp(less, sort);
	}
	return true;
}

void
prepare_direct_probe(TargetRef *target, Oid id_type)
{
	target->direct_probe = false;
	target->sorted_probe = false;
	target->leaf_walk = false;
	if (target->partitioned || !is_plain_heap(target->relid))
		return;
	/*
	 * FOR KEY SHARE needs SELECT and UPDATE; without them, SPI raises native's
	 * error.
	 */
	if (pg_class_aclcheck(target->relid, target->owner,
						  ACL_SELECT | ACL_UPDATE) != ACLCHECK_OK)
		return;

	Relation index = index_open(target->key_index, AccessShareLock);
	bool usable = index->rd_rel->relam == BTREE_AM_OID;
	bool sortable = usable;
	/* The id goes into the scan key as it is, as does each scope value. */
	Oid param_type = target->id_match == IdMatch::CanonicalText
						 ? target->key_type
						 : getBaseType(id_type);
	bool column_sortable = false;
	usable =
		usable && prepare_column_probe(
					  index, target->key_index_column, target->lookup_operator,
					  param_type, &target->probe_function,
					  &target->probe_subtype, &target->probe_collation,
					  &target->probe_equal, &target->id_sort, &column_sortable);
	sortable = sortable && column_sortable;
	for (int i = 0; usable && i < target->nscope; i++)
	{
		ScopePart *part = &target->scope[i];
		usable = prepare_column_probe(
			index, part->index_column, part->lookup_operator,
			part->lookup_param_type, &part->probe_function,
			&part->probe_subtype, &part->probe_collation, &part->probe_equal,
			&part->sort, &column_sortable);
		sortable = sortable && column_sortable;
		get_typlenbyval(part->lookup_param_type, &part->typlen,
						&part->by_value);
	}
	/*
	 * An unscoped batch walks the key index's leaf level (leaf_walk.hpp),
	 * comparing index keys with ids by the column's ORDER_PROC.
	 */
	target->leaf_walk = usable && sortable && target->nscope == 0 &&
						target->key_index_column == 0 &&
						leaf_walk_usable(index);
	if (target->leaf_walk)
	{
		Oid input_type = index->rd_opcintype[0];
		Oid right = OidIsValid(target->probe_subtype) ? target->probe_subtype
													  : input_type;
		fmgr_info_cxt(get_opfamily_proc(index->rd_opfamily[0], input_type,
										right, BTORDER_PROC),
					  &target->probe_order, CurrentMemoryContext);
	}
	index_close(index, AccessShareLock);
	if (!usable)
		return;
	get_typlenbyval(param_type, &target->key_typlen, &target->key_by_value);
	target->direct_probe = true;
	/* A batch of probes also needs an order among keys, to sort it by. */
	target->sorted_probe = sortable;
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

/* Does the row version in slot hold the key (and the scope values)? */
static bool
row_has_key(TargetRef *target, TupleTableSlot *slot, Datum key,
			const Datum *scope)
{
	bool isnull;
	Datum held = slot_getattr(slot, target->key_attnum, &isnull);
	if (isnull ||
		!DatumGetBool(FunctionCall2Coll(&target->probe_equal,
										target->probe_collation, held, key)))
		return false;
	for (int i = 0; i < target->nscope; i++)
	{
		ScopePart *part = &target->scope[i];
		held = slot_getattr(slot, part->attnum, &isnull);
		if (isnull ||
			!DatumGetBool(FunctionCall2Coll(
				&part->probe_equal, part->probe_collation, held, scope[i])))
			return false;
	}
	return true;
}

/*
 * The scan keys for (scope, key), one per column of the key's index, in its
 * column order (as btree wants them).
 */
static void
fill_scan_keys(TargetRef *target, Datum key, const Datum *scope,
			   ScanKeyData *keys)
{
	ScanKeyEntryInitialize(&keys[target->key_index_column], 0,
						   target->key_index_column + 1, BTEqualStrategyNumber,
						   target->probe_subtype, target->probe_collation,
						   target->probe_function, key);
	for (int i = 0; i < target->nscope; i++)
	{
		ScopePart *part = &target->scope[i];
		ScanKeyEntryInitialize(&keys[part->index_column], 0,
							   part->index_column + 1, BTEqualStrategyNumber,
							   part->probe_subtype, part->probe_collation,
							   part->probe_function, scope[i]);
	}
}

/*
 * Locks the row the index entry led to, as ExecLockRows does for a FOR KEY
 * SHARE scan; true when the locked version still has the key.  With waited,
 * tells whether it had to wait for another transaction.
 */
static bool
lock_found_row(TargetRef *target, Relation rel, TupleTableSlot *slot,
			   Snapshot snapshot, Datum key, const Datum *scope,
			   bool *waited = nullptr, LeafWalk *walk = nullptr)
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
			/*
			 * A newer version was locked: it must still hold the key
			 * (EvalPlanQual's recheck).
			 */
			return !failure.traversed || row_has_key(target, slot, key, scope);
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
	return row_has_key(target, slot, key, nullptr);
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
probe_key(TargetRef *target, Datum key, const Datum *scope)
{
	bool pushed;
	Snapshot snapshot = begin_probe(&pushed);

	/*
	 * The executor's locks for a FOR KEY SHARE scan, held to the end of the
	 * transaction.
	 */
	Relation rel = table_open(target->relid, RowShareLock);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	/* Only a bare key is remembered (a scoped one is probed each time). */
	bool rememberable =
		target->nscope == 0 && locked_keys_usable(target->key_by_value);
	if (rememberable && still_locked(target, rel, slot, snapshot, key))
	{
		ExecDropSingleTupleTableSlot(slot);
		table_close(rel, NoLock);
		if (pushed)
			PopActiveSnapshot();
		return true;
	}

	Relation index = index_open(target->key_index, AccessShareLock);
	int nkeys = target->nscope + 1;
	ScanKeyData *scan_keys = mcxt_array<ScanKeyData>(nkeys);
	fill_scan_keys(target, key, scope, scan_keys);
	IndexScanDesc scan =
		polyref_index_beginscan(rel, index, snapshot, nkeys, 0);
	index_rescan(scan, scan_keys, nkeys, NULL, 0);
	bool found = false;
	while (!found && index_getnext_slot(scan, ForwardScanDirection, slot))
		found = lock_found_row(target, rel, slot, snapshot, key, scope);
	if (found && rememberable)
		locked_keys_remember(target->relid, key, &slot->tts_tid);
	index_endscan(scan);
	pfree(scan_keys);
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
			lock_found_row(target, rel, slot, snapshot, key, nullptr, waited,
						   walk))
			return true;
	}
	return false;
}

/*
 * An unscoped batch's keys found along the index's leaf level
 * (leaf_walk.hpp), the active snapshot refreshed after a lock wait under
 * READ COMMITTED.
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

/*
 * The keys (with their scope) looked up one by one, each from the root, by
 * one index scan.
 */
static void
rescan_sorted_keys(TargetRef *target, Relation rel, Relation index,
				   const Datum *keys, int nkeys, bool *found)
{
	Snapshot snapshot = GetActiveSnapshot();
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	int ncolumns = target->nscope + 1;
	ScanKeyData *scan_keys = mcxt_array<ScanKeyData>(ncolumns);
	IndexScanDesc scan =
		polyref_index_beginscan(rel, index, snapshot, ncolumns, 0);
	for (int k = 0; k < nkeys; k++)
	{
		Datum key;
		const Datum *scope;
		batch_key_parts(target, keys[k], &key, &scope);
		fill_scan_keys(target, key, scope, scan_keys);
		index_rescan(scan, scan_keys, ncolumns, NULL, 0);
		bool waited = false;
		found[k] = false;
		while (!found[k] &&
			   index_getnext_slot(scan, ForwardScanDirection, slot))
			found[k] = lock_found_row(target, rel, slot, snapshot, key, scope,
									  &waited);
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
			scan = polyref_index_beginscan(rel, index, snapshot, ncolumns, 0);
		}
	}
	index_endscan(scan);
	pfree(scan_keys);
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
target_has_key(TargetRef *target, Datum key, const Datum *scope)
{
	if (target->direct_probe)
		return probe_key(target, key, scope);
	Datum *values = mcxt_array<Datum>(target->nscope + 1);
	values[0] = key;
	for (int i = 0; i < target->nscope; i++)
		values[i + 1] = scope[i];
	spi_open();
	/* As natively, a partitioned target is read with a fresh snapshot. */
	bool found = run_plan(lookup_key_plan(target), target->owner, values,
						  nullptr, target->partitioned, 1) > 0;
	spi_close();
	return found;
}

Datum
make_batch_key(TargetRef *target, Datum key, const Datum *scope,
			   MemoryContext memory)
{
	if (target->nscope == 0 && target->key_by_value)
		return key;
	MemoryContext caller_memory = MemoryContextSwitchTo(memory);
	if (target->nscope == 0)
	{
		Datum copy = datumCopy(key, false, target->key_typlen);
		MemoryContextSwitchTo(caller_memory);
		return copy;
	}
	Datum *parts = mcxt_array<Datum>(target->nscope + 1);
	for (int i = 0; i < target->nscope; i++)
		parts[i] = datumCopy(scope[i], target->scope[i].by_value,
							 target->scope[i].typlen);
	parts[target->nscope] =
		datumCopy(key, target->key_by_value, target->key_typlen);
	MemoryContextSwitchTo(caller_memory);
	return PointerGetDatum(parts);
}

int
compare_batch_keys(TargetRef *target, Datum x, Datum y)
{
	if (target->nscope == 0)
		return ApplySortComparator(x, false, y, false, &target->id_sort);
	const Datum *px = (const Datum *) DatumGetPointer(x);
	const Datum *py = (const Datum *) DatumGetPointer(y);
	/* In the index's column order, as the scan walks it. */
	for (int column = 0; column <= target->nscope; column++)
	{
		int order;
		if (column == target->key_index_column)
			order = ApplySortComparator(px[target->nscope], false,
										py[target->nscope], false,
										&target->id_sort);
		else
		{
			int i = 0;
			while (target->scope[i].index_column != column)
				i++;
			order = ApplySortComparator(px[i], false, py[i], false,
										&target->scope[i].sort);
		}
		if (order != 0)
			return order;
	}
	return 0;
}

void
batch_key_parts(TargetRef *target, Datum batch_key, Datum *key,
				const Datum **scope)
{
	if (target->nscope == 0)
	{
		*key = batch_key;
		*scope = nullptr;
		return;
	}
	const Datum *parts = (const Datum *) DatumGetPointer(batch_key);
	*scope = parts;
	*key = parts[target->nscope];
}

} // namespace polyref
