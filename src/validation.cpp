/*
 * validation.cpp — set-based checks of existing rows (see validation.hpp).
 */
#include "validation.hpp"

#include "arguments.hpp"

#include "canonical_id.hpp"
#include "report.hpp"
#include "spi_util.hpp"
#include "sql_names.hpp"

#include <algorithm>
#include <cstring>

namespace polyref {

static Datum
text_array(const char *const *labels, int n)
{
	Datum *values = (Datum *) palloc(sizeof(Datum) * (n + 1));
	for (int i = 0; i < n; i++)
		values[i] = CStringGetTextDatum(labels[i]);
	return make_array(values, n, TEXTOID);
}

/* May the source's owner read every row of the target? */
static bool
source_owner_reads(TargetRef *target)
{
	Oid owner = target->association->source_owner;
	if (owner == target->owner)
		return true;
	return pg_class_aclcheck(target->relid, owner, ACL_SELECT) == ACLCHECK_OK &&
		   check_enable_rls(target->relid, owner, true) != RLS_ENABLED;
}

/* ------------------------------------------------------------------------
 * One pass: the common shape (integer ids and keys, plain tables the
 * source's owner may read) checked without SQL.
 */

static bool
integer_type(Oid type)
{
	return type == INT2OID || type == INT4OID || type == INT8OID;
}

static int64
integer_value(Datum value, Oid type)
{
	return type == INT2OID   ? DatumGetInt16(value)
		   : type == INT4OID ? DatumGetInt32(value)
							 : DatumGetInt64(value);
}

/*
 * Whether the one pass gives exactly what the queries would: every row of
 * the association, integer ids compared with integer keys by the built-in
 * operators, plain heap tables, and a source owner who reads the source and
 * every target in full (no row-level security applies to it).
 */
static bool
one_pass_applies(Association *a, const ViolationScope &scope)
{
	if (scope.only_kind != nullptr || scope.only_target != nullptr ||
		OidIsValid(scope.scan_relid) || a->nscope > 0)
		return false;
	if (a->type_class == KindColumnClass::Citext || !integer_type(a->id_type) ||
		!is_plain_heap(a->source) ||
		check_enable_rls(a->source, a->source_owner, true) == RLS_ENABLED)
		return false;
	for (int t = 0; t < a->ntargets; t++)
	{
		TargetRef *target = a->targets[t];
		if (target->partitioned || target->id_match != IdMatch::Operator ||
			!integer_type(target->key_type) ||
			target->lookup_operator >= FirstNormalObjectId ||
			!is_plain_heap(target->relid) || !source_owner_reads(target))
			return false;
	}
	return true;
}

/*
 * Every key of a target, read with the latest snapshot (as the queries
 * read): as a bitmap over [min, max] when the keys are dense enough that it
 * takes no more room than the sorted array (ids usually are), else as that
 * array.  Either answers "is this id a key?" without touching the table again.
 */
struct KeySet
{
	int64 *sorted; /* ascending */
	size_t n;
	uint64 *bits; /* bit (id - min), or NULL: use sorted */
	int64 min, max;

