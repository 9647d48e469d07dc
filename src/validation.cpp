/*
 * validation.cpp — set-based checks of existing rows (see validation.hpp).
 */
#include "validation.hpp"

#include "arguments.hpp"

#include "canonical_id.hpp"
#include "queries.hpp"
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

/*
 * Runs sql as role with the latest snapshot and a large work_mem, as
 * RI_Initial_Check does.
 */
static uint64
run_check_query(const char *sql, int nargs, Oid *types, Datum *values, Oid role,
				long limit)
{
	SPIPlanPtr plan = prepare_as(sql, nargs, types, role);
	int save_nestlevel = NewGUCNestLevel();
	char work_mem[32];
	snprintf(work_mem, sizeof(work_mem), "%d", maintenance_work_mem);
	(void) set_config_option("work_mem", work_mem, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	UserSwitch saved = become_owner(role);
	int rc = SPI_execute_snapshot(plan, values, NULL, GetLatestSnapshot(),
								  InvalidSnapshot, true, false, limit);
	restore_user(saved);
	AtEOXact_GUC(true, save_nestlevel);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "polyref: validation query failed: %s",
			 SPI_result_code_string(rc));
	return SPI_processed;
}

/*
 * The sink runs in the caller's memory: what it keeps must outlive this
 * function's SPI session.
 */
static void
emit(ViolationSink found, MemoryContext caller_memory, Datum tableoid,
	 Datum ctid, const char *kind, const char *id, Oid target, void *context)
{
	MemoryContext spi_memory = MemoryContextSwitchTo(caller_memory);
	found(tableoid, ctid, kind, id, target, context);
	MemoryContextSwitchTo(spi_memory);
}

