/*
 * config.cpp — the configuration tables (see config.hpp).
 */
#include "config.hpp"

#include "arguments.hpp"
#include "spi_util.hpp"

namespace polyref {

/*
 * query_latest's plans, kept for the backend's life: its callers run a few
 * texts again and again (the event triggers run on every DDL command), so
 * each text is prepared once for each role that runs it.  PostgreSQL
 * re-plans a kept plan from its text when what it reads changes.  Texts
 * beyond the first max_kept_queries (some name a table) are prepared for
 * the call and freed after it.
 */
struct KeptQuery
{
	char *sql; /* in TopMemoryContext */
	Oid role;
	SPIPlanPtr plan;
};

static const int max_kept_queries = 64;
static KeptQuery kept_queries[max_kept_queries];
static int nkept_queries = 0;

/* The plan for sql as role; *kept false when the caller must free it. */
static SPIPlanPtr
query_plan(const char *sql, int nargs, Oid *types, Oid role, bool *kept)
{
	for (int i = 0; i < nkept_queries; i++)
		if (kept_queries[i].role == role &&
			strcmp(kept_queries[i].sql, sql) == 0)
		{
			*kept = true;
			return kept_queries[i].plan;
		}
	SPIPlanPtr plan = prepare_as(sql, nargs, types, role);
	*kept = nkept_queries < max_kept_queries;
	if (*kept)
	{
		char *text = MemoryContextStrdup(TopMemoryContext, sql);
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "polyref: SPI_keepplan failed");
		kept_queries[nkept_queries++] = KeptQuery{ text, role, plan };
	}
	return plan;
}

uint64
query_latest(const char *sql, int nargs, Oid *types, Datum *values, Oid role,
			 long limit)
{
	CommandCounterIncrement();
	bool kept;
	SPIPlanPtr plan = query_plan(sql, nargs, types, role, &kept);
	uint64 n = execute_as(role, plan, values, NULL, GetLatestSnapshot(),
						  InvalidSnapshot, false, false, limit, sql);
	if (!kept)
		SPI_freeplan(plan);
	return n;
}

uint64
config_write(const char *sql, int nargs, Oid *types, Datum *values,
			 const char *nulls)
{
	/*
	 * An ordinary statement: its triggers (cache invalidation, the kinds'
	 * foreign key) fire.
	 */
	int rc = as_owner(config_owner(), [&] {
		return SPI_execute_with_args(sql, nargs, types, values, nulls, false,
									 0);
	});
	if (rc < 0)
		elog(ERROR, "polyref: \"%s\" failed: %s", sql,
			 SPI_result_code_string(rc));
	return SPI_processed;
}

void
config_insert_association(const ConfigAssociation *a)
{
	Oid types[13] = { REGCLASSOID, TEXTOID,     NAMEOID,     NAMEOID, TEXTOID,
					  TEXTOID,     BOOLOID,     BOOLOID,     BOOLOID, NAMEOID,
					  TEXTOID,     REGCLASSOID, NAMEARRAYOID };
	Datum values[13] = {
		ObjectIdGetDatum(a->source),
		CStringGetTextDatum(a->name),
		DirectFunctionCall1(namein, CStringGetDatum(a->type_column)),
		DirectFunctionCall1(namein, CStringGetDatum(a->id_column)),
		CStringGetTextDatum(action_name(a->on_delete)),
		CStringGetTextDatum(action_name(a->on_update)),
		BoolGetDatum(a->is_deferrable),
		BoolGetDatum(a->initially_deferred),
		BoolGetDatum(a->validated),
		a->created_index
			? DirectFunctionCall1(namein, CStringGetDatum(a->created_index))
			: (Datum) 0,
		CStringGetTextDatum(a->match_simple ? "simple" : "full"),
		ObjectIdGetDatum(a->kind_registry),
		a->nscope > 0 ? config_make_name_array(a->scope_columns, a->nscope)
					  : (Datum) 0
	};
	char nulls[14] = "             ";
	if (a->created_index == nullptr)
		nulls[9] = 'n';
	if (!OidIsValid(a->kind_registry))
		nulls[11] = 'n';
	if (a->nscope == 0)
		nulls[12] = 'n';
	/*
	 * 1.0's tables (the library of 1.1 before ALTER EXTENSION UPDATE) have no
	 * match_type nor scope_columns: everything declared there is MATCH FULL
	 * and unscoped.
	 */
	if (!config_has_match_type() || !config_has_scope_columns())
	{
		if (a->match_simple || a->nscope > 0)
			ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
							errmsg("%s needs polyref 1.1",
								   a->match_simple ? "match_type 'simple'"
												   : "scope_columns"),
							errhint("Run ALTER EXTENSION polyref UPDATE.")));
		config_write("INSERT INTO polyref.config_association (source, "
					 "association, type_column, id_column, on_delete, "
					 "on_update, is_deferrable, initially_deferred, validated, "
					 "created_index)"
					 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
					 10, types, values, nulls);
		return;
	}
	if (OidIsValid(a->kind_registry) && !config_has_kind_registry())
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("kind_registry needs polyref 1.1"),
						errhint("Run ALTER EXTENSION polyref UPDATE.")));
	config_write(
		"INSERT INTO polyref.config_association (source, association, "
		"type_column, id_column, on_delete, on_update, is_deferrable, "
		"initially_deferred, validated, created_index, match_type, "
		"kind_registry, scope_columns)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
		13, types, values, nulls);
}