	bool contains(int64 id) const
	{
		if (bits == nullptr)
			return std::binary_search(sorted, sorted + n, id);
		if (id < min || id > max)
			return false;
		uint64 offset = (uint64) id - (uint64) min;
		return (bits[offset / 64] >> (offset % 64)) & 1;
	}
};

static KeySet
target_keys(TargetRef *target, Snapshot snapshot)
{
	Relation rel = table_open(target->relid, AccessShareLock);
	size_t capacity = 1024, n = 0;
	int64 *keys = static_cast<int64 *>(palloc(capacity * sizeof(int64)));
	TableScanDesc scan = polyref_table_beginscan(rel, snapshot, 0, NULL);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		bool isnull;
		Datum key = slot_getattr(slot, target->key_attnum, &isnull);
		if (isnull)
			continue;
		if (n == capacity)
		{
			capacity *= 2;
			keys = static_cast<int64 *>(
				repalloc_huge(keys, capacity * sizeof(int64)));
		}
		keys[n++] = integer_value(key, target->key_type);
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	std::sort(keys, keys + n);

	KeySet set{ keys, n, nullptr, 0, 0 };
	if (n > 0)
	{
		set.min = keys[0];
		set.max = keys[n - 1];
		/* Bits for the range take no more than the array's 64 per key. */
		uint64 range = (uint64) set.max - (uint64) set.min;
		if (range / 64 < n)
		{
			size_t words = range / 64 + 1;
			set.bits = static_cast<uint64 *>(MemoryContextAllocExtended(
				CurrentMemoryContext, words * sizeof(uint64),
				MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO));
			for (size_t i = 0; i < n; i++)
			{
				uint64 offset = (uint64) keys[i] - (uint64) set.min;
				set.bits[offset / 64] |= uint64(1) << (offset % 64);
			}
		}
	}
	return set;
}

struct MissingKey
{
	ItemPointerData row;
	Kind *kind;
	int64 id;
};

/* A row address the sink may keep. */
static Datum
row_address(const ItemPointerData *tid)
{
	ItemPointer copy =
		static_cast<ItemPointer>(palloc(sizeof(ItemPointerData)));
	*copy = *tid;
	return PointerGetDatum(copy);
}

/*
 * find_violations in one sequential scan of the source: half-NULL pairs
 * and undeclared kinds as they come, missing keys after, target by target,
 * the order the queries report them in.
 */
static uint64
find_violations_in_one_pass(Association *a, long limit, ViolationSink found,
							void *context)
{
	Snapshot snapshot = RegisterSnapshot(GetLatestSnapshot());
	KeySet *keys = mcxt_array<KeySet>(a->ntargets);
	for (int t = 0; t < a->ntargets; t++)
		keys[t] = target_keys(a->targets[t], snapshot);
	auto target_index = [a](TargetRef *target) {
		int t = 0;
		while (a->targets[t] != target)
			t++;
		return t;
	};

	Relation rel = table_open(a->source, AccessShareLock);
	Datum tableoid = ObjectIdGetDatum(RelationGetRelid(rel));
	TableScanDesc scan = polyref_table_beginscan(rel, snapshot, 0, NULL);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	MissingKey *missing = mcxt_array<MissingKey>(64);
	size_t nmissing = 0, missing_capacity = 64;
	uint64 count = 0;
	Oid kind_output;
	bool kind_varlena;
	getTypeOutputInfo(a->type_type, &kind_output, &kind_varlena);
	while ((limit == 0 || count < (uint64) limit) &&
		   table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		bool kind_null, id_null;
		Datum kind_value = slot_getattr(slot, a->type_attnum, &kind_null);
		Datum id = slot_getattr(slot, a->id_attnum, &id_null);
		if (kind_null && id_null)
			continue;
		if ((kind_null || id_null) && a->match_simple)
			continue; /* MATCH SIMPLE checks no row with a NULL */
		Kind *kind = nullptr;
		if (!kind_null && !id_null)
			kind = association_kind_of(a, kind_value);
		if (kind == nullptr)
		{
			found(tableoid, row_address(&slot->tts_tid),
				  kind_null ? nullptr
							: OidOutputFunctionCall(kind_output, kind_value),
				  id_null
					  ? nullptr
					  : psprintf(INT64_FORMAT, integer_value(id, a->id_type)),
				  nullptr, InvalidOid, context);
			count++;
			continue;
		}
		int t = target_index(kind->target);
		int64 value = integer_value(id, a->id_type);
		if (keys[t].contains(value))
			continue;
		if (nmissing == missing_capacity)
		{
			missing_capacity *= 2;
			missing = static_cast<MissingKey *>(
				repalloc_huge(missing, missing_capacity * sizeof(MissingKey)));
		}
		missing[nmissing++] = MissingKey{ slot->tts_tid, kind, value };
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	UnregisterSnapshot(snapshot);

	for (int t = 0; t < a->ntargets; t++)
		for (size_t m = 0;
			 m < nmissing && (limit == 0 || count < (uint64) limit); m++)
			if (missing[m].kind->target == a->targets[t])
			{
				found(tableoid, row_address(&missing[m].row),
					  missing[m].kind->stored,
					  psprintf(INT64_FORMAT, missing[m].id), nullptr,
					  a->targets[t]->relid, context);
				count++;
			}
	return count;
}

/* ------------------------------------------------------------------------
 * The queries, for every other shape (see validation.hpp).  Each query is
 * read through a cursor, a batch of rows at a time, and a batch's work is
 * done in memory reset after it: no result is held whole, so memory stays
 * the same whatever the size of the table.  (orphans() keeps what it is
 * given in a tuplestore, which spills to disk.)
 */

/* Rows fetched from a cursor at a time. */
static const long batch_rows = 1000;

/*
 * A query run as RI_Initial_Check runs its own: as role, with the latest
 * snapshot, and with work_mem raised to maintenance_work_mem until it is
 * closed.  (The plan is made before work_mem is raised, as it always was.)
 */
struct CheckCursor
{
	Portal portal;
	Oid role;
	int guc_level;
};

static CheckCursor
check_cursor_open(const char *sql, Datum kinds, Oid role)
{
	Oid types[1] = { TEXTARRAYOID };
	SPIPlanPtr plan = prepare_as(sql, 1, types, role);
	CheckCursor cursor{ nullptr, role, NewGUCNestLevel() };
	char work_mem[32];
	snprintf(work_mem, sizeof(work_mem), "%d", maintenance_work_mem);
	(void) set_config_option("work_mem", work_mem, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	/* A read-only cursor reads with the active snapshot. */
	PushActiveSnapshot(GetLatestSnapshot());
	cursor.portal = as_owner(
		role, [&] { return SPI_cursor_open(NULL, plan, &kinds, NULL, true); });
	PopActiveSnapshot();
	return cursor;
}

/*
 * The cursor's next count rows, as its role, into SPI_tuptable (the caller
 * frees it).  Like every SPI call, it leaves SPI's procedure memory current.
 */
static uint64
check_cursor_fetch(const CheckCursor &cursor, long count)
{
	return as_owner(cursor.role, [&] {
		SPI_cursor_fetch(cursor.portal, true, count);
		return SPI_processed;
	});
}

static void
check_cursor_close(const CheckCursor &cursor)
{
	SPI_cursor_close(cursor.portal);
	AtEOXact_GUC(true, cursor.guc_level);
}

/* Where violations go, and how many more may. */
struct Violations
{
	ViolationSink found;
	void *context;
	int nscope;                  /* scope texts after the first four */
	MemoryContext caller_memory; /* the sink runs in it */
	MemoryContext batch_memory;  /* one batch's work, reset after it */
	long limit;                  /* 0: no limit */
	uint64 count;

	bool full() const
	{
		return limit != 0 && count >= (uint64) limit;
	}
};

/*
 * Passes row i of rows (tableoid, ctid, kind, id: every query's first four
 * columns) to the sink.  The sink runs in the caller's memory: what it keeps
 * must outlive the batch and this function's SPI session.
 */
static void
emit_row(Violations *v, SPITupleTable *rows, uint64 i, Oid target)
{
	HeapTuple row = rows->vals[i];
	bool isnull;
	Datum tableoid = SPI_getbinval(row, rows->tupdesc, 1, &isnull);
	Datum ctid = SPI_getbinval(row, rows->tupdesc, 2, &isnull);
	char *kind = SPI_getvalue(row, rows->tupdesc, 3);
	char *id = SPI_getvalue(row, rows->tupdesc, 4);
	char **scope = nullptr;
	if (v->nscope > 0)
	{
		scope = mcxt_array<char *>(v->nscope);
		for (int s = 0; s < v->nscope; s++)
			scope[s] = SPI_getvalue(row, rows->tupdesc, 5 + s);
	}
	MemoryContext batch_memory = MemoryContextSwitchTo(v->caller_memory);
	v->found(tableoid, ctid, kind, id, scope, target, v->context);
	MemoryContextSwitchTo(batch_memory);
	v->count++;
}

/*
 * Reads the cursor to its end, or until the limit is reached, calling
 * per_row(rows, i) for each row with the batch memory current; then closes
 * it.  When every row is a violation, no more are fetched than the limit
 * lets through, so that the query stops where a single one would.
 */
template <typename PerRow>
static void
for_each_row(Violations *v, const CheckCursor &cursor, bool rows_are_violations,
			 PerRow per_row)
{
	bool more = true;
	while (more && !v->full())
	{
		long wanted = batch_rows;
		if (rows_are_violations && v->limit != 0)
			wanted = std::min(wanted, v->limit - (long) v->count);
		uint64 n = check_cursor_fetch(cursor, wanted);
		SPITupleTable *rows = SPI_tuptable;
		MemoryContext spi_memory = MemoryContextSwitchTo(v->batch_memory);
		for (uint64 i = 0; i < n && !v->full(); i++)
			per_row(rows, i);
		MemoryContextSwitchTo(spi_memory);
		SPI_freetuptable(rows);
		MemoryContextReset(v->batch_memory);
		more = n == (uint64) wanted;
	}
	check_cursor_close(cursor);
}

/* What every query selects and reads. */
struct SourceQuery
{
	/* SELECT tableoid, ctid, kind, id, and the scope columns (as text) */
	const char *select;
	const char *source; /* the relation scanned */
	const char *type_column;
	const char *id_column;
	const char **scope_columns; /* quoted */
	/* " AND x.<scope> IS NOT NULL" for each, and "x.<scope> IS NULL OR ..." */
	const char *scope_set;
	const char *scope_null;
	Oid role; /* the source's owner */
};

static SourceQuery
source_query(Association *a, const ViolationScope &scope)
{
	SourceQuery q;
	q.source = scanned_relation(OidIsValid(scope.scan_relid) ? scope.scan_relid
															 : a->source);
	q.type_column =
		quote_identifier(get_attname(a->source, a->type_attnum, false));
	q.id_column = quote_identifier(get_attname(a->source, a->id_attnum, false));
	/*
	 * Without the rows' addresses, every column a check reads is in the
	 * (type, id) index, and the planner can answer from it alone.
	 */
	q.select = scope.need_row_address
				   ? psprintf("SELECT x.tableoid::pg_catalog.regclass, x.ctid, "
							  "x.%s::pg_catalog.text, x.%s::pg_catalog.text",
							  q.type_column, q.id_column)
				   : psprintf("SELECT NULL::pg_catalog.regclass, "
							  "NULL::pg_catalog.tid, x.%s::pg_catalog.text, "
							  "x.%s::pg_catalog.text",
							  q.type_column, q.id_column);
	q.scope_columns = mcxt_array<const char *>(a->nscope + 1);
	StringInfoData select, set, null;
	initStringInfo(&select);
	initStringInfo(&set);
	initStringInfo(&null);
	appendStringInfoString(&select, q.select);
	for (int i = 0; i < a->nscope; i++)
	{
		q.scope_columns[i] = quote_identifier(a->scope_columns[i]);
		appendStringInfo(&select, ", x.%s::pg_catalog.text",
						 q.scope_columns[i]);
		appendStringInfo(&set, " AND x.%s IS NOT NULL", q.scope_columns[i]);
		appendStringInfo(&null, "%sx.%s IS NULL", i > 0 ? " OR " : "",
						 q.scope_columns[i]);
	}
	q.select = select.data;
	q.scope_set = set.data;
	q.scope_null = null.data;
	q.role = a->source_owner;
	return q;
}

/*
 * Kinds the association does not declare, and (MATCH FULL) half-NULL pairs;
 * MATCH SIMPLE checks no row with a NULL.
 */
static void
emit_unmatched_kinds(Violations *v, Association *a, const SourceQuery &q)
{
	/* Kinds as the column holds them (a registry's keys, as text). */
	const char **labels =
		(const char **) palloc(sizeof(char *) * (a->nkinds + 1));
	int nlabels = 0;
	for (int k = 0; k < a->nkinds; k++)
		if (a->kinds[k].present)
			labels[nlabels++] = a->kinds[k].stored;
	char *unknown_kind =
		psprintf("x.%s IS NOT NULL AND NOT x.%s::pg_catalog.text "
				 "OPERATOR(pg_catalog.=) ANY ($1)",
				 q.type_column, q.type_column);
	/*
	 * A set reference with a NULL scope column mixes NULLs too (MATCH FULL);
	 * MATCH SIMPLE does not check it.
	 */
	const char *null_scope =
		a->nscope == 0 ? ""
					   : psprintf(" OR (x.%s IS NOT NULL AND x.%s IS NOT NULL "
								  "AND (%s))",
								  q.type_column, q.id_column, q.scope_null);
	char *sql =
		a->match_simple
			? psprintf("%s FROM %s x WHERE x.%s IS NOT NULL%s AND %s", q.select,
					   q.source, q.id_column, q.scope_set, unknown_kind)
			: psprintf("%s FROM %s x WHERE (x.%s IS NULL) "
					   "OPERATOR(pg_catalog.<>) (x.%s IS NULL) OR (%s)%s",
					   q.select, q.source, q.type_column, q.id_column,
					   unknown_kind, null_scope);
	CheckCursor cursor =
		check_cursor_open(sql, text_array(labels, nlabels), q.role);
	for_each_row(v, cursor, true, [v](SPITupleTable *rows, uint64 i) {
		emit_row(v, rows, i, InvalidOid);
	});
}

/*
 * The kinds of the association that point at target (or only_kind, if it
 * does), as text[]; (Datum) 0 if none.
 */
static Datum
kinds_of_target(Association *a, TargetRef *target, const char *only_kind)
{
	const char **labels =
		(const char **) palloc(sizeof(char *) * (a->nkinds + 1));
	int nlabels = 0;
	for (int k = 0; k < a->nkinds; k++)
		if (a->kinds[k].target == target && a->kinds[k].present &&
			(only_kind == nullptr || strcmp(a->kinds[k].label, only_kind) == 0))
			labels[nlabels++] = a->kinds[k].stored;
	return nlabels == 0 ? (Datum) 0 : text_array(labels, nlabels);
}

/* The source rows of kinds $1 with a non-NULL id (and scope). */
static char *
rows_of_kinds(const SourceQuery &q, const char *columns)
{
	return psprintf("%s%s FROM %s x WHERE x.%s::pg_catalog.text "
					"OPERATOR(pg_catalog.=) ANY ($1) AND x.%s IS NOT NULL%s",
					q.select, columns, q.source, q.type_column, q.id_column,
					q.scope_set);
}

/*
 * Rows of kinds whose key target lacks: one anti-join, as the source's
 * owner, who may read the whole target.
 */
static void
emit_missing_by_anti_join(Violations *v, Association *a, TargetRef *target,
						  const SourceQuery &q, Datum kinds)
{
	StringInfoData match;
	initStringInfo(&match);
	char *key = qualified_column("t", target->relid, target->key_attnum);
	char *id = psprintf("x.%s", q.id_column);
	if (target->id_match == IdMatch::CanonicalText)
		generate_operator_clause(&match, id, a->id_type, TextEqualOperator,
								 psprintf("%s::pg_catalog.text", key), TEXTOID);
	else
		generate_operator_clause(&match, key, target->key_type,
								 target->lookup_operator, id, a->id_type);
	for (int i = 0; i < a->nscope; i++)
	{
		appendStringInfoString(&match, " AND ");
		generate_operator_clause(
			&match,
			qualified_column("t", target->relid, target->scope[i].attnum),
			target->scope[i].type, target->scope[i].lookup_operator,
			psprintf("x.%s", q.scope_columns[i]), a->scope_types[i]);
	}
	char *sql = psprintf("%s AND NOT EXISTS (SELECT 1 FROM %s t WHERE %s)",
						 rows_of_kinds(q, ""), scanned_relation(target->relid),
						 match.data);
	CheckCursor cursor = check_cursor_open(sql, kinds, q.role);
	Oid relid = target->relid;
	for_each_row(v, cursor, true, [v, relid](SPITupleTable *rows, uint64 i) {
		emit_row(v, rows, i, relid);
	});
}

/*
 * Whether target holds the key id names, looked up as the target's owner
 * (without locking: validation reads, as natively).  The lookup's result is
 * freed at once; SPI leaves its own memory current, so the batch memory is
 * made current again.
 */
static bool
key_present(TargetRef *target, SPIPlanPtr lookup, Datum *values,
			MemoryContext batch_memory)
{
	Datum id = values[0];
	if (target->id_match == IdMatch::CanonicalText &&
		!canonical_key(target, id, &values[0]))
		return false;
	bool present =
		execute_as(target->owner, lookup, values, NULL, GetLatestSnapshot(),
				   InvalidSnapshot, true, false, 1, "a key lookup") > 0;
	SPI_freetuptable(SPI_tuptable);
	MemoryContextSwitchTo(batch_memory);
	return present;
}

/*
 * The same when the source's owner may not read the target: the rows of
 * kinds are read as the source's owner, and each key is looked up as the
 * target's.
 */
static void
emit_missing_by_lookup(Violations *v, TargetRef *target, const SourceQuery &q,
					   Datum kinds)
{
	StringInfoData lookup_sql;
	initStringInfo(&lookup_sql);
	appendStringInfo(&lookup_sql, "SELECT 1 FROM %s t WHERE ",
					 scanned_relation(target->relid));
	generate_operator_clause(
		&lookup_sql, qualified_column("t", target->relid, target->key_attnum),
		target->key_type, target->lookup_operator, "$1",
		target->lookup_param_type);
	int nscope = target->nscope;
	Oid *types = mcxt_array<Oid>(nscope + 1);
	types[0] = target->lookup_param_type;
	StringInfoData columns;
	initStringInfo(&columns);
	appendStringInfo(&columns, ", x.%s", q.id_column);
	for (int i = 0; i < nscope; i++)
	{
		const ScopePart *part = &target->scope[i];
		types[i + 1] = part->lookup_param_type;
		appendStringInfoString(&lookup_sql, " AND ");
		generate_operator_clause(
			&lookup_sql, qualified_column("t", target->relid, part->attnum),
			part->type, part->lookup_operator, psprintf("$%d", i + 2),
			types[i + 1]);
		appendStringInfo(&columns, ", x.%s", q.scope_columns[i]);
	}
	SPIPlanPtr lookup =
		prepare_as(lookup_sql.data, nscope + 1, types, target->owner);
	char *sql = rows_of_kinds(q, columns.data);
	CheckCursor cursor = check_cursor_open(sql, kinds, q.role);
	/* After tableoid, ctid, kind, id and the scope as text: id and scope. */
	int first = 5 + nscope;
	for_each_row(
		v, cursor, false,
		[v, target, lookup, nscope, first](SPITupleTable *rows, uint64 i) {
			Datum *values = mcxt_array<Datum>(nscope + 1);
			for (int c = 0; c <= nscope; c++)
			{
				bool isnull;
				values[c] = SPI_getbinval(rows->vals[i], rows->tupdesc,
										  first + c, &isnull);
			}
			if (!key_present(target, lookup, values, v->batch_memory))
				emit_row(v, rows, i, target->relid);
		});
}

static uint64
find_violations_by_queries(Association *a, const ViolationScope &scope,
						   long limit, ViolationSink found, void *context)
{
	SourceQuery q = source_query(a, scope);
	Violations v{ found,   context, a->nscope, CurrentMemoryContext,
				  nullptr, limit,   0 };
	spi_open();
	v.batch_memory =
		AllocSetContextCreate(CurrentMemoryContext, "polyref validation batch",
							  ALLOCSET_DEFAULT_SIZES);

	if (scope.only_kind == nullptr && scope.only_target == nullptr)
		emit_unmatched_kinds(&v, a, q);
	/* Rows whose key is missing from their kind's target. */
	for (int t = 0; t < a->ntargets && !v.full(); t++)
	{
		TargetRef *target = a->targets[t];
		if (scope.only_target != nullptr && scope.only_target != target)
			continue;
		Datum kinds = kinds_of_target(a, target, scope.only_kind);
		if (kinds == (Datum) 0)
			continue;
		if (source_owner_reads(target))
			emit_missing_by_anti_join(&v, a, target, q, kinds);
		else
			emit_missing_by_lookup(&v, target, q, kinds);
	}
	spi_close();
	return v.count;
}

uint64
find_violations(Association *a, const ViolationScope &scope, long limit,
				ViolationSink found, void *context)
{
	if (one_pass_applies(a, scope))
		return find_violations_in_one_pass(a, limit, found, context);
	return find_violations_by_queries(a, scope, limit, found, context);
}

struct FirstViolation
{
	bool found;
	char *kind;
	char *id;
	const char *const *scope;
	bool null_scope; /* a set reference with a NULL scope column */
	Oid target;
	int nscope;
};

static void
remember_first(Datum, Datum, const char *kind, const char *id,
			   const char *const *scope, Oid target, void *context)
{
	FirstViolation *first = (FirstViolation *) context;
	if (first->found)
		return;
	first->found = true;
	first->kind = kind ? pstrdup(kind) : nullptr;
	first->id = id ? pstrdup(id) : nullptr;
	first->target = target;
	char **copy = mcxt_array0<char *>(first->nscope + 1);
	for (int i = 0; i < first->nscope; i++)
	{
		copy[i] = scope[i] ? pstrdup(scope[i]) : nullptr;
		first->null_scope |= scope[i] == nullptr;
	}
	first->scope = copy;
}

void
validate_rows(Association *a, const ViolationScope &scope)
{
	FirstViolation first{};
	first.nscope = a->nscope;
	ViolationScope without_addresses = scope;
	without_addresses.need_row_address = false;
	find_violations(a, without_addresses, 1, remember_first, &first);
	if (!first.found)
		return;
	/*
	 * The rows checked: the source, or the partition being attached (as
	 * natively).
	 */
	Oid checked = OidIsValid(scope.scan_relid) ? scope.scan_relid : a->source;
	Relation source = table_open(checked, AccessShareLock);
	AttrNumber *attnums = mcxt_array<AttrNumber>(a->nscope + 2);
	attnums[0] = a->type_attnum;
	attnums[1] = a->id_attnum;
	for (int i = 0; i < a->nscope; i++)
		attnums[i + 2] = a->scope_attnums[i];
	SourceViolation why =
		first.kind == nullptr || first.id == nullptr || first.null_scope
			? SourceViolation::MixedNulls
		: !OidIsValid(first.target) ? SourceViolation::UnknownKind
									: SourceViolation::MissingKey;
	report_source_violation_text(
		a, source, why, first.kind, first.id, first.scope, first.target,
		may_see_values(a->source, attnums, a->nscope + 2));
}

} // namespace polyref