static void
emit_rows(Oid target, ViolationSink found, MemoryContext caller_memory,
		  void *context, uint64 *count, long limit)
{
	SPITupleTable *rows = SPI_tuptable;
	uint64 n = SPI_processed;
	for (uint64 i = 0; i < n && (limit == 0 || *count < (uint64) limit); i++)
	{
		bool isnull;
		Datum tableoid =
			SPI_getbinval(rows->vals[i], rows->tupdesc, 1, &isnull);
		Datum ctid = SPI_getbinval(rows->vals[i], rows->tupdesc, 2, &isnull);
		emit(found, caller_memory, tableoid, ctid,
			 SPI_getvalue(rows->vals[i], rows->tupdesc, 3),
			 SPI_getvalue(rows->vals[i], rows->tupdesc, 4), target, context);
		(*count)++;
	}
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

static bool
plain_heap(Oid relid)
{
	if (get_rel_relkind(relid) != RELKIND_RELATION)
		return false;
	Relation rel = table_open(relid, AccessShareLock);
	bool heap = rel->rd_rel->relam == HEAP_TABLE_AM_OID;
	table_close(rel, AccessShareLock);
	return heap;
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
		OidIsValid(scope.scan_relid))
		return false;
	if (a->type_class == KindColumnClass::Citext || !integer_type(a->id_type) ||
		!plain_heap(a->source) ||
		check_enable_rls(a->source, a->source_owner, true) == RLS_ENABLED)
		return false;
	for (int t = 0; t < a->ntargets; t++)
	{
		TargetRef *target = a->targets[t];
		if (target->partitioned || target->id_match != IdMatch::Operator ||
			!integer_type(target->key_type) ||
			target->lookup_operator >= FirstNormalObjectId ||
			!plain_heap(target->relid) || !source_owner_reads(target))
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
	TableScanDesc scan = table_beginscan(rel, snapshot, 0, NULL);
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

/*
 * find_violations in one sequential scan of the source: half-NULL pairs
 * and undeclared kinds as they come, missing keys after, target by target,
 * the order the queries report them in.
 */
/* A row address the sink may keep. */
static Datum
row_address(const ItemPointerData *tid)
{
	ItemPointer copy =
		static_cast<ItemPointer>(palloc(sizeof(ItemPointerData)));
	*copy = *tid;
	return PointerGetDatum(copy);
}

static uint64
find_violations_in_one_pass(Association *a, long limit, ViolationSink found,
							void *context)
{
	Snapshot snapshot = RegisterSnapshot(GetLatestSnapshot());
	KeySet *keys = static_cast<KeySet *>(palloc(a->ntargets * sizeof(KeySet)));
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
	TableScanDesc scan = table_beginscan(rel, snapshot, 0, NULL);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	MissingKey *missing =
		static_cast<MissingKey *>(palloc(64 * sizeof(MissingKey)));
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
		Kind *kind = nullptr;
		if (!kind_null && !id_null)
		{
			if (a->type_class == KindColumnClass::Enum)
			{
				for (int k = 0; k < a->nkinds && kind == nullptr; k++)
					if (DatumGetObjectId(a->kinds[k].value) ==
						DatumGetObjectId(kind_value))
						kind = &a->kinds[k];
			}
			else
			{
				text *label = DatumGetTextPP(kind_value);
				kind = association_find_kind(a, VARDATA_ANY(label),
											 (int) VARSIZE_ANY_EXHDR(label));
			}
		}
		if (kind == nullptr)
		{
			found(tableoid, row_address(&slot->tts_tid),
				  kind_null ? nullptr
							: OidOutputFunctionCall(kind_output, kind_value),
				  id_null
					  ? nullptr
					  : psprintf(INT64_FORMAT, integer_value(id, a->id_type)),
				  InvalidOid, context);
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
					  missing[m].kind->label,
					  psprintf(INT64_FORMAT, missing[m].id),
					  a->targets[t]->relid, context);
				count++;
			}
	return count;
}

uint64
find_violations(Association *a, const ViolationScope &scope, long limit,
				ViolationSink found, void *context)
{
	if (one_pass_applies(a, scope))
		return find_violations_in_one_pass(a, limit, found, context);

	const char *only_kind = scope.only_kind;
	const char *source = scanned_relation(
		OidIsValid(scope.scan_relid) ? scope.scan_relid : a->source);
	const char *type_column =
		quote_identifier(get_attname(a->source, a->type_attnum, false));
	const char *id_column =
		quote_identifier(get_attname(a->source, a->id_attnum, false));
	/*
	 * Without the rows' addresses, every column a check reads is in the
	 * (type, id) index, and the planner can answer from it alone.
	 */
	const char *select =
		scope.need_row_address
			? psprintf("SELECT x.tableoid::pg_catalog.regclass, x.ctid, "
					   "x.%s::pg_catalog.text,"
					   " x.%s::pg_catalog.text",
					   type_column, id_column)
			: psprintf("SELECT NULL::pg_catalog.regclass, "
					   "NULL::pg_catalog.tid, x.%s::pg_catalog.text,"
					   " x.%s::pg_catalog.text",
					   type_column, id_column);
	uint64 count = 0;
	MemoryContext caller_memory = CurrentMemoryContext;
	SpiSession spi = spi_open();

	/* Half-NULL pairs and undeclared kinds. */
	if (only_kind == nullptr && scope.only_target == nullptr)
	{
		const char **labels =
			(const char **) palloc(sizeof(char *) * (a->nkinds + 1));
		for (int k = 0; k < a->nkinds; k++)
			labels[k] = a->kinds[k].label;
		Oid types[1] = { TEXTARRAYOID };
		Datum values[1] = { text_array(labels, a->nkinds) };
		char *sql = psprintf(
			"%s FROM %s x WHERE (x.%s IS NULL) OPERATOR(pg_catalog.<>) (x.%s "
			"IS NULL)"
			" OR (x.%s IS NOT NULL AND NOT x.%s::pg_catalog.text "
			"OPERATOR(pg_catalog.=) ANY ($1))",
			select, source, type_column, id_column, type_column, type_column);
		run_check_query(sql, 1, types, values, a->source_owner, limit);
		emit_rows(InvalidOid, found, caller_memory, context, &count, limit);
	}

	/* Rows whose key is missing from their kind's target. */
	for (int t = 0; t < a->ntargets && (limit == 0 || count < (uint64) limit);
		 t++)
	{
		TargetRef *target = a->targets[t];
		if (scope.only_target != nullptr && scope.only_target != target)
			continue;
		const char **labels =
			(const char **) palloc(sizeof(char *) * (a->nkinds + 1));
		int nlabels = 0;
		for (int k = 0; k < a->nkinds; k++)
			if (a->kinds[k].target == target &&
				(only_kind == nullptr ||
				 strcmp(a->kinds[k].label, only_kind) == 0))
				labels[nlabels++] = a->kinds[k].label;
		if (nlabels == 0)
			continue;
		Oid types[1] = { TEXTARRAYOID };
		Datum values[1] = { text_array(labels, nlabels) };
		const char *of_kinds =
			psprintf("x.%s::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($1) "
					 "AND x.%s IS NOT NULL",
					 type_column, id_column);
		if (source_owner_reads(target))
		{
			StringInfoData match;
			initStringInfo(&match);
			char *key = psprintf(
				"t.%s", quote_identifier(get_attname(
							target->relid, target->key_attnum, false)));
			char *id = psprintf("x.%s", id_column);
			if (target->id_match == IdMatch::CanonicalText)
				generate_operator_clause(
					&match, id, a->id_type, TextEqualOperator,
					psprintf("%s::pg_catalog.text", key), TEXTOID);
			else
				generate_operator_clause(&match, key, target->key_type,
										 target->lookup_operator, id,
										 a->id_type);
			char *sql = psprintf("%s FROM %s x WHERE %s AND NOT EXISTS (SELECT "
								 "1 FROM %s t WHERE %s)",
								 select, source, of_kinds,
								 scanned_relation(target->relid), match.data);
			run_check_query(sql, 1, types, values, a->source_owner, limit);
			emit_rows(target->relid, found, caller_memory, context, &count,
					  limit);
			continue;
		}
		/*
		 * The source's owner may not read the target: look each key up as the
		 * target's owner (without locking: validation reads, as natively).
		 */
		StringInfoData lookup;
		initStringInfo(&lookup);
		appendStringInfo(&lookup, "SELECT 1 FROM %s t WHERE ",
						 scanned_relation(target->relid));
		generate_operator_clause(
			&lookup,
			psprintf("t.%s", quote_identifier(get_attname(
								 target->relid, target->key_attnum, false))),
			target->key_type, target->lookup_operator, "$1",
			target->lookup_param_type);
		SPIPlanPtr lookup_plan = prepare_as(
			lookup.data, 1, &target->lookup_param_type, target->owner);
		char *sql = psprintf("%s, x.%s FROM %s x WHERE %s", select, id_column,
							 source, of_kinds);
		uint64 n = run_check_query(sql, 1, types, values, a->source_owner, 0);
		SPITupleTable *rows = SPI_tuptable;
		for (uint64 i = 0; i < n && (limit == 0 || count < (uint64) limit); i++)
		{
			bool isnull;
			Datum id = SPI_getbinval(rows->vals[i], rows->tupdesc, 5, &isnull);
			Datum key = id;
			bool present = target->id_match != IdMatch::CanonicalText ||
						   canonical_key(target, id, &key);
			if (present)
			{
				UserSwitch saved = become_owner(target->owner);
				int rc = SPI_execute_snapshot(lookup_plan, &key, NULL,
											  GetLatestSnapshot(),
											  InvalidSnapshot, true, false, 1);
				restore_user(saved);
				present = rc == SPI_OK_SELECT && SPI_processed > 0;
			}
			if (!present)
			{
				emit(found, caller_memory,
					 SPI_getbinval(rows->vals[i], rows->tupdesc, 1, &isnull),
					 SPI_getbinval(rows->vals[i], rows->tupdesc, 2, &isnull),
					 SPI_getvalue(rows->vals[i], rows->tupdesc, 3),
					 SPI_getvalue(rows->vals[i], rows->tupdesc, 4),
					 target->relid, context);
				count++;
			}
		}
	}
	spi_close(spi);
	return count;
}

struct FirstViolation
{
	bool found;
	char *kind;
	char *id;
	Oid target;
};

static void
remember_first(Datum, Datum, const char *kind, const char *id, Oid target,
			   void *context)
{
	FirstViolation *first = (FirstViolation *) context;
	if (first->found)
		return;
	first->found = true;
	first->kind = kind ? pstrdup(kind) : nullptr;
	first->id = id ? pstrdup(id) : nullptr;
	first->target = target;
}

void
validate_rows(Association *a, const ViolationScope &scope)
{
	FirstViolation first{};
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
	const char *source_name = RelationGetRelationName(source);
	AttrNumber attnums[2] = { a->type_attnum, a->id_attnum };
	bool show =
		check_enable_rls(a->source, InvalidOid, true) != RLS_ENABLED &&
		(pg_class_aclcheck(a->source, GetUserId(), ACL_SELECT) == ACLCHECK_OK ||
		 (pg_attribute_aclcheck(a->source, attnums[0], GetUserId(),
								ACL_SELECT) == ACLCHECK_OK &&
		  pg_attribute_aclcheck(a->source, attnums[1], GetUserId(),
								ACL_SELECT) == ACLCHECK_OK));
	const char *message = psprintf("insert or update on table \"%s\" violates "
								   "foreign key constraint \"%s\"",
								   source_name, a->name);
	if (first.kind == nullptr || first.id == nullptr)
		ereport(ERROR, (errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
						errmsg_internal("%s", message),
						errdetail("MATCH FULL does not allow mixing of null "
								  "and nonnull key values."),
						errtableconstraint(source, a->name)));
	if (!OidIsValid(first.target))
		ereport(ERROR, (errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
						errmsg_internal("%s", message),
						show ? errdetail("Kind \"%s\" is not a declared target "
										 "of association \"%s\".",
										 first.kind, a->name)
							 : errdetail("The kind is not a declared target of "
										 "association \"%s\".",
										 a->name),
						errtableconstraint(source, a->name)));
	const char *target_name = get_rel_name(first.target);
	ereport(
		ERROR,
		(errcode(ERRCODE_FOREIGN_KEY_VIOLATION), errmsg_internal("%s", message),
		 show ? errdetail(
					"Key (%s, %s)=(%s, %s) is not present in table \"%s\".",
					get_attname(a->source, a->type_attnum, false),
					get_attname(a->source, a->id_attnum, false), first.kind,
					first.id, target_name)
			  : errdetail("Key is not present in table \"%s\".", target_name),
		 errtableconstraint(source, a->name)));
}

} // namespace polyref
