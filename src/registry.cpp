/*
 * registry.cpp — kind registries (see registry.hpp): the registry's keys and
 * labels, what declare checks, and polyref.registry_trigger().
 */
#include "registry.hpp"

#include "boundary.hpp"
#include "config.hpp"
#include "join_views.hpp"
#include "probe.hpp"
#include "report.hpp"
#include "schema_carrier.hpp"
#include "spi_util.hpp"
#include "sql_names.hpp"

#include <algorithm>
#include <cstring>

namespace polyref {

struct RegistryEntry
{
	const char *label;
	const char *key;
};

struct RegistryMap
{
	RegistryEntry *entries; /* sorted by label bytes */
	int n;
};

/* ------------------------------------------------------------------------
 * The registry's keys
 */

/* Its single-column primary key, or InvalidAttrNumber. */
static AttrNumber
registry_key_attnum(Oid registry)
{
	Relation rel = table_open(registry, AccessShareLock);
	Oid pk_index = polyref_primary_key_index(rel);
	table_close(rel, AccessShareLock);
	AttrNumber attnum = InvalidAttrNumber;
	if (!OidIsValid(pk_index))
		return attnum;
	HeapTuple tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(pk_index));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for index %u", pk_index);
	Form_pg_index index = (Form_pg_index) GETSTRUCT(tuple);
	if (index->indnkeyatts == 1)
		attnum = index->indkey.values[0];
	ReleaseSysCache(tuple);
	return attnum;
}

/*
 * The columns of the registry's other unique key (the label), in the key's
 * order: false unless there is exactly one such key (valid, immediate, of
 * plain columns, not partial).
 */
static bool
registry_label_columns(Oid registry, AttrNumber key_attnum,
					   AttrNumber **attnums, int *n)
{
	Relation rel = table_open(registry, AccessShareLock);
	List *indexes = RelationGetIndexList(rel);
	table_close(rel, AccessShareLock);
	int found = 0;
	ListCell *cell;
	foreach (cell, indexes)
	{
		HeapTuple tuple =
			SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(cell)));
		if (!HeapTupleIsValid(tuple))
			continue;
		Form_pg_index index = (Form_pg_index) GETSTRUCT(tuple);
		bool label_key = index->indisunique && index->indisvalid &&
						 index->indimmediate &&
						 !(index->indnkeyatts == 1 &&
						   index->indkey.values[0] == key_attnum) &&
						 heap_attisnull(tuple, Anum_pg_index_indpred, NULL) &&
						 heap_attisnull(tuple, Anum_pg_index_indexprs, NULL);
		if (label_key && found++ == 0)
		{
			*n = index->indnkeyatts;
			*attnums = (AttrNumber *) palloc(sizeof(AttrNumber) * *n);
			for (int i = 0; i < *n; i++)
				(*attnums)[i] = index->indkey.values[i];
		}
		ReleaseSysCache(tuple);
	}
	list_free(indexes);
	return found == 1;
}

TargetRef *
registry_target(Association *a)
{
	Oid registry = a->kind_registry;
	AttrNumber key_attnum = get_rel_relkind(registry) == '\0'
								? InvalidAttrNumber
								: registry_key_attnum(registry);
	TargetRef *target = mcxt_object0<TargetRef>();
	target->association = a;
	if (key_attnum == InvalidAttrNumber ||
		find_target_key(target, registry,
						get_attname(registry, key_attnum, false),
						a->type_type) != KeyProblem::None ||
		target->id_match != IdMatch::Operator)
	{
		/* DDL done while event triggers were off: no kind can be found. */
		ereport(WARNING,
				(errmsg("polyref: kind registry of association \"%s\" on "
						"table \"%s\" has no usable key",
						a->name, get_rel_name(a->source)),
				 errhint("Restore the registry's primary key, or undeclare "
						 "the association.")));
		return nullptr;
	}
	target->partitioned =
		get_rel_relkind(registry) == RELKIND_PARTITIONED_TABLE;
	target->owner = relation_owner(registry);
	prepare_direct_probe(target, a->type_type);
	return target;
}

