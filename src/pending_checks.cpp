/*
 * pending_checks.cpp — the batch of waiting source checks (see
 * pending_checks.hpp).
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
 * How many checks wait at most before they run anyway.  Each costs 24 bytes
 * waiting and 25 more while its batch runs, beside the 12 bytes a row
 * PostgreSQL's trigger queue holds.  Measured on 1M rows over 300k keys,
 * 1024 and 4096 ran at the same speed (the setup a run saves is paid once
 * per batch either way; repeated keys usually come close together), so the
 * smaller, 50 kB in all.
 */
constexpr size_t batch_capacity = 1024;

/*
 * What checks share: the kind (and so the target and association), the
 * catalog image they were made under, and the relation their rows are in.
 * A batch has a few; checks name theirs by number.
 */
struct Lane
{
	Kind *kind;
	Catalog *catalog;
	Oid source; /* the table or partition the rows are in */
};

struct PendingCheck
{
	/*
	 * what the lane's target must hold (a copy in key_memory if by reference)
	 */
	Datum key;
	ItemPointerData row; /* the row version that needs the key */
	uint16 lane;
	SubTransactionId subxact; /* the subtransaction that fired the check */
};
static_assert(sizeof(PendingCheck) == 24,
			  "a waiting check is meant to take 24 bytes");

/* A run sorts these: key, firing order, and which of the run's targets. */
struct SortItem
{
	Datum key;
	uint32 check;  /* index of the check in the run: its firing order */
	uint32 target; /* index into the run's targets */
};

struct PendingBatch
{
	/* child of TopTransactionContext: the batch itself */
	MemoryContext memory;
	/* copies of by-reference keys; reset whenever the batch empties */
	MemoryContext key_memory;
	MemoryContext run_memory; /* a run's scratch arrays; reset by each run */
	McxtVector<PendingCheck> *checks; /* in firing order */
	McxtVector<Lane> *lanes;          /* cleared whenever the batch empties */
	/* the lane the last check joined (rows come in runs) */
	uint16 last_lane;
	bool running;   /* a run is under way: no run starts inside it */
	bool accepting; /* checks may join (not while a run probes) */
};

/*
 * NULL until the first check of a transaction waits; its memory goes with the
 * transaction.
 */
PendingBatch *batch = nullptr;

ExecutorFinish_hook_type previous_executor_finish = nullptr;
ProcessUtility_hook_type previous_process_utility = nullptr;

/*
 * The transaction that loaded polyref, when it was loaded inside one, and the
 * portal running then.  A library is loaded when its trigger first fires,
 * inside a statement that began before the hooks existed, so nothing above
 * would run that statement's batch at its end:
 *  - a query's ExecutorEnd still comes after it (its hook is looked up then),
 *    so in that transaction every ExecutorEnd runs what is waiting;
 *  - a utility statement (COPY, SET CONSTRAINTS) has no such end, so while
 *    the portal that loaded polyref runs one, its checks run at once.
 * Checks that fire at commit are run by PRE_COMMIT as always.
 */
LocalTransactionId loaded_in = InvalidLocalTransactionId;
Portal loaded_in_utility = nullptr;

ExecutorEnd_hook_type previous_executor_end = nullptr;

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
	MemoryContext memory =
		AllocSetContextCreate(TopTransactionContext, "polyref pending checks",
							  ALLOCSET_DEFAULT_SIZES);
	auto *b = mcxt_object0<PendingBatch>(memory);
	b->memory = memory;
	b->key_memory = AllocSetContextCreate(memory, "polyref pending keys",
										  ALLOCSET_DEFAULT_SIZES);
	b->run_memory = AllocSetContextCreate(memory, "polyref pending run",
										  ALLOCSET_DEFAULT_SIZES);
	b->checks = make_in_context<McxtVector<PendingCheck>>(memory);
	b->checks->reserve(batch_capacity);
	b->lanes = make_in_context<McxtVector<Lane>>(memory);
	b->accepting = true;
	return b;
}

/*
 * Orders by target, then key (through the target's sort support), then firing
 * order.
 */
int
compare_items(const void *left, const void *right, void *arg)
{
	const SortItem *a = static_cast<const SortItem *>(left);
	const SortItem *b = static_cast<const SortItem *>(right);
	if (a->target != b->target)
		return a->target < b->target ? -1 : 1;
	TargetRef *const *targets = static_cast<TargetRef *const *>(arg);
	int order = compare_batch_keys(targets[a->target], a->key, b->key);
	if (order != 0)
		return order;
	return a->check < b->check ? -1 : a->check > b->check ? 1 : 0;
}

