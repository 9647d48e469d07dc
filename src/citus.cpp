/*
 * citus.cpp — polyref on Citus: the declarations the shards of this node
 * carry, and the shapes Citus can enforce (see citus.hpp).
 */
#include "citus.hpp"

#include "boundary.hpp"
#include "config.hpp"
#include "schema_carrier.hpp"
#include "spi_util.hpp"
#include "triggers.hpp"

#include <algorithm>
#include <cstring>

namespace polyref {

bool
citus_installed()
{
	return OidIsValid(
		get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE));
}

/* ------------------------------------------------------------------------
 * How Citus holds a table
 */

enum class CitusTable : uint8
{
	Local,       /* not in Citus's metadata */
	Reference,   /* one shard, a placement on every node */
	Distributed, /* hash, range or append shards, or schema-based sharding */
	CitusLocal,  /* citus_add_local_table_to_metadata: one shard, coordinator */
};

static CitusTable
citus_table(Oid relid)
{
	if (!citus_installed())
		return CitusTable::Local;
	Oid types[1] = { OIDOID };
	Datum values[1] = { ObjectIdGetDatum(relid) };
	spi_open();
	uint64 n = query_latest(
		"SELECT partmethod::pg_catalog.text, repmodel::pg_catalog.text,"
		"       colocationid OPERATOR(pg_catalog.<>) 0"
		"  FROM pg_catalog.pg_dist_partition"
		" WHERE logicalrelid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
		1, types, values, GetUserId(), 1);
	CitusTable kind = CitusTable::Local;
	if (n > 0)
	{
		HeapTuple row = SPI_tuptable->vals[0];
		TupleDesc desc = SPI_tuptable->tupdesc;
		const char *method = SPI_getvalue(row, desc, 1);
		const char *model = SPI_getvalue(row, desc, 2);
		bool isnull;
		bool colocated = DatumGetBool(SPI_getbinval(row, desc, 3, &isnull));
		if (strcmp(method, "n") != 0)
			kind = CitusTable::Distributed;
		else if (strcmp(model, "t") == 0)
			kind = CitusTable::Reference;
		else
			kind = colocated ? CitusTable::Distributed : CitusTable::CitusLocal;
	}
	spi_close();
	return kind;
}

bool
citus_has_shards(Oid relid)
{
	return citus_table(relid) != CitusTable::Local;
}

/* ------------------------------------------------------------------------
 * Shapes
 */

[[noreturn]] static void
refuse_shape(const char *name, Oid source, Oid target, const char *detail,
			 const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("association \"%s\" from table \"%s\" to table \"%s\" "
					"cannot be enforced on Citus",
					name, get_rel_name(source), get_rel_name(target)),
			 errdetail("%s", detail), errhint("%s", hint)));
}

void
citus_check_shape(Oid source, Oid target, const char *name, bool distributing)
{
	if (!citus_installed())
		return;
	CitusTable from = citus_table(source);
	CitusTable to = citus_table(target);
	const char *target_name = get_rel_name(target);
	const char *source_name = get_rel_name(source);
	switch (from)
	{
		case CitusTable::Local:
			if (to == CitusTable::Local)
				return;
			if (to == CitusTable::Reference && distributing)
			{
				/*
				 * The way there: the targets become reference tables, then
				 * the source is distributed (its rows are checked on the
				 * workers against their copies of the targets).
				 */
				ereport(WARNING,
						(errmsg("association \"%s\" from local table \"%s\" "
								"to reference table \"%s\" is not enforced "
								"when rows of \"%s\" change",
								name, source_name, target_name, target_name),
						 errhint("Distribute table \"%s\" or make it a "
								 "reference table.",
								 source_name)));
				return;
			}
			refuse_shape(
				name, source, target,
				"The rows of a Citus table change on the nodes that hold its "
				"shards, which cannot act on a table of the coordinator.",
				psprintf("Distribute table \"%s\" or make it a reference "
						 "table first, as Citus needs for a foreign key.",
						 source_name));
		case CitusTable::Reference:
			if (to == CitusTable::Reference)
				return;
			refuse_shape(
				name, source, target,
				"Citus enforces a reference from a reference table only to "
				"another reference table, whose copy is on every node.",
				psprintf("Make table \"%s\" a reference table with "
						 "create_reference_table().",
						 target_name));
		case CitusTable::Distributed:
			if (to == CitusTable::Reference)
				return;
			refuse_shape(
				name, source, target,
				to == CitusTable::Distributed
					? "Citus enforces a reference between distributed tables "
					  "only when they are co-located and the key includes the "
					  "distribution column; polyref does not support "
					  "distributed targets yet: a distributed table may "
					  "reference only reference tables."
					: "Citus enforces a reference from a distributed table "
					  "only to a reference table, whose copy is on every "
					  "node that holds shards.",
				psprintf("Make table \"%s\" a reference table with "
						 "create_reference_table().",
						 target_name));
		case CitusTable::CitusLocal:
			refuse_shape(name, source, target,
						 "polyref does not enforce associations of Citus "
						 "local tables (citus_add_local_table_to_metadata).",
						 "Distribute the table, or make it a reference table.");
	}
}