static bool
entry_less(const RegistryEntry &x, const RegistryEntry &y)
{
	return strcmp(x.label, y.label) < 0;
}

/* label columns as SQL: c1::text || '.' || c2::text (NULL if any is). */
static char *
label_expression(Oid registry, const AttrNumber *attnums, int n)
{
	StringInfoData sql;
	initStringInfo(&sql);
	for (int i = 0; i < n; i++)
		appendStringInfo(
			&sql, "%sr.%s::pg_catalog.text",
			i > 0 ? " OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) "
				  : "",
			quote_identifier(get_attname(registry, attnums[i], false)));
	return sql.data;
}

const RegistryMap *
registry_read(Association *a)
{
	RegistryMap *map = mcxt_object0<RegistryMap>();
	if (a->registry == nullptr)
		return map;
	Oid registry = a->kind_registry;
	AttrNumber *attnums;
	int n;
	if (!registry_label_columns(registry, a->registry->key_attnum, &attnums,
								&n))
		return map; /* no label: no kind is present */
	MemoryContext memory = CurrentMemoryContext;
	spi_open();
	char *sql = psprintf(
		"SELECT r.%s::pg_catalog.text, %s FROM %s r",
		quote_identifier(get_attname(registry, a->registry->key_attnum, false)),
		label_expression(registry, attnums, n), scanned_relation(registry));
	uint64 rows = query_latest(sql, 0, nullptr, nullptr, a->registry->owner, 0);
	map->entries = mcxt_array0<RegistryEntry>(rows + 1, memory);
	for (uint64 i = 0; i < rows; i++)
	{
		HeapTuple tuple = SPI_tuptable->vals[i];
		TupleDesc desc = SPI_tuptable->tupdesc;
		char *label = SPI_getvalue(tuple, desc, 2);
		if (label == nullptr)
			continue;
		map->entries[map->n].label = MemoryContextStrdup(memory, label);
		map->entries[map->n].key =
			MemoryContextStrdup(memory, SPI_getvalue(tuple, desc, 1));
		map->n++;
	}
	spi_close();
	std::sort(map->entries, map->entries + map->n, entry_less);
	return map;
}

bool
registry_label_sql(Oid registry, const char **key_column, const char **label)
{
	AttrNumber key_attnum = registry_key_attnum(registry);
	AttrNumber *attnums;
	int n;
	if (key_attnum == InvalidAttrNumber ||
		!registry_label_columns(registry, key_attnum, &attnums, &n))
		return false;
	*key_column = quote_identifier(get_attname(registry, key_attnum, false));
	*label = label_expression(registry, attnums, n);
	return true;
}

char *
registry_key_query(Association *a, const char *label)
{
	Oid registry = a->kind_registry;
	AttrNumber *attnums = nullptr;
	int n = 0;
	if (a->registry == nullptr ||
		!registry_label_columns(registry, a->registry->key_attnum, &attnums,
								&n))
		return pstrdup("SELECT NULL");
	return psprintf(
		"SELECT r.%s FROM %s r WHERE %s OPERATOR(pg_catalog.=) "
		"%s::pg_catalog.text",
		quote_identifier(get_attname(registry, a->registry->key_attnum, false)),
		scanned_relation(registry), label_expression(registry, attnums, n),
		quote_literal_cstr(label));
}

const char *
registry_key_text(const RegistryMap *map, const char *label)
{
	if (map == nullptr)
		return nullptr;
	RegistryEntry probe{ label, nullptr };
	RegistryEntry *end = map->entries + map->n;
	RegistryEntry *it = std::lower_bound(map->entries, end, probe, entry_less);
	return it != end && strcmp(it->label, label) == 0 ? it->key : nullptr;
}