/*
 * Sorts a run's items by target, key and firing order.  When every target's
 * keys are integers of one width (the usual ids), they are compared inline;
 * otherwise through each target's sort support.
 */
void
sort_items(SortItem *items, size_t n, TargetRef *const *targets,
		   uint32 ntargets)
{
	bool all_int64 = true, all_int32 = true;
	for (uint32 t = 0; t < ntargets; t++)
	{
		/* A scoped target's keys are arrays (make_batch_key). */
		all_int64 = all_int64 && targets[t]->nscope == 0;
		all_int32 = all_int32 && targets[t]->nscope == 0;
		all_int64 = all_int64 &&
					targets[t]->id_sort.comparator == ssup_datum_signed_cmp;
		all_int32 =
			all_int32 && targets[t]->id_sort.comparator == ssup_datum_int32_cmp;
	}
	if (all_int64)
		std::sort(items, items + n, [](const SortItem &a, const SortItem &b) {
			int64 ka = DatumGetInt64(a.key), kb = DatumGetInt64(b.key);
			return a.target < b.target ||
				   (a.target == b.target &&
					(ka < kb || (ka == kb && a.check < b.check)));
		});
	else if (all_int32)
		std::sort(items, items + n, [](const SortItem &a, const SortItem &b) {
			int32 ka = DatumGetInt32(a.key), kb = DatumGetInt32(b.key);
			return a.target < b.target ||
				   (a.target == b.target &&
					(ka < kb || (ka == kb && a.check < b.check)));
		});
	else
		qsort_arg(items, n, sizeof(SortItem), compare_items,
				  const_cast<TargetRef **>(targets));
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

/*
 * The configuration changed since the check was made: make it again from its
 * row, under catalog.
 */
void
remake_check(Catalog *catalog, const PendingCheck &check, const Lane &lane)
{
	Relation rel = table_open(lane.source, AccessShareLock);
	if (TupleTableSlot *row =
			live_row(rel, const_cast<ItemPointer>(&check.row)))
	{
		Oid declared = catalog_declared_table(catalog, lane.source);
		Association *a =
			OidIsValid(declared)
				? catalog_find(catalog, declared,
							   lane.kind->target->association->name)
				: nullptr;
		/* An association undeclared since has nothing left to check. */
		if (a != nullptr)
			check_row_reference(catalog, a, rel, row, KeyCheck::RequeueAsOf,
								check.subxact);
		ExecDropSingleTupleTableSlot(row);
	}
	table_close(rel, AccessShareLock);
}

/*
 * Remakes the checks from begin on that were made under another catalog image.
 */
void
remake_stale(size_t begin)
{
	McxtVector<PendingCheck> &checks = *batch->checks;
	McxtVector<Lane> &lanes = *batch->lanes;
	Catalog *current = catalog_current();
	bool stale = false;
	for (size_t i = begin; i < checks.size() && !stale; i++)
		stale = lanes[checks[i].lane].catalog != current;
	if (!stale)
		return;
	size_t n = checks.size() - begin;
	auto *old = mcxt_array<PendingCheck>(n, batch->run_memory);
	memcpy(old, checks.data() + begin, n * sizeof(PendingCheck));
	checks.resize(begin);
	for (size_t i = 0; i < n; i++)
	{
		/* A copy: remaking may add lanes, which may move the vector. */
		Lane lane = lanes[old[i].lane];
		if (lane.catalog == current)
			checks.push_back(old[i]);
		else
			remake_check(current, old[i], lane);
	}
}

/*
 * A key the probe did not find: a violation, if the row version that needs it
 * is still the live one.
 */
void
report_if_still_needed(const PendingCheck &check)
{
	const Lane &lane = (*batch->lanes)[check.lane];
	Relation rel = table_open(lane.source, AccessShareLock);
	if (TupleTableSlot *row =
			live_row(rel, const_cast<ItemPointer>(&check.row)))
	{
		Association *a = lane.kind->target->association;
		report_source_violation(a, rel, row,
								source_columns_in(lane.catalog, a, lane.source),
								lane.kind, SourceViolation::MissingKey);
	}
	table_close(rel, AccessShareLock);
}

/*
 * Fills items with the n checks of run, each numbered by its target (the
 * run's targets, numbered through the lanes: a batch has few of either, and
 * they go in targets), sorted.
 */
static void
sort_items_by_target(const PendingCheck *run, size_t n,
					 const McxtVector<Lane> &lanes, TargetRef **targets,
					 SortItem *items)
{
	auto *lane_target = mcxt_array<uint32>(lanes.size());
	uint32 ntargets = 0;
	for (size_t l = 0; l < lanes.size(); l++)
	{
		TargetRef *target = lanes[l].kind->target;
		uint32 t = 0;
		while (t < ntargets && targets[t] != target)
			t++;
		if (t == ntargets)
			targets[ntargets++] = target;
		lane_target[l] = t;
	}
	for (size_t i = 0; i < n; i++)
		items[i] = SortItem{ run[i].key, (uint32) i, lane_target[run[i].lane] };
	sort_items(items, n, targets, ntargets);
}

/*
 * One probe per target over its distinct keys.  Returns the checks whose key
 * it did not find (NULL if none): the misses, to be reported in firing order,
 * so that the first bad row is the one a native check would name.
 */
static McxtVector<uint32> *
probe_items(const SortItem *items, size_t n, TargetRef **targets)
{
	auto *keys = mcxt_array<Datum>(n);
	auto *found = mcxt_array<bool>(n);
	McxtVector<uint32> *misses = nullptr;
	for (size_t group = 0; group < n;)
	{
		uint32 t = items[group].target;
		TargetRef *target = targets[t];
		size_t end = group;
		int nkeys = 0;
		for (; end < n && items[end].target == t; end++)
			if (nkeys == 0 || compare_batch_keys(target, keys[nkeys - 1],
												 items[end].key) != 0)
				keys[nkeys++] = items[end].key;
		probe_sorted_keys(targets[t], keys, nkeys, found);
		int k = -1;
		for (size_t i = group; i < end; i++)
		{
			if (k < 0 || compare_batch_keys(target, keys[k], items[i].key) != 0)
				k++;
			if (!found[k])
			{
				if (misses == nullptr)
					misses =
						make_in_context<McxtVector<uint32>>(batch->run_memory);
				misses->push_back(items[i].check);
			}
		}
		group = end;
	}
	return misses;
}

/*
 * Runs the checks from the first one fired in subtransaction from (or a later
 * one) to the end.
 */
void
run_from(SubTransactionId from)
{
	McxtVector<PendingCheck> &checks = *batch->checks;
	/*
	 * Checks are in firing order, so the subtransaction's own are a suffix (see
	 * pending_checks.hpp).
	 */
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
	McxtVector<Lane> &lanes = *batch->lanes;

	auto *targets = mcxt_array<TargetRef *>(lanes.size());
	auto *items = mcxt_array<SortItem>(n);
	sort_items_by_target(run, n, lanes, targets, items);
	McxtVector<uint32> *misses = probe_items(items, n, targets);
	if (misses != nullptr)
	{
		std::sort(misses->begin(), misses->end());
		for (uint32 check : *misses)
			report_if_still_needed(run[check]);
	}

	checks.resize(begin);
	if (checks.empty())
	{
		batch->lanes->clear();
		MemoryContextReset(batch->key_memory);
	}
	MemoryContextSwitchTo(caller_memory);
	MemoryContextReset(batch->run_memory);
	batch->accepting = true;
	batch->running = false;
}

bool
portal_runs_utility(Portal portal)
{
	ListCell *cell;
	foreach (cell, portal->stmts)
		if (lfirst_node(PlannedStmt, cell)->commandType == CMD_UTILITY)
			return true;
	return false;
}

/* Inside the utility statement that loaded polyref (see loaded_in)? */
bool
in_unhooked_utility()
{
	return loaded_in_utility != nullptr &&
		   current_local_transaction() == loaded_in &&
		   ActivePortal == loaded_in_utility;
}

bool
anything_to_run()
{
	return batch != nullptr && !batch->running && !batch->checks->empty() &&
		   IsTransactionState();
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
	if ((query->operation != CMD_SELECT ||
		 query->plannedstmt->hasModifyingCTE) &&
		anything_to_run())
		enter_cpp(pending_checks_run);
}

/* In the transaction that loaded polyref, each query's end runs the batch. */
void
executor_end(QueryDesc *query)
{
	if (current_local_transaction() == loaded_in && anything_to_run())
		enter_cpp(pending_checks_run);
	if (previous_executor_end != nullptr)
		previous_executor_end(query);
	else
		standard_ExecutorEnd(query);
}

/*
 * COPY fires its AFTER triggers itself; SET CONSTRAINTS ... IMMEDIATE fires
 * deferred ones.
 */
void
process_utility(PlannedStmt *statement, const char *query_string,
				bool read_only_tree, ProcessUtilityContext context,
				ParamListInfo params, QueryEnvironment *query_env,
				DestReceiver *dest, QueryCompletion *completion)
{
	if (previous_process_utility != nullptr)
		previous_process_utility(statement, query_string, read_only_tree,
								 context, params, query_env, dest, completion);
	else
		standard_ProcessUtility(statement, query_string, read_only_tree,
								context, params, query_env, dest, completion);
	/*
	 * COMMIT and ROLLBACK only mark the block; PRE_COMMIT (or the abort) comes
	 * later.
	 */
	if (!IsA(statement->utilityStmt, TransactionStmt) && anything_to_run())
		enter_cpp(pending_checks_run);
}

void
on_transaction_event(XactEvent event, void *)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			/*
			 * The deferred triggers have just fired; nothing may be left
			 * unchecked.
			 */
			if (anything_to_run())
				enter_cpp(pending_checks_run);
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
on_subtransaction_event(SubXactEvent event, SubTransactionId subxact,
						SubTransactionId, void *) noexcept
{
	if (event != SUBXACT_EVENT_ABORT_SUB || batch == nullptr)
		return;
	/*
	 * The aborted subtransaction's checks, and its children's, are the suffix
	 * tagged subxact or later.
	 */
	McxtVector<PendingCheck> &checks = *batch->checks;
	size_t keep = checks.size();
	while (keep > 0 && checks[keep - 1].subxact >= subxact)
		keep--;
	checks.resize(keep); /* shrinking never allocates */
	if (checks.empty())
		batch->lanes->clear();
	batch->running = false;
	batch->accepting = true;
}

} // namespace

