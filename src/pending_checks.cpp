/*
 * pending_checks.cpp — the batch of waiting source checks (see pending_checks.hpp).
 */
#include "pending_checks.hpp"

#include "boundary.hpp"
#include "probe.hpp"
#include "report.hpp"
#include "source_check.hpp"

#include <algorithm>

namespace polyref {

namespace {

/*
 * How many checks wait at most before they run anyway.  Bigger batches
 * lie closer together in the index (fewer descents) and repeat more keys,
 * but cost 40 bytes a check; 4096 keep the batch at 160 kB.
 */
constexpr size_t batch_capacity = 4096;

struct PendingCheck
{
	Datum key;                /* what kind's target must hold (a copy in key_memory if by reference) */
	Kind *kind;               /* in catalog */
	Catalog *catalog;         /* the image kind belongs to */
	Oid source;               /* the table or partition the row is in */
	SubTransactionId subxact; /* the subtransaction that fired the check */
	ItemPointerData row;      /* the row version that needs the key */
};

/* A run sorts these, not the checks: 16 bytes instead of 40. */
struct SortItem
{
	Datum key;
	uint32 check; /* index of the check in the run: its firing order */
	uint32 target; /* index of its target among the run's */
};

struct PendingBatch
{
	MemoryContext memory;     /* child of TopTransactionContext: the batch itself */
	MemoryContext key_memory; /* copies of by-reference keys; reset whenever the batch empties */
	MemoryContext run_memory; /* a run's scratch arrays; reset by each run */
	McxtVector<PendingCheck> *checks; /* in firing order */
	bool running;             /* a run is under way: no run starts inside it */
	bool accepting;           /* checks may join (not while a run probes) */
};

/* NULL until the first check of a transaction waits; its memory goes with the transaction. */
PendingBatch *batch = nullptr;

ExecutorFinish_hook_type previous_executor_finish = nullptr;
ProcessUtility_hook_type previous_process_utility = nullptr;

/*
 * The transaction that loaded polyref (when it was loaded inside one).  A
 * library is loaded when its trigger first fires, inside a statement's
 * ExecutorFinish that began before the hooks existed: nothing would run that
 * statement's batch at its end.  So that transaction checks at once.
 */
LocalTransactionId loaded_in = InvalidLocalTransactionId;

LocalTransactionId
current_local_transaction()
{
#if PG_VERSION_NUM >= 170000
	return MyProc->vxid.lxid;
#else
	return MyProc->lxid;
#endif
}

PendingBatch *
make_batch()
{
	MemoryContext memory = AllocSetContextCreate(TopTransactionContext, "polyref pending checks", ALLOCSET_DEFAULT_SIZES);
	auto *b = static_cast<PendingBatch *>(MemoryContextAllocZero(memory, sizeof(PendingBatch)));
	b->memory = memory;
	b->key_memory = AllocSetContextCreate(memory, "polyref pending keys", ALLOCSET_DEFAULT_SIZES);
	b->run_memory = AllocSetContextCreate(memory, "polyref pending run", ALLOCSET_DEFAULT_SIZES);
	b->checks = make_in_context<McxtVector<PendingCheck>>(memory);
	b->checks->reserve(batch_capacity);
	b->accepting = true;
	return b;
}

/* Orders keys of one target, then firing order, through the target's sort support. */
int
compare_items(const void *left, const void *right, void *arg)
{
	const SortItem *a = static_cast<const SortItem *>(left);
	const SortItem *b = static_cast<const SortItem *>(right);
	int order = ApplySortComparator(a->key, false, b->key, false, static_cast<SortSupport>(arg));
	if (order != 0)
		return order;
	return a->check < b->check ? -1 : a->check > b->check ? 1 : 0;
}

/*
 * Sorts one target's items by key, then firing order.  Integer keys (the
 * usual ids) are compared inline; other types through their sort support.
 */
void
sort_items(SortItem *items, size_t n, SortSupport sort)
{
	if (sort->comparator == ssup_datum_signed_cmp)
		std::sort(items, items + n, [](const SortItem &a, const SortItem &b) {
			int64 ka = DatumGetInt64(a.key), kb = DatumGetInt64(b.key);
			return ka < kb || (ka == kb && a.check < b.check);
		});
	else if (sort->comparator == ssup_datum_int32_cmp)
		std::sort(items, items + n, [](const SortItem &a, const SortItem &b) {
			int32 ka = DatumGetInt32(a.key), kb = DatumGetInt32(b.key);
			return ka < kb || (ka == kb && a.check < b.check);
		});
	else
		qsort_arg(items, n, sizeof(SortItem), compare_items, sort);
}

/*
 * The row version a check was made for, into a new slot, if it is still the
 * live one (SnapshotSelf, as the trigger tested when it fired); NULL if it
 * was deleted or updated since (a successor carries its own check).
 */
TupleTableSlot *
live_row(Relation rel, ItemPointer tid)
{
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	if (table_tuple_fetch_row_version(rel, tid, SnapshotAny, slot) &&
	    table_tuple_satisfies_snapshot(rel, slot, SnapshotSelf))
		return slot;
	ExecDropSingleTupleTableSlot(slot);
	return nullptr;
}

/* The configuration changed since the check was made: make it again from its row, under catalog. */
void
remake_check(Catalog *catalog, const PendingCheck &check)
{
	Relation rel = table_open(check.source, AccessShareLock);
	if (TupleTableSlot *row = live_row(rel, const_cast<ItemPointer>(&check.row)))
	{
		Oid declared = catalog_declared_table(catalog, check.source);
		Association *a = OidIsValid(declared)
		                     ? catalog_find(catalog, declared, check.kind->target->association->name)
		                     : nullptr;
		/* An association undeclared since has nothing left to check. */
		if (a != nullptr)
			check_row_reference(catalog, a, rel, row, KeyCheck::RequeueAsOf, check.subxact);
		ExecDropSingleTupleTableSlot(row);
	}
	table_close(rel, AccessShareLock);
}

/* Remakes the checks from begin on that were made under another catalog image. */
void
remake_stale(size_t begin)
{
	McxtVector<PendingCheck> &checks = *batch->checks;
	Catalog *current = catalog_current();
	bool stale = false;
	for (size_t i = begin; i < checks.size() && !stale; i++)
		stale = checks[i].catalog != current;
	if (!stale)
		return;
	size_t n = checks.size() - begin;
	auto *old = static_cast<PendingCheck *>(MemoryContextAlloc(batch->run_memory, n * sizeof(PendingCheck)));
	memcpy(old, checks.data() + begin, n * sizeof(PendingCheck));
	checks.resize(begin);
	for (size_t i = 0; i < n; i++)
	{
		if (old[i].catalog == current)
			checks.push_back(old[i]);
		else
			remake_check(current, old[i]);
	}
}

/* A key the probe did not find: a violation, if the row version that needs it is still the live one. */
void
report_if_still_needed(const PendingCheck &check)
{
	TargetRef *target = check.kind->target;
	Relation rel = table_open(check.source, AccessShareLock);
	if (TupleTableSlot *row = live_row(rel, const_cast<ItemPointer>(&check.row)))
	{
		Association *a = target->association;
		report_source_violation(a, rel, row, source_columns_in(check.catalog, a, check.source), check.kind,
		                        SourceViolation::MissingKey);
	}
	table_close(rel, AccessShareLock);
}

/* Runs the checks from the first one fired in subtransaction from (or a later one) to the end. */
void
run_from(SubTransactionId from)
{
	McxtVector<PendingCheck> &checks = *batch->checks;
	/* Checks are in firing order, so the subtransaction's own are a suffix (see pending_checks.hpp). */
	size_t begin = checks.size();
	while (begin > 0 && checks[begin - 1].subxact >= from)
		begin--;
	if (begin == checks.size())
		return;

	batch->running = true;
	MemoryContextReset(batch->run_memory);
	MemoryContext caller_memory = MemoryContextSwitchTo(batch->run_memory);
	remake_stale(begin);
	batch->accepting = false;

	PendingCheck *run = checks.data() + begin;
	size_t n = checks.size() - begin;

	/* Items grouped by target (a run has few), each group sorted by key. */
	auto *targets = static_cast<TargetRef **>(palloc(n * sizeof(TargetRef *)));
	auto *group_start = static_cast<size_t *>(palloc0((n + 1) * sizeof(size_t)));
	auto *item_target = static_cast<uint32 *>(palloc(n * sizeof(uint32)));
	uint32 ntargets = 0;
	for (size_t i = 0; i < n; i++)
	{
		TargetRef *target = run[i].kind->target;
		uint32 t = 0;
		while (t < ntargets && targets[t] != target)
			t++;
		if (t == ntargets)
			targets[ntargets++] = target;
		item_target[i] = t;
		group_start[t + 1]++;
	}
	for (uint32 t = 0; t < ntargets; t++)
		group_start[t + 1] += group_start[t];
	auto *items = static_cast<SortItem *>(palloc(n * sizeof(SortItem)));
	auto *fill = static_cast<size_t *>(palloc(ntargets * sizeof(size_t)));
	memcpy(fill, group_start, ntargets * sizeof(size_t));
	for (size_t i = 0; i < n; i++)
		items[fill[item_target[i]]++] = SortItem{run[i].key, (uint32) i, item_target[i]};

	/* One probe per target over its distinct keys; the checks whose key it did not find are misses. */
	auto *keys = static_cast<Datum *>(palloc(n * sizeof(Datum)));
	auto *found = static_cast<bool *>(palloc(n * sizeof(bool)));
	auto *key_of = static_cast<int *>(palloc(n * sizeof(int)));
	auto *misses = static_cast<uint32 *>(palloc(n * sizeof(uint32)));
	size_t nmisses = 0;
	for (uint32 t = 0; t < ntargets; t++)
	{
		TargetRef *target = targets[t];
		SortItem *group = items + group_start[t];
		size_t size = group_start[t + 1] - group_start[t];
		sort_items(group, size, &target->id_sort);
		int nkeys = 0;
		for (size_t i = 0; i < size; i++)
		{
			if (nkeys == 0 || ApplySortComparator(keys[nkeys - 1], false, group[i].key, false, &target->id_sort) != 0)
				keys[nkeys++] = group[i].key;
			key_of[i] = nkeys - 1;
		}
		probe_sorted_keys(target, keys, nkeys, found);
		for (size_t i = 0; i < size; i++)
			if (!found[key_of[i]])
				misses[nmisses++] = group[i].check;
	}
	if (nmisses > 0)
	{
		/* Reported in firing order: the first bad row is the one a native check would name. */
		std::sort(misses, misses + nmisses);
		for (size_t m = 0; m < nmisses; m++)
			report_if_still_needed(run[misses[m]]);
	}

	checks.resize(begin);
	if (checks.empty())
		MemoryContextReset(batch->key_memory);
	MemoryContextSwitchTo(caller_memory);
	MemoryContextReset(batch->run_memory);
	batch->accepting = true;
	batch->running = false;
}

bool
anything_to_run()
{
	return batch != nullptr && !batch->running && !batch->checks->empty() && IsTransactionState();
}

void
run_current()
{
	if (anything_to_run())
		run_from(GetCurrentSubTransactionId());
}

/*
 * The statement's AFTER triggers have fired: run what they queued.  Only a
 * statement that writes fires triggers of its own; a SELECT finishing
 * inside a trigger (an SPI lookup, polyref's or a native foreign key's)
 * leaves the batch to the statement that fired that trigger.
 */
void
executor_finish(QueryDesc *query)
{
	if (previous_executor_finish != nullptr)
		previous_executor_finish(query);
	else
		standard_ExecutorFinish(query);
	if ((query->operation != CMD_SELECT || query->plannedstmt->hasModifyingCTE) && anything_to_run())
		enter_cpp(run_current);
}

/* COPY fires its AFTER triggers itself; SET CONSTRAINTS ... IMMEDIATE fires deferred ones. */
void
process_utility(PlannedStmt *statement, const char *query_string, bool read_only_tree, ProcessUtilityContext context,
                ParamListInfo params, QueryEnvironment *query_env, DestReceiver *dest, QueryCompletion *completion)
{
	if (previous_process_utility != nullptr)
		previous_process_utility(statement, query_string, read_only_tree, context, params, query_env, dest,
		                         completion);
	else
		standard_ProcessUtility(statement, query_string, read_only_tree, context, params, query_env, dest,
		                        completion);
	/* COMMIT and ROLLBACK only mark the block; PRE_COMMIT (or the abort) comes later. */
	if (!IsA(statement->utilityStmt, TransactionStmt) && anything_to_run())
		enter_cpp(run_current);
}

void
on_transaction_event(XactEvent event, void *)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			/* The deferred triggers have just fired; nothing may be left unchecked. */
			if (anything_to_run())
				enter_cpp(run_current);
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			batch = nullptr; /* its memory goes with TopTransactionContext */
			break;
		default:
			break;
	}
}