/* Every declaration of this database, after tables changed hands. */
static void
check_every_declaration()
{
	if (!citus_installed())
		return;
	int nkinds;
	ConfigKind *kinds = config_all_kinds(&nkinds);
	for (int i = 0; i < nkinds; i++)
		if (get_rel_relkind(kinds[i].source) != '\0' &&
			get_rel_relkind(kinds[i].target) != '\0')
			citus_check_shape(kinds[i].source, kinds[i].target,
							  kinds[i].association, true);
}

/* ------------------------------------------------------------------------
 * The functions that make a table a Citus table are C functions, which no
 * event trigger sees: fmgr_hook notes that one ran, and every declaration is
 * checked when the transaction commits.  At commit, not at once: a source
 * and its targets are distributed one call after the other, and only the
 * end state must be a shape Citus can enforce.
 */

static needs_fmgr_hook_type previous_needs_fmgr_hook = nullptr;
static fmgr_hook_type previous_fmgr_hook = nullptr;
static bool tables_changed_hands = false;

static bool
distributes_tables(Oid function)
{
	static const char *const names[] = {
		"create_distributed_table",
		"create_reference_table",
		"citus_add_local_table_to_metadata",
		"alter_distributed_table",
		"update_distributed_table_colocation",
	};
	HeapTuple tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(function));
	if (!HeapTupleIsValid(tuple))
		return false;
	Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(tuple);
	bool found = false;
	if (proc->pronamespace == PG_CATALOG_NAMESPACE &&
		proc->prolang == ClanguageId)
		for (const char *name : names)
			if (strcmp(NameStr(proc->proname), name) == 0)
				found = true;
	ReleaseSysCache(tuple);
	return found;
}

static bool
needs_hook(Oid function)
{
	if (previous_needs_fmgr_hook != nullptr &&
		previous_needs_fmgr_hook(function))
		return true;
	return distributes_tables(function);
}

static void
on_function_event(FmgrHookEventType event, FmgrInfo *flinfo, Datum *arg)
{
	if (previous_fmgr_hook != nullptr)
		previous_fmgr_hook(event, flinfo, arg);
	if (event == FHET_END && distributes_tables(flinfo->fn_oid))
		tables_changed_hands = true;
}

static void
on_transaction_event(XactEvent event, void *)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			if (tables_changed_hands)
				enter_cpp(check_every_declaration);
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			tables_changed_hands = false;
			break;
		default:
			break;
	}
}

void
citus_init()
{
	previous_needs_fmgr_hook = needs_fmgr_hook;
	needs_fmgr_hook = needs_hook;
	previous_fmgr_hook = fmgr_hook;
	fmgr_hook = on_function_event;
	RegisterXactCallback(on_transaction_event, nullptr);
}

/* ------------------------------------------------------------------------
 * Triggers Citus copies
 */

/* The shard id a Citus shard's name ends with ("comments_102011"), or 0. */
static int64
shard_id_suffix(const char *name)
{
	const char *underscore = strrchr(name, '_');
	if (underscore == nullptr || underscore[1] == '\0')
		return 0;
	for (const char *c = underscore + 1; *c; c++)
		if (*c < '0' || *c > '9')
			return 0;
	return strtoll(underscore + 1, nullptr, 10);
}

/* Whether relid is a shard of a Citus table, as this node's metadata says. */
static bool
is_known_shard(Oid relid)
{
	int64 shard = shard_id_suffix(get_rel_name(relid));
	if (shard == 0)
		return false;
	Oid types[2] = { INT8OID, OIDOID };
	Datum values[2] = { Int64GetDatum(shard), ObjectIdGetDatum(relid) };
	spi_open();
	bool known =
		query_latest("SELECT 1 FROM pg_catalog.pg_dist_shard"
					 " WHERE shardid OPERATOR(pg_catalog.=) $1"
					 "   AND pg_catalog.to_regclass(pg_catalog.shard_name("
					 "logicalrelid, shardid)) OPERATOR(pg_catalog.=) $2",
					 2, types, values, GetUserId(), 1) > 0;
	spi_close();
	return known;
}