void
check_kind_registry(Oid registry, Oid source, const char *type_column)
{
	if (get_rel_relkind(registry) != RELKIND_RELATION)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("kind registry \"%s\" must be a plain table",
							   get_rel_name(registry))));
	AttrNumber key_attnum = registry_key_attnum(registry);
	if (key_attnum == InvalidAttrNumber)
		ereport(ERROR, (errcode(ERRCODE_INVALID_FOREIGN_KEY),
						errmsg("there is no single-column primary key for kind "
							   "registry \"%s\"",
							   get_rel_name(registry))));
	AttrNumber *attnums;
	int n;
	if (!registry_label_columns(registry, key_attnum, &attnums, &n))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FOREIGN_KEY),
				 errmsg("kind registry \"%s\" needs exactly one unique key "
						"besides its primary key",
						get_rel_name(registry)),
				 errdetail("Its columns, joined with '.', are the labels of "
						   "the kinds.")));
	Oid kind_type =
		getBaseType(get_atttype(source, get_attnum(source, type_column)));
	if (kind_type != INT2OID && kind_type != INT4OID && kind_type != INT8OID)
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
						errmsg("kind column \"%s\" of table \"%s\" has type %s",
							   type_column, get_rel_name(source),
							   format_type_be(kind_type)),
						errhint("With kind_registry, the kind column holds the "
								"registry's key: smallint, integer or "
								"bigint.")));
	TargetRef probe{};
	resolve_target_key(&probe, registry,
					   get_attname(registry, key_attnum, false), kind_type,
					   "kind_registry");
}

Association *
registry_refresh(Association *a, Catalog **catalog)
{
	AcceptInvalidationMessages();
	Catalog *now = catalog_current();
	if (now == *catalog)
		return nullptr;
	*catalog = now;
	return catalog_find(now, a->source, a->name);
}

/* ------------------------------------------------------------------------
 * The registry trigger
 */

/* A registry row's label, from the trigger's slot (NULL if a part is). */
static char *
row_label(TupleTableSlot *row, const AttrNumber *attnums, int n)
{
	StringInfoData label;
	initStringInfo(&label);
	TupleDesc desc = row->tts_tupleDescriptor;
	for (int i = 0; i < n; i++)
	{
		bool isnull;
		Datum value = slot_getattr(row, attnums[i], &isnull);
		if (isnull)
			return nullptr;
		Oid output;
		bool is_varlena;
		getTypeOutputInfo(TupleDescAttr(desc, attnums[i] - 1)->atttypid,
						  &output, &is_varlena);
		appendStringInfo(&label, "%s%s", i > 0 ? "." : "",
						 OidOutputFunctionCall(output, value));
	}
	return label.data;
}

static bool
declares_kind(const ConfigAssociation *a, const char *label)
{
	if (label == nullptr)
		return false;
	int n;
	ConfigKind *kinds = config_kinds(a->source, a->name, &n);
	for (int i = 0; i < n; i++)
		if (strcmp(kinds[i].kind, label) == 0)
			return true;
	return false;
}

/*
 * The kind follows its relabelled registry row, as rename_kind would rename
 * it (the rows keep the key, so nothing else changes).
 */
static void
follow_relabel(const ConfigAssociation *a, const char *old_label,
			   const char *new_label)
{
	if (new_label == nullptr || !declares_kind(a, old_label))
		return;
	if (declares_kind(a, new_label))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("kind \"%s\" is already declared in association \"%s\"",
						new_label, a->name),
				 errdetail("The registry row labelled \"%s\" would carry kind "
						   "\"%s\" there.",
						   old_label, old_label)));
	Oid types[4] = { REGCLASSOID, TEXTOID, TEXTOID, TEXTOID };
	Datum values[4] = { ObjectIdGetDatum(a->source),
						CStringGetTextDatum(a->name),
						CStringGetTextDatum(old_label),
						CStringGetTextDatum(new_label) };
	spi_open();
	config_write("UPDATE polyref.config_kind SET kind = $4 WHERE source "
				 "OPERATOR(pg_catalog.=) $1"
				 " AND association OPERATOR(pg_catalog.=) $2 AND kind "
				 "OPERATOR(pg_catalog.=) $3",
				 4, types, values);
	spi_close();
	carry_declaration(a->source, a->name);
	join_views_refresh(a->source, a->name);
}

/*
 * The registry row with key is gone (deleted, or its key updated): refused
 * while source rows carry the key (ri_restrict's NO ACTION check, with its
 * FOR KEY SHARE and crosscheck snapshot).
 */