void
on_subtransaction_event(SubXactEvent event, SubTransactionId subxact, SubTransactionId, void *) noexcept
{
	if (event != SUBXACT_EVENT_ABORT_SUB || batch == nullptr)
		return;
	/* The aborted subtransaction's checks, and its children's, are the suffix tagged subxact or later. */
	McxtVector<PendingCheck> &checks = *batch->checks;
	size_t keep = checks.size();
	while (keep > 0 && checks[keep - 1].subxact >= subxact)
		keep--;
	checks.resize(keep); /* shrinking never allocates */
	batch->running = false;
	batch->accepting = true;
}

} // namespace

bool
pending_checks_add(Catalog *catalog, Kind *kind, Datum key, Relation source, ItemPointer tid, SubTransactionId subxact)
{
	TargetRef *target = kind->target;
	if (!target->sorted_probe || (batch != nullptr && !batch->accepting) || current_local_transaction() == loaded_in)
		return false;
	if (batch == nullptr)
		batch = make_batch();
	else if (!batch->running && batch->checks->size() >= batch_capacity)
		run_from(GetCurrentSubTransactionId());

	PendingCheck check;
	check.key = key;
	if (!target->key_by_value)
	{
		MemoryContext caller_memory = MemoryContextSwitchTo(batch->key_memory);
		check.key = datumCopy(key, false, target->key_typlen);
		MemoryContextSwitchTo(caller_memory);
	}
	check.kind = kind;
	check.catalog = catalog;
	check.source = RelationGetRelid(source);
	check.subxact = subxact;
	check.row = *tid;
	batch->checks->push_back(check);
	return true;
}

void
pending_checks_run()
{
	run_current();
}

void
pending_checks_init()
{
	if (MyProc != nullptr && IsTransactionState())
		loaded_in = current_local_transaction();
	previous_executor_finish = ExecutorFinish_hook;
	ExecutorFinish_hook = executor_finish;
	previous_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = process_utility;
	RegisterXactCallback(on_transaction_event, nullptr);
	RegisterSubXactCallback(on_subtransaction_event, nullptr);
}

} // namespace polyref