/*
 * A backend Citus opened to run its own commands on this node (its
 * application_name says so: CITUS_APPLICATION_NAME_PREFIX and its kin).
 */
static bool
citus_internal_backend()
{
	const char *name = GetConfigOption("application_name", true, false);
	static const char *const prefixes[] = {
		"citus_internal gpid=", "citus_rebalancer gpid=", "citus_shard_"
	};
	if (name != nullptr)
		for (const char *prefix : prefixes)
			if (strncmp(name, prefix, strlen(prefix)) == 0)
				return true;
	return false;
}

bool
citus_copied_trigger(Relation rel, const char *trigger_name)
{
	int64 shard = shard_id_suffix(RelationGetRelationName(rel));
	return shard != 0 && shard_id_suffix(trigger_name) == shard &&
		   citus_installed();
}

bool
citus_copies_trigger(Oid relid)
{
	/*
	 * A worker's shards are made before its metadata knows them: there, every
	 * trigger made by Citus's own backends is a copy.
	 */
	return citus_installed() &&
		   (citus_internal_backend() || is_known_shard(relid));
}

/* ------------------------------------------------------------------------
 * The declarations this node's shards carry
 */

/* A polyref constraint trigger with a declaration, on a shard placed here. */
struct ShardTrigger
{
	Oid trigger;
	Oid shard;
	int64 shard_id;
};

/*
 * The shards by their names, not by Citus's metadata: when Citus copies a
 * table's rows into its new shards, the deferred checks of that copy run in
 * a backend of each worker that cannot see the metadata another of Citus's
 * connections is writing in the same transaction.  A shard is a table
 * "<name>_<n>" whose copied constraint trigger is "<association>_<n>" and
 * carries a declaration, and that is not itself a declared source.  (Not
 * read from pg_class, which Citus filters to hide shards from sessions.)
 */
static ShardTrigger *
local_shard_triggers(int *count)
{
	Oid types[1] = { OIDOID };
	Datum values[1] = { ObjectIdGetDatum(
		polyref_function_oid("constraint_trigger")) };
	MemoryContext caller_memory = CurrentMemoryContext;
	spi_open();
	uint64 n = query_latest(
		"SELECT t.oid, t.tgrelid, t.tgname::pg_catalog.text"
		"  FROM pg_catalog.pg_trigger t"
		" WHERE t.tgfoid OPERATOR(pg_catalog.=) $1"
		"   AND t.tgnargs OPERATOR(pg_catalog.>) 0"
		"   AND t.tgparentid OPERATOR(pg_catalog.=) 0"
		"   AND NOT EXISTS (SELECT FROM polyref.config_association a"
		"                    WHERE a.source OPERATOR(pg_catalog.=) t.tgrelid)"
		" ORDER BY 2, 1",
		1, types, values, config_owner(), 0);
	ShardTrigger *found = mcxt_array0<ShardTrigger>(n + 1, caller_memory);
	int nfound = 0;
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple row = SPI_tuptable->vals[i];
		TupleDesc desc = SPI_tuptable->tupdesc;
		bool isnull;
		Oid relid = DatumGetObjectId(SPI_getbinval(row, desc, 2, &isnull));
		const char *relname = get_rel_name(relid);
		int64 shard = relname ? shard_id_suffix(relname) : 0;
		if (shard == 0 || shard_id_suffix(SPI_getvalue(row, desc, 3)) != shard)
			continue;
		found[nfound].trigger =
			DatumGetObjectId(SPI_getbinval(row, desc, 1, &isnull));
		found[nfound].shard = relid;
		found[nfound].shard_id = shard;
		nfound++;
	}
	spi_close();
	*count = nfound;
	return found;
}

/*
 * This node's placement of a reference table named as carried
 * ("public.posts"), and its shard id; InvalidOid when there is none here.
 * Only reference tables: a distributed target's rows would be on other nodes
 * (citus_check_shape refuses it), so a kind naming one is left out and its
 * rows fail as undeclared, never pass unchecked.
 */