static void
check_key_removed(const ConfigAssociation *config, Relation registry_rel,
				  Datum key)
{
	Catalog *catalog = catalog_current();
	Association *a = catalog_find(catalog, config->source, config->name);
	if (a == nullptr || a->registry == nullptr)
		return;
	TargetRef *registry = a->registry;
	StringInfoData sql;
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT 1 FROM ");
	append_scanned_relation(&sql, a->source);
	appendStringInfoString(&sql, " x WHERE ");
	generate_operator_clause(
		&sql, "$1", registry->key_type, registry->lookup_operator,
		psprintf("x.%s", quote_identifier(
							 get_attname(a->source, a->type_attnum, false))),
		a->type_type);
	appendStringInfoString(&sql, " FOR KEY SHARE OF x");
	spi_open();
	Oid key_type = registry->key_type;
	SPIPlanPtr plan = prepare_as(sql.data, 1, &key_type, a->source_owner);
	bool referenced =
		run_plan(plan, a->source_owner, &key, nullptr, true, 1) > 0;
	SPI_freeplan(plan);
	spi_close();
	if (referenced)
		report_still_referenced(registry, registry_rel, key, nullptr, false);
}

/* What one registry row's change means for one association. */
static void
registry_row_changed(const ConfigAssociation *a, TriggerData *td,
					 AttrNumber key_attnum, const AttrNumber *label_attnums,
					 int nlabel)
{
	bool is_insert = TRIGGER_FIRED_BY_INSERT(td->tg_event);
	bool is_update = TRIGGER_FIRED_BY_UPDATE(td->tg_event);
	if (is_insert)
		return; /* a new label takes effect through the invalidation */
	char *old_label = row_label(td->tg_trigslot, label_attnums, nlabel);
	bool old_null, new_null = true;
	Datum old_key = slot_getattr(td->tg_trigslot, key_attnum, &old_null);
	Datum new_key = (Datum) 0;
	if (is_update)
		new_key = slot_getattr(td->tg_newslot, key_attnum, &new_null);
	Form_pg_attribute key_att =
		TupleDescAttr(RelationGetDescr(td->tg_relation), key_attnum - 1);
	bool key_gone =
		!old_null &&
		(!is_update || new_null ||
		 !datum_image_eq(old_key, new_key, key_att->attbyval, key_att->attlen));
	if (is_update)
	{
		char *new_label = row_label(td->tg_newslot, label_attnums, nlabel);
		if (old_label != nullptr &&
			(new_label == nullptr || strcmp(old_label, new_label) != 0))
			follow_relabel(a, old_label, new_label);
	}
	if (key_gone && declares_kind(a, old_label) &&
		SessionReplicationRole != SESSION_REPLICATION_ROLE_REPLICA)
		check_key_removed(a, td->tg_relation, old_key);
}

} // namespace polyref

using namespace polyref;

/*
 * AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW on a kind registry.  Fires
 * ALWAYS (also when a replica applies the change), since every session's
 * map must follow the registry; the checks that native foreign keys skip
 * under session_replication_role = replica are skipped there too.
 */
POLYREF_FUNCTION(polyref_registry_trigger)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
						errmsg("function \"polyref.registry_trigger\" was not "
							   "called by trigger manager")));
	TriggerData *td = (TriggerData *) fcinfo->context;
	if (!TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
						errmsg("function \"polyref.registry_trigger\" must be "
							   "fired AFTER ROW")));
	Relation rel = td->tg_relation;
	Oid registry = RelationGetRelid(rel);
	/* Every session's image drops its map: at commit, here at once. */
	CacheInvalidateRelcacheByRelid(registry);

	int n;
	ConfigAssociation *associations =
		config_associations_of_registry(registry, &n);
	AttrNumber key_attnum = registry_key_attnum(registry);
	AttrNumber *label_attnums;
	int nlabel;
	if (n == 0 || key_attnum == InvalidAttrNumber ||
		!registry_label_columns(registry, key_attnum, &label_attnums, &nlabel))
		return PointerGetDatum(NULL);
	for (int i = 0; i < n; i++)
		registry_row_changed(&associations[i], td, key_attnum, label_attnums,
							 nlabel);
	return PointerGetDatum(NULL);
}