bool
pending_checks_add(Catalog *catalog, Kind *kind, Datum key, const Datum *scope,
				   Relation source, ItemPointer tid, SubTransactionId subxact)
{
	TargetRef *target = kind->target;
	if (!target->sorted_probe || (batch != nullptr && !batch->accepting) ||
		in_unhooked_utility())
		return false;
	if (batch == nullptr)
		batch = make_batch();
	else if (!batch->running && batch->checks->size() >= batch_capacity)
		run_from(GetCurrentSubTransactionId());

	/*
	 * The lane: rows come in runs of one kind and relation, so the last one
	 * usually fits.
	 */
	McxtVector<Lane> &lanes = *batch->lanes;
	Oid source_relid = RelationGetRelid(source);
	auto fits = [&](const Lane &lane) {
		return lane.kind == kind && lane.catalog == catalog &&
			   lane.source == source_relid;
	};
	size_t lane = batch->last_lane;
	if (lane >= lanes.size() || !fits(lanes[lane]))
	{
		lane = 0;
		while (lane < lanes.size() && !fits(lanes[lane]))
			lane++;
		if (lane == lanes.size())
		{
			if (lanes.size() > PG_UINT16_MAX)
				/* more kinds and partitions than a check can name: check now */
				return false;
			lanes.push_back(Lane{ kind, catalog, source_relid });
		}
		batch->last_lane = (uint16) lane;
	}

	PendingCheck check;
	check.key = make_batch_key(target, key, scope, batch->key_memory);
	check.lane = (uint16) lane;
	check.subxact = subxact;
	check.row = *tid;
	batch->checks->push_back(check);
	return true;
}

void
pending_checks_run()
{
	if (anything_to_run())
		run_from(GetCurrentSubTransactionId());
}

void
pending_checks_init()
{
	if (MyProc != nullptr && IsTransactionState())
	{
		loaded_in = current_local_transaction();
		if (ActivePortal != nullptr && portal_runs_utility(ActivePortal))
			loaded_in_utility = ActivePortal;
	}
	previous_executor_end = ExecutorEnd_hook;
	ExecutorEnd_hook = executor_end;
	previous_executor_finish = ExecutorFinish_hook;
	ExecutorFinish_hook = executor_finish;
	previous_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = process_utility;
	RegisterXactCallback(on_transaction_event, nullptr);
	RegisterSubXactCallback(on_subtransaction_event, nullptr);
}

} // namespace polyref