static Oid
local_reference_shard(const char *carried_name, int64 *shard_id)
{
	Oid types[1] = { TEXTOID };
	Datum values[1] = { CStringGetTextDatum(carried_name) };
	Oid shard = InvalidOid;
	spi_open();
	uint64 n = query_latest(
		"SELECT pg_catalog.to_regclass(pg_catalog.shard_name(s.logicalrelid,"
		" s.shardid))::pg_catalog.oid, s.shardid"
		"  FROM pg_catalog.pg_dist_partition d"
		"  JOIN pg_catalog.pg_dist_shard s"
		"    ON s.logicalrelid OPERATOR(pg_catalog.=) d.logicalrelid"
		"  JOIN pg_catalog.pg_dist_placement p"
		"    ON p.shardid OPERATOR(pg_catalog.=) s.shardid"
		" WHERE d.logicalrelid OPERATOR(pg_catalog.=)"
		"       pg_catalog.to_regclass($1)"
		"   AND d.partmethod OPERATOR(pg_catalog.=) 'n'"
		"   AND d.repmodel OPERATOR(pg_catalog.=) 't'"
		"   AND p.groupid OPERATOR(pg_catalog.=)"
		"       (SELECT groupid FROM pg_catalog.pg_dist_local_group)",
		1, types, values, GetUserId(), 1);
	if (n > 0)
	{
		bool isnull;
		Datum relid = SPI_getbinval(SPI_tuptable->vals[0],
									SPI_tuptable->tupdesc, 1, &isnull);
		if (!isnull)
		{
			shard = DatumGetObjectId(relid);
			*shard_id = DatumGetInt64(SPI_getbinval(
				SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		}
	}
	spi_close();
	return shard;
}

static int
suffix_length(int64 shard_id)
{
	return (int) strlen(psprintf("_" INT64_FORMAT, shard_id));
}

/* Rows of one association grouped by target and key column, as read_config's.
 */
static bool
row_less(const ConfigRow &x, const ConfigRow &y)
{
	if (x.target != y.target)
		return x.target < y.target;
	return strcmp(x.key_column, y.key_column) < 0;
}

ConfigRow *
citus_shard_rows(int *nrows, ShardSuffix **suffixes, int *nsuffixes)
{
	*nrows = 0;
	*nsuffixes = 0;
	*suffixes = nullptr;
	if (!citus_installed())
		return nullptr;
	int ntriggers;
	ShardTrigger *triggers = local_shard_triggers(&ntriggers);
	int capacity = 0;
	CarriedText *carried = mcxt_array0<CarriedText>(ntriggers + 1);
	for (int i = 0; i < ntriggers; i++)
		if (read_carried_text(triggers[i].trigger, &carried[i]))
			capacity += Max(carried[i].nkinds, 1);
	ConfigRow *rows = mcxt_array0<ConfigRow>(capacity + 1);
	*suffixes = mcxt_array0<ShardSuffix>(capacity + ntriggers + 1);
	for (int i = 0; i < ntriggers; i++)
	{
		const CarriedText *c = &carried[i];
		if (c->trigger_name == nullptr)
			continue;
		/* The association's name: Citus appended "_<shard id>" to it. */
		int suffix = suffix_length(triggers[i].shard_id);
		int name_length = (int) strlen(c->trigger_name) - suffix;
		if (name_length <= 0 ||
			shard_id_suffix(c->trigger_name) != triggers[i].shard_id)
			continue; /* a name Citus shortened: its writes fail closed */
		(*suffixes)[(*nsuffixes)++] = ShardSuffix{ triggers[i].shard, suffix };
		ConfigRow base{};
		base.source = triggers[i].shard;
		base.association = pnstrdup(c->trigger_name, name_length);
		base.type_column = (char *) c->type_column;
		base.id_column = (char *) c->id_column;
		base.on_delete = (char *) action_name(c->on_delete);
		base.on_update = (char *) action_name(c->on_update);
		base.is_deferrable = c->deferrable;
		base.initially_deferred = c->initially_deferred;
		base.validated = c->validated;
		base.match_simple = c->match_simple;
		int first = *nrows;
		for (int k = 0; k < c->nkinds; k++)
		{
			int64 target_shard_id = 0;
			Oid target =
				local_reference_shard(c->kinds[k].target, &target_shard_id);
			if (!OidIsValid(target))
				continue;
			ConfigRow *row = &rows[(*nrows)++];
			*row = base;
			row->kind = (char *) c->kinds[k].kind;
			row->target = target;
			row->key_column = (char *) c->kinds[k].key_column;
			(*suffixes)[(*nsuffixes)++] =
				ShardSuffix{ target, suffix_length(target_shard_id) };
		}
		if (*nrows == first)
			rows[(*nrows)++] = base; /* no kind this node can check */
		std::sort(rows + first, rows + *nrows, row_less);
	}
	return rows;
}

} // namespace polyref