char **
config_name_array(Datum array, bool isnull, int *n)
{
	*n = 0;
	if (isnull)
		return nullptr;
	bool *nulls;
	Datum *elements;
	deconstruct_array(DatumGetArrayTypeP(array), TEXTOID, -1, false,
					  TYPALIGN_INT, &elements, &nulls, n);
	char **names = mcxt_array0<char *>(*n + 1);
	for (int i = 0; i < *n; i++)
		names[i] = TextDatumGetCString(elements[i]);
	return names;
}

Datum
config_make_name_array(char *const *names, int n)
{
	Datum *values = mcxt_array<Datum>(n + 1);
	for (int i = 0; i < n; i++)
		values[i] = DirectFunctionCall1(namein, CStringGetDatum(names[i]));
	return make_array(values, n, NAMEOID);
}

void
config_insert_kind(Oid source, const char *name, const char *kind, Oid target,
				   const char *key_column)
{
	Oid types[5] = { REGCLASSOID, TEXTOID, TEXTOID, REGCLASSOID, NAMEOID };
	Datum values[5] = { ObjectIdGetDatum(source), CStringGetTextDatum(name),
						CStringGetTextDatum(kind), ObjectIdGetDatum(target),
						DirectFunctionCall1(namein,
											CStringGetDatum(key_column)) };
	config_write("INSERT INTO polyref.config_kind (source, association, kind, "
				 "target, key_column) VALUES ($1, $2, $3, $4, $5)",
				 5, types, values);
}

void
config_delete_association(Oid source, const char *name)
{
	Oid types[2] = { OIDOID, TEXTOID };
	Datum values[2] = { ObjectIdGetDatum(source), CStringGetTextDatum(name) };
	static const char *const deletes[] = {
		"DELETE FROM polyref.config_kind WHERE source::pg_catalog.oid "
		"OPERATOR(pg_catalog.=) $1"
		" AND association OPERATOR(pg_catalog.=) $2",
		"DELETE FROM polyref.config_join_view WHERE source::pg_catalog.oid "
		"OPERATOR(pg_catalog.=) $1"
		" AND association OPERATOR(pg_catalog.=) $2",
		"DELETE FROM polyref.config_association WHERE source::pg_catalog.oid "
		"OPERATOR(pg_catalog.=) $1"
		" AND association OPERATOR(pg_catalog.=) $2",
	};
	spi_open();
	for (const char *sql : deletes)
		config_write(sql, 2, types, values);
	spi_close();
}

bool
config_has_scope_columns()
{
	return get_attnum(config_association_relid(), "scope_columns") !=
		   InvalidAttrNumber;
}

bool
config_has_match_type()
{
	return get_attnum(config_association_relid(), "match_type") !=
		   InvalidAttrNumber;
}

bool
config_has_kind_registry()
{
	return get_attnum(config_association_relid(), "kind_registry") !=
		   InvalidAttrNumber;
}

/* The columns read_association reads, in its order. */
static const char *
association_columns()
{
	return psprintf(
		"source::pg_catalog.oid, association, type_column::pg_catalog.text, "
		"id_column::pg_catalog.text, on_delete, on_update, is_deferrable, "
		"initially_deferred, validated, created_index::pg_catalog.text, %s, "
		"%s, %s",
		config_has_match_type() ? "match_type OPERATOR(pg_catalog.=) 'simple'"
								: "false",
		config_has_kind_registry() ? "kind_registry::pg_catalog.oid"
								   : "NULL::pg_catalog.oid",
		config_has_scope_columns() ? "scope_columns::pg_catalog.text[]"
								   : "NULL::pg_catalog.text[]");
}

/*
 * Copies row i of SPI_tuptable (selected with association_columns) into the
 * caller's context.
 */
static void
read_association(uint64 i, ConfigAssociation *out, MemoryContext memory)
{
	HeapTuple tuple = SPI_tuptable->vals[i];
	TupleDesc desc = SPI_tuptable->tupdesc;
	MemoryContext spi_memory = MemoryContextSwitchTo(memory);
	bool isnull;
	out->source = DatumGetObjectId(SPI_getbinval(tuple, desc, 1, &isnull));
	out->name = SPI_getvalue(tuple, desc, 2);
	out->type_column = SPI_getvalue(tuple, desc, 3);
	out->id_column = SPI_getvalue(tuple, desc, 4);
	parse_action(SPI_getvalue(tuple, desc, 5), &out->on_delete);
	parse_action(SPI_getvalue(tuple, desc, 6), &out->on_update);
	out->is_deferrable = DatumGetBool(SPI_getbinval(tuple, desc, 7, &isnull));
	out->initially_deferred =
		DatumGetBool(SPI_getbinval(tuple, desc, 8, &isnull));
	out->validated = DatumGetBool(SPI_getbinval(tuple, desc, 9, &isnull));
	out->created_index = SPI_getvalue(tuple, desc, 10);
	out->match_simple = DatumGetBool(SPI_getbinval(tuple, desc, 11, &isnull));
	Datum registry = SPI_getbinval(tuple, desc, 12, &isnull);
	out->kind_registry = isnull ? InvalidOid : DatumGetObjectId(registry);
	Datum scope = SPI_getbinval(tuple, desc, 13, &isnull);
	out->scope_columns = config_name_array(scope, isnull, &out->nscope);
	out->targets_relid = false;
	MemoryContextSwitchTo(spi_memory);
}

bool
config_find_association(Oid source, const char *name, ConfigAssociation *out,
						bool lock)
{
	MemoryContext caller_memory = CurrentMemoryContext;
	spi_open();
	char *sql = psprintf("SELECT %s FROM polyref.config_association"
						 " WHERE source OPERATOR(pg_catalog.=) $1 AND "
						 "association OPERATOR(pg_catalog.=) $2%s",
						 association_columns(), lock ? " FOR UPDATE" : "");
	Oid types[2] = { REGCLASSOID, TEXTOID };
	Datum values[2] = { ObjectIdGetDatum(source), CStringGetTextDatum(name) };
	bool found = query_latest(sql, 2, types, values, config_owner(), 0) > 0;
	if (found)
		read_association(0, out, caller_memory);
	spi_close();
	return found;
}

/* Copies SPI_tuptable's n rows, selected with kind_columns, to memory. */
static ConfigKind *
read_kinds(uint64 n, MemoryContext memory)
{
	ConfigKind *kinds = mcxt_array0<ConfigKind>(n + 1, memory);
	MemoryContext spi_memory = MemoryContextSwitchTo(memory);
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple tuple = SPI_tuptable->vals[i];
		TupleDesc desc = SPI_tuptable->tupdesc;
		bool isnull;
		kinds[i].kind = SPI_getvalue(tuple, desc, 1);
		kinds[i].target =
			DatumGetObjectId(SPI_getbinval(tuple, desc, 2, &isnull));
		kinds[i].key_column = SPI_getvalue(tuple, desc, 3);
		kinds[i].source =
			DatumGetObjectId(SPI_getbinval(tuple, desc, 4, &isnull));
		kinds[i].association = SPI_getvalue(tuple, desc, 5);
	}
	MemoryContextSwitchTo(spi_memory);
	return kinds;
}

static const char *const kind_columns =
	"kind, target::pg_catalog.oid, key_column::pg_catalog.text, "
	"source::pg_catalog.oid, association";

/* The kinds filter selects (WHERE ... ORDER BY ...), with its parameters. */
static ConfigKind *
query_kinds(const char *filter, int nargs, Oid *types, Datum *values,
			int *count)
{
	MemoryContext caller_memory = CurrentMemoryContext;
	spi_open();
	uint64 n = query_latest(
		psprintf("SELECT %s FROM polyref.config_kind %s", kind_columns, filter),
		nargs, types, values, config_owner(), 0);
	ConfigKind *kinds = read_kinds(n, caller_memory);
	*count = (int) n;
	spi_close();
	return kinds;
}

ConfigKind *
config_kinds(Oid source, const char *name, int *count)
{
	Oid types[2] = { REGCLASSOID, TEXTOID };
	Datum values[2] = { ObjectIdGetDatum(source), CStringGetTextDatum(name) };
	return query_kinds("WHERE source OPERATOR(pg_catalog.=) $1"
					   "  AND association OPERATOR(pg_catalog.=) $2"
					   " ORDER BY kind COLLATE \"C\"",
					   2, types, values, count);
}

ConfigKind *
config_all_kinds(int *count)
{
	return query_kinds("ORDER BY source, association, kind COLLATE \"C\"", 0,
					   nullptr, nullptr, count);
}

ConfigKind *
config_kinds_touching(Oid relid, int *count)
{
	Oid types[1] = { REGCLASSOID };
	Datum values[1] = { ObjectIdGetDatum(relid) };
	return query_kinds(
		"WHERE (source, association) IN"
		" (SELECT k.source, k.association FROM polyref.config_kind k"
		"   WHERE k.source OPERATOR(pg_catalog.=) $1"
		"      OR k.target OPERATOR(pg_catalog.=) $1)"
		" ORDER BY source, association, kind COLLATE \"C\"",
		1, types, values, count);
}

bool
config_kind_of(const ConfigKind *k, const ConfigAssociation *a)
{
	return k->source == a->source && strcmp(k->association, a->name) == 0;
}

ConfigAssociation *
config_all_associations(int *count)
{
	MemoryContext caller_memory = CurrentMemoryContext;
	spi_open();
	uint64 n =
		query_latest(psprintf("SELECT %s FROM polyref.config_association",
							  association_columns()),
					 0, nullptr, nullptr, config_owner(), 0);
	ConfigAssociation *all =
		mcxt_array0<ConfigAssociation>(n + 1, caller_memory);
	for (uint64 i = 0; i < n; i++)
		read_association(i, &all[i], caller_memory);
	*count = (int) n;
	spi_close();
	return all;
}

ConfigAssociation *
config_associations_touching(Oid relid, int *count)
{
	MemoryContext caller_memory = CurrentMemoryContext;
	spi_open();
	char *sql = psprintf(
		"SELECT %s, t.targets FROM polyref.config_association a,"
		"       LATERAL (SELECT EXISTS (SELECT 1 FROM polyref.config_kind k"
		"                WHERE k.source OPERATOR(pg_catalog.=) a.source"
		"                  AND k.association OPERATOR(pg_catalog.=) "
		"a.association"
		"                  AND k.target OPERATOR(pg_catalog.=) $1)) t (targets)"
		" WHERE a.source OPERATOR(pg_catalog.=) $1 OR t.targets"
		" ORDER BY a.association COLLATE \"C\", a.source",
		association_columns());
	Oid types[1] = { REGCLASSOID };
	Datum values[1] = { ObjectIdGetDatum(relid) };
	uint64 n = query_latest(sql, 1, types, values, config_owner(), 0);
	ConfigAssociation *found =
		mcxt_array0<ConfigAssociation>(n + 1, caller_memory);
	for (uint64 i = 0; i < n; i++)
	{
		bool isnull;
		read_association(i, &found[i], caller_memory);
		found[i].targets_relid = DatumGetBool(
			SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
						  SPI_tuptable->tupdesc->natts, &isnull));
	}
	*count = (int) n;
	spi_close();
	return found;
}

ConfigAssociation *
config_associations_of_registry(Oid registry, int *count)
{
	*count = 0;
	if (!config_has_kind_registry())
		return nullptr;
	MemoryContext caller_memory = CurrentMemoryContext;
	spi_open();
	Oid types[1] = { OIDOID };
	Datum values[1] = { ObjectIdGetDatum(registry) };
	uint64 n = query_latest(
		psprintf("SELECT %s FROM polyref.config_association"
				 " WHERE kind_registry::pg_catalog.oid OPERATOR(pg_catalog.=) "
				 "$1 ORDER BY association COLLATE \"C\", source",
				 association_columns()),
		1, types, values, config_owner(), 0);
	ConfigAssociation *found =
		mcxt_array0<ConfigAssociation>(n + 1, caller_memory);
	for (uint64 i = 0; i < n; i++)
		read_association(i, &found[i], caller_memory);
	*count = (int) n;
	spi_close();
	return found;
}

} // namespace polyref
