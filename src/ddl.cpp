/*
 * ddl.cpp — keeping associations through DDL, from three event triggers.
 *
 * ddl_command_start, before DROP TABLE:
 *   - a partition of a declared target may not be dropped (2BP01, as
 *     natively) unless the command says CASCADE; then the target's kinds go.
 * sql_drop, after any DROP, checks that every association still has what it
 * needs (its source's kind and id columns; each target with its key column
 * and that key's unique index):
 *   - a dropped source takes its associations with it;
 *   - anything else an association needs is refused (2BP01) unless the
 *     command said CASCADE; then the kind (or, for a source column, the
 *     association) goes, with a NOTICE;
 *   - a trigger polyref still needs may not be dropped by hand.
 * ddl_command_end, after ALTER TABLE, CREATE TABLE, ALTER SCHEMA and CREATE
 * TRIGGER:
 *   - RENAME COLUMN is written into the configuration (which keeps names, so
 *     that pg_dump carries it);
 *   - renamed tables, columns and schemas are written into the declarations
 *     the triggers carry (schema_carrier.hpp);
 *   - a polyref constraint trigger created with a declaration (a restore)
 *     records it in the configuration;
 *   - a declared column whose type changed is re-checked (42804 refuses it);
 *   - ATTACH PARTITION to a source validates the new partition's rows (23503);
 *     DETACH PARTITION from a target is refused while its keys are referenced;
 *   - a new partition of a target gets its TRUNCATE guard.
 * Renamed tables and schemas need nothing in the configuration, which holds
 * OIDs.
 */
#include "arguments.hpp"
#include "boundary.hpp"
#include "catalog.hpp"
#include "config.hpp"
#include "registry.hpp"
#include "join_views.hpp"
#include "management.hpp"
#include "schema_carrier.hpp"
#include "spi_util.hpp"
#include "triggers.hpp"
#include "validation.hpp"

#include <cstring>

namespace polyref {

static DropBehavior
drop_behavior(Node *parsetree)
{
	if (parsetree == nullptr)
		return DROP_RESTRICT;
	switch (nodeTag(parsetree))
	{
		case T_DropStmt:
			return ((DropStmt *) parsetree)->behavior;
		case T_DropOwnedStmt:
			return ((DropOwnedStmt *) parsetree)->behavior;
		case T_AlterTableStmt:
		{
			ListCell *cell;
			foreach (cell, ((AlterTableStmt *) parsetree)->cmds)
				if (((AlterTableCmd *) lfirst(cell))->behavior == DROP_CASCADE)
					return DROP_CASCADE;
			return DROP_RESTRICT;
		}
		default:
			return DROP_RESTRICT;
	}
}

/*
 * The declared table a relation belongs to: itself or a partitioned ancestor
 * named in the configuration.
 */
static Oid
declared_ancestor(Oid relid, bool as_target)
{
	List *candidates = list_make1_oid(relid);
	if (get_rel_relispartition(relid))
		candidates = list_concat(candidates, get_partition_ancestors(relid));
	ListCell *cell;
	foreach (cell, candidates)
	{
		int n;
		ConfigAssociation *touching =
			config_associations_touching(lfirst_oid(cell), &n);
		for (int i = 0; i < n; i++)
			if (as_target ? touching[i].targets_relid
						  : touching[i].source == lfirst_oid(cell))
				return lfirst_oid(cell);
	}
	return InvalidOid;
}

/* ------------------------------------------------------------------------
 * DROP
 */

struct DroppedObject
{
	char *type; /* "table", "table column", "index", "trigger", ... */
	/* in native messages' words: "table posts", "column id of table posts" */
	char *description;
	bool original; /* named by the command itself */
	Oid objid;
	int32 objsubid;
	char *schema;
	/* address_names[2] for columns, triggers and table constraints */
	char *table;
	char *member; /* the column, trigger or constraint name */
};

/*
 * The words native messages use ("table posts", "column id of table posts"),
 * from the event's address: the catalog no longer knows a dropped object.
 */
static char *
describe(const DroppedObject *object)
{
	const char *type = object->type;
	if (strcmp(type, "table column") == 0)
		return psprintf("column %s of table %s", object->member, object->table);
	if (strcmp(type, "table constraint") == 0)
		return psprintf("constraint %s on table %s", object->member,
						object->table);
	if (strcmp(type, "trigger") == 0)
		return psprintf("trigger %s on table %s", object->member,
						object->table);
	/* tables, indexes and other relations: {schema, name} */
	return psprintf("%s %s", type, object->table ? object->table : "?");
}

static DroppedObject *
dropped_objects(int *count)
{
	MemoryContext caller_memory = CurrentMemoryContext;
	spi_open();
	int rc = SPI_execute(
		"SELECT object_type, original, objid, objsubid,"
		"       address_names[1], address_names[2], address_names[3]"
		"  FROM pg_catalog.pg_event_trigger_dropped_objects()"
		" WHERE classid OPERATOR(pg_catalog.=) "
		"'pg_catalog.pg_class'::pg_catalog.regclass"
		"    OR object_type OPERATOR(pg_catalog.=) ANY ('{trigger,table "
		"constraint}')",
		true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "polyref: reading dropped objects failed");
	DroppedObject *objects =
		mcxt_array0<DroppedObject>(SPI_processed + 1, caller_memory);
	MemoryContext spi_memory = MemoryContextSwitchTo(caller_memory);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple tuple = SPI_tuptable->vals[i];
		TupleDesc desc = SPI_tuptable->tupdesc;
		bool isnull;
		objects[i].type = SPI_getvalue(tuple, desc, 1);
		objects[i].original =
			DatumGetBool(SPI_getbinval(tuple, desc, 2, &isnull));
		objects[i].objid =
			DatumGetObjectId(SPI_getbinval(tuple, desc, 3, &isnull));
		objects[i].objsubid =
			DatumGetInt32(SPI_getbinval(tuple, desc, 4, &isnull));
		objects[i].schema = SPI_getvalue(tuple, desc, 5);
		objects[i].table = SPI_getvalue(tuple, desc, 6);
		objects[i].member = SPI_getvalue(tuple, desc, 7);
		objects[i].description = describe(&objects[i]);
	}
	MemoryContextSwitchTo(spi_memory);
	*count = (int) SPI_processed;
	spi_close();
	return objects;
}

static const DroppedObject *
dropped_table(const DroppedObject *objects, int n, Oid relid)
{
	for (int i = 0; i < n; i++)
		if (objects[i].objid == relid && objects[i].objsubid == 0 &&
			strcmp(objects[i].type, "table") == 0)
			return &objects[i];
	return nullptr;
}

static bool
table_dropped(const DroppedObject *objects, int n, Oid relid)
{
	return dropped_table(objects, n, relid) != nullptr;
}

/*
 * The table a dropped trigger or table constraint was on, if it still exists.
 */
static Oid
owning_table(const DroppedObject *object)
{
	if (object->schema == nullptr || object->table == nullptr)
		return InvalidOid;
	Oid schema = get_namespace_oid(object->schema, true);
	return OidIsValid(schema) ? get_relname_relid(object->table, schema)
							  : InvalidOid;
}

/*
 * Could this DROP concern an association?  Only if it touched a declared
 * table, or dropped an index (which may have been a key's).  Most DROPs are
 * none of polyref's business and cost this one query.
 */
static bool
may_concern_associations(const DroppedObject *objects, int n)
{
	Datum *relids = (Datum *) palloc(sizeof(Datum) * (n + 1));
	for (int i = 0; i < n; i++)
	{
		if (strcmp(objects[i].type, "index") == 0)
			return true;
		bool on_table = strcmp(objects[i].type, "trigger") == 0 ||
						strcmp(objects[i].type, "table constraint") == 0;
		relids[i] = ObjectIdGetDatum(on_table ? owning_table(&objects[i])
											  : objects[i].objid);
	}
	Oid types[1] = { OIDARRAYOID };
	Datum values[1] = { make_array(relids, n, OIDOID) };
	spi_open();
	bool touches =
		query_latest(
			"SELECT 1 FROM polyref.config_association"
			" WHERE source::pg_catalog.oid OPERATOR(pg_catalog.=) ANY ($1)"
			" UNION ALL SELECT 1 FROM polyref.config_kind"
			" WHERE target::pg_catalog.oid OPERATOR(pg_catalog.=) ANY ($1)",
			1, types, values, config_owner(), 1) > 0;
	spi_close();
	return touches;
}

/* What the command dropped, for a message: its first original object. */
static const char *
what_was_dropped(const DroppedObject *objects, int n)
{
	for (int i = 0; i < n; i++)
		if (objects[i].original && objects[i].description != nullptr)
			return objects[i].description;
	return n > 0 && objects[0].description != nullptr ? objects[0].description
													  : "an object";
}

[[noreturn]] static void
refuse_drop(const char *what, const char *association, Oid source,
			const char *needs)
{
	ereport(
		ERROR,
		(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
		 errmsg("cannot drop %s because other objects depend on it", what),
		 errdetail("association %s on table %s depends on %s", association,
				   get_rel_name(source), needs),
		 errhint("Use DROP ... CASCADE to drop the dependent objects too.")));
}

static void
forget_dropped_source(const ConfigAssociation *a, const ConfigKind *all_kinds,
					  int nall_kinds)
{
	/*
	 * Its rows are gone with it: delete its configuration, then tidy the
	 * targets' triggers.
	 */
	config_delete_association(a->source, a->name);
	for (int k = 0; k < nall_kinds; k++)
		if (config_kind_of(&all_kinds[k], a))
			reconcile_triggers(all_kinds[k].target);
}


/* A dropped join view is forgotten (polyref.config_join_view). */
static void
forget_dropped_views(const DroppedObject *dropped, int ndropped)
{
	Oid *views = mcxt_array<Oid>(ndropped + 1);
	int nviews = 0;
	for (int i = 0; i < ndropped; i++)
		if (strcmp(dropped[i].type, "view") == 0)
			views[nviews++] = dropped[i].objid;
	join_views_forget(views, nviews);
}

/* The kind or id column the association lost, or NULL. */
static const char *
missing_source_column(const ConfigAssociation *a)
{
	if (get_attnum(a->source, a->type_column) == InvalidAttrNumber)
		return a->type_column;
	if (get_attnum(a->source, a->id_column) == InvalidAttrNumber)
		return a->id_column;
	for (int i = 0; i < a->nscope; i++)
		if (get_attnum(a->source, a->scope_columns[i]) == InvalidAttrNumber)
			return a->scope_columns[i];
	return nullptr;
}

/*
 * What a kind needed that the DROP took (its table, key column or unique
 * index), in native messages' words; NULL if it lost nothing.
 */
static const char *
kind_loss(const ConfigKind *kind, Oid id_type, const ScopeSpec &scope,
		  const DroppedObject *dropped, int ndropped)
{
	if (const DroppedObject *table =
			dropped_table(dropped, ndropped, kind->target))
		return table->description;
	TargetRef probe{};
	KeyProblem problem =
		find_target_key(&probe, kind->target, kind->key_column, id_type, scope);
	if (problem == KeyProblem::NoColumn)
		return psprintf("column %s of table %s",
						probe.problem_part >= 0
							? scope.columns[probe.problem_part]
							: kind->key_column,
						get_rel_name(kind->target));
	if (problem == KeyProblem::NotUnique)
		return psprintf("a unique index on column %s of table %s",
						kind->key_column, get_rel_name(kind->target));
	return nullptr;
}

/*
 * One association after a DROP: forgotten with its source; refused (or, with
 * CASCADE, removed) without its kind or id column; each of its kinds (among
 * all_kinds) refused, or removed, without what it needs.
 */
static void
check_association_after_drop(ConfigAssociation *a, const ConfigKind *all_kinds,
							 int nall_kinds, const DroppedObject *dropped,
							 int ndropped, const char *what,
							 DropBehavior behavior)
{
	if (table_dropped(dropped, ndropped, a->source))
	{
		forget_dropped_source(a, all_kinds, nall_kinds);
		return;
	}
	const char *source_name = get_rel_name(a->source);
	if (const char *missing_column = missing_source_column(a))
	{
		if (behavior != DROP_CASCADE)
			refuse_drop(
				what, a->name, a->source,
				psprintf("column %s of table %s", missing_column, source_name));
		ereport(NOTICE, (errmsg("drop cascades to association %s on table %s",
								a->name, source_name)));
		remove_association(a->source, a->name);
		return;
	}
	Oid id_type = get_atttype(a->source, get_attnum(a->source, a->id_column));
	ScopeSpec scope = scope_spec_of(a->source, a->scope_columns, a->nscope);
	for (int i = 0; i < nall_kinds; i++)
	{
		const ConfigKind *kind = &all_kinds[i];
		if (kind->source != a->source ||
			strcmp(kind->association, a->name) != 0)
			continue;
		const char *needs = kind_loss(kind, id_type, scope, dropped, ndropped);
		if (needs == nullptr)
			continue;
		if (behavior != DROP_CASCADE)
			refuse_drop(what, a->name, a->source, needs);
		remove_kind(a->source, a->name, kind->kind, kind->target);
	}
}

/* A trigger polyref needs, dropped by hand from a table that stays. */
static void
check_dropped_triggers(const DroppedObject *dropped, int ndropped)
{
	if (polyref_is_dropping_its_trigger())
		return;
	for (int d = 0; d < ndropped; d++)
	{
		if (strcmp(dropped[d].type, "trigger") != 0)
			continue;
		Oid relid = owning_table(&dropped[d]);
		if (!OidIsValid(relid) || table_dropped(dropped, ndropped, relid))
			continue;
		if (trigger_required(relid, dropped[d].member))
			ereport(ERROR,
					(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
					 errmsg("cannot drop trigger %s on table %s because "
							"polyref requires it",
							dropped[d].member, dropped[d].table),
					 errhint("Use polyref.undeclare() or polyref.drop_target() "
							 "to remove an association.")));
	}
}

/* After a DROP: does every association still have what it needs? */
static void
check_after_drop(DropBehavior behavior)
{
	int ndropped;
	DroppedObject *dropped = dropped_objects(&ndropped);
	forget_dropped_views(dropped, ndropped);
	if (ndropped == 0 || !may_concern_associations(dropped, ndropped))
		return;
	const char *what = what_was_dropped(dropped, ndropped);
	int nall;
	/*
	 * Read before this handler changes any (each change touches only its own
	 * association).
	 */
	ConfigAssociation *all = config_all_associations(&nall);
	int nkinds;
	ConfigKind *kinds = config_all_kinds(&nkinds);
	for (int i = 0; i < nall; i++)
		check_association_after_drop(&all[i], kinds, nkinds, dropped, ndropped,
									 what, behavior);
	check_dropped_triggers(dropped, ndropped);
}

/*
 * DROP TABLE of a partition of a declared target: refused unless CASCADE, as
 * natively.
 */
static void
check_before_drop_table(DropStmt *stmt)
{
	if (stmt->removeType != OBJECT_TABLE)
		return;
	ListCell *cell;
	foreach (cell, stmt->objects)
	{
		RangeVar *name = makeRangeVarFromNameList((List *) lfirst(cell));
		Oid relid = RangeVarGetRelid(name, NoLock, true);
		if (!OidIsValid(relid) || !get_rel_relispartition(relid))
			continue;
		Oid target = declared_ancestor(relid, true);
		if (!OidIsValid(target))
			continue;
		int n, nkinds;
		ConfigAssociation *touching = config_associations_touching(target, &n);
		ConfigKind *kinds = config_kinds_touching(target, &nkinds);
		for (int i = 0; i < n; i++)
		{
			if (!touching[i].targets_relid)
				continue;
			if (stmt->behavior != DROP_CASCADE)
				refuse_drop(psprintf("table %s", get_rel_name(relid)),
							touching[i].name, touching[i].source,
							psprintf("table %s", get_rel_name(relid)));
			for (int k = 0; k < nkinds; k++)
				if (config_kind_of(&kinds[k], &touching[i]) &&
					kinds[k].target == target)
					remove_kind(touching[i].source, touching[i].name,
								kinds[k].kind, target);
		}
	}
}

/* ------------------------------------------------------------------------
 * ALTER TABLE and CREATE TABLE
 */

/*
 * A scoped association finds its scope in each target by the source's
 * column names: a scope column keeps its name, in the source and in each
 * target, while the association needs it.
 */
static void
refuse_scope_rename(Oid relid, const char *column)
{
	int n;
	ConfigAssociation *touching = config_associations_touching(relid, &n);
	for (int i = 0; i < n; i++)
	{
		for (int c = 0; c < touching[i].nscope; c++)
			if (strcmp(touching[i].scope_columns[c], column) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot rename column \"%s\" of table \"%s\"",
								column, get_rel_name(relid)),
						 errdetail("Association \"%s\" on table \"%s\" is "
								   "scoped by the column of that name.",
								   touching[i].name,
								   get_rel_name(touching[i].source)),
						 errhint("Undeclare the association, rename the "
								 "columns, and declare it again.")));
	}
}

/* ALTER TABLE ... RENAME COLUMN: the configuration keeps column names. */
static void
follow_column_rename(RenameStmt *stmt)
{
	Oid relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	if (!OidIsValid(relid))
		return;
	Oid types[3] = { OIDOID, NAMEOID, NAMEOID };
	Datum values[3] = {
		ObjectIdGetDatum(relid),
		DirectFunctionCall1(namein, CStringGetDatum(stmt->subname)),
		DirectFunctionCall1(namein, CStringGetDatum(stmt->newname))
	};
	spi_open();
	config_write("UPDATE polyref.config_association SET type_column = $3"
				 " WHERE source::pg_catalog.oid OPERATOR(pg_catalog.=) $1 AND "
				 "type_column OPERATOR(pg_catalog.=) $2",
				 3, types, values);
	config_write("UPDATE polyref.config_association SET id_column = $3"
				 " WHERE source::pg_catalog.oid OPERATOR(pg_catalog.=) $1 AND "
				 "id_column OPERATOR(pg_catalog.=) $2",
				 3, types, values);
	config_write("UPDATE polyref.config_kind SET key_column = $3"
				 " WHERE target::pg_catalog.oid OPERATOR(pg_catalog.=) $1 AND "
				 "key_column OPERATOR(pg_catalog.=) $2",
				 3, types, values);
	spi_close();
	refuse_scope_rename(relid, stmt->subname);
}

/*
 * Resolves every kind's key against its id column again (42804 refuses the
 * change).
 */
static void
recheck_types(Oid relid)
{
	int n, nkinds;
	ConfigAssociation *touching = config_associations_touching(relid, &n);
	ConfigKind *kinds = config_kinds_touching(relid, &nkinds);
	for (int i = 0; i < n; i++)
	{
		AttrNumber type_attnum =
			get_attnum(touching[i].source, touching[i].type_column);
		classify_kind_column(
			getBaseType(get_atttype(touching[i].source, type_attnum)),
			touching[i].type_column, touching[i].source);
		Oid id_type =
			get_atttype(touching[i].source,
						get_attnum(touching[i].source, touching[i].id_column));
		ScopeSpec scope = scope_spec_of(
			touching[i].source, touching[i].scope_columns, touching[i].nscope);
		/*
		 * The kinds must still read in the kind column's type (a text column
		 * made integer), or with a registry the column hold its key.
		 */
		if (OidIsValid(touching[i].kind_registry))
			check_kind_registry(touching[i].kind_registry, touching[i].source,
								touching[i].type_column);
		for (int k = 0; k < nkinds; k++)
		{
			if (!config_kind_of(&kinds[k], &touching[i]))
				continue;
			if (!OidIsValid(touching[i].kind_registry))
				check_kind_readable(touching[i].source, touching[i].type_column,
									kinds[k].kind);
			TargetRef probe{};
			resolve_target_key(&probe, kinds[k].target, kinds[k].key_column,
							   id_type, touching[i].name, scope);
		}
	}
}

/*
 * ATTACH PARTITION to a validated source: the partition's rows must satisfy it
 * (23503).
 */
static void
validate_attached(Oid parent, Oid partition)
{
	Oid source = declared_ancestor(parent, false);
	if (!OidIsValid(source))
		return;
	CommandCounterIncrement();
	Catalog *catalog = catalog_current();
	int n;
	ConfigAssociation *touching = config_associations_touching(source, &n);
	for (int i = 0; i < n; i++)
	{
		Association *a = catalog_find(catalog, source, touching[i].name);
		if (a == nullptr || touching[i].source != source ||
			!touching[i].validated)
			continue;
		/*
		 * ADD FOREIGN KEY's lock on every target (each partition of a
		 * partitioned one, where a DELETE locks only the partition), taken
		 * before the rows are read with a snapshot newer than it: no target
		 * row can go between the check and the commit.
		 */
		for (int t = 0; t < a->ntargets; t++)
			(void) find_all_inheritors(a->targets[t]->relid,
									   ShareRowExclusiveLock, NULL);
		ViolationScope scope;
		scope.scan_relid = partition;
		validate_rows(a, scope);
	}
}

struct FirstReference
{
	bool found;
	char *id;
	TargetRef *target;
	char *scope; /* "7, " ...: the scope's values, in the target's order */
};

static void
remember_reference(Datum, Datum, const char *, const char *id,
				   const char *const *scope, Oid, void *context)
{
	FirstReference *first = (FirstReference *) context;
	if (first->found)
		return;
	first->found = true;
	first->id = id ? pstrdup(id) : nullptr;
	StringInfoData values;
	initStringInfo(&values);
	for (int i = 0; i < first->target->nscope; i++)
		appendStringInfo(&values, "%s, ", scope[i]);
	first->scope = values.data;
}

/* "account_id, " ...: a scoped target's scope columns, for a DETAIL. */
static char *
scope_column_names(TargetRef *target)
{
	StringInfoData names;
	initStringInfo(&names);
	for (int i = 0; i < target->nscope; i++)
		appendStringInfo(
			&names, "%s, ",
			get_attname(target->relid, target->scope[i].attnum, false));
	return names.data;
}

/*
 * DETACH PARTITION from a target: refused while rows reference the keys it
 * takes away (23503).
 */
static void
check_detached(Oid parent, Oid partition)
{
	Oid target = declared_ancestor(parent, true);
	if (!OidIsValid(target))
		return;
	CommandCounterIncrement();
	const McxtVector<TargetRef *> *targets =
		catalog_targets_on(catalog_current(), target);
	if (targets != nullptr)
		for (TargetRef *ref : *targets)
		{
			/*
			 * As natively, the referencing tables are locked out until the
			 * detach commits.
			 */
			LockRelationOid(ref->association->source, AccessExclusiveLock);
			if (!ref->association->validated)
				continue;
			ViolationScope scope;
			scope.only_target = ref;
			FirstReference first{};
			first.target = ref;
			find_violations(ref->association, scope, 1, remember_reference,
							&first);
			if (first.found)
				ereport(
					ERROR,
					(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
					 errmsg("removing partition \"%s\" violates foreign key "
							"constraint \"%s\"",
							get_rel_name(partition), ref->association->name),
					 errdetail("Key (%s%s)=(%s%s) is still referenced from "
							   "table \"%s\".",
							   scope_column_names(ref),
							   get_attname(ref->relid, ref->key_attnum, false),
							   first.scope, first.id,
							   get_rel_name(ref->association->source))));
		}
	/*
	 * The detached table keeps no polyref trigger of its own (PostgreSQL drops
	 * the cloned ones).
	 */
	reconcile_triggers(partition);
}

static void
after_alter_table(AlterTableStmt *stmt)
{
	Oid relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	if (!OidIsValid(relid))
		return;
	ListCell *cell;
	foreach (cell, stmt->cmds)
	{
		AlterTableCmd *cmd = (AlterTableCmd *) lfirst(cell);
		switch (cmd->subtype)
		{
			case AT_AlterColumnType:
				recheck_types(relid);
				break;
			case AT_EnableTrigAll:
			case AT_EnableTrigUser:
				/* pg_dump --disable-triggers ends each table's data so. */
				keep_truncate_guard_always(relid);
				break;
			case AT_AttachPartition:
			case AT_DetachPartition:
			{
				Oid partition = RangeVarGetRelid(
					((PartitionCmd *) cmd->def)->name, NoLock, true);
				if (!OidIsValid(partition))
					break;
				if (cmd->subtype == AT_AttachPartition)
				{
					validate_attached(relid, partition);
					if (OidIsValid(declared_ancestor(relid, true)))
						reconcile_triggers(partition);
				}
				else
					check_detached(relid, partition);
				break;
			}
			default:
				break;
		}
	}
}

/*
 * CREATE TABLE ... PARTITION OF a target (at any depth): the new partition
 * needs a TRUNCATE guard.
 */
static void
after_create_table(CreateStmt *stmt)
{
	if (stmt->partbound == nullptr || stmt->inhRelations == NIL)
		return;
	Oid relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	if (OidIsValid(relid) && OidIsValid(declared_ancestor(relid, true)))
		reconcile_triggers(relid);
}

} // namespace polyref

using namespace polyref;

POLYREF_FUNCTION(polyref_on_ddl_command_start)
{
	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(
			ERROR,
			"polyref.on_ddl_command_start: not fired by event trigger manager");
	Node *parsetree = ((EventTriggerData *) fcinfo->context)->parsetree;
	if (parsetree != nullptr && IsA(parsetree, DropStmt))
		check_before_drop_table((DropStmt *) parsetree);
	PG_RETURN_VOID();
}

POLYREF_FUNCTION(polyref_on_sql_drop)
{
	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "polyref.on_sql_drop: not fired by event trigger manager");
	check_after_drop(
		drop_behavior(((EventTriggerData *) fcinfo->context)->parsetree));
	PG_RETURN_VOID();
}

POLYREF_FUNCTION(polyref_on_ddl_command_end)
{
	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR,
			 "polyref.on_ddl_command_end: not fired by event trigger manager");
	Node *parsetree = ((EventTriggerData *) fcinfo->context)->parsetree;
	if (parsetree == nullptr)
		PG_RETURN_VOID();
	if (IsA(parsetree, RenameStmt) &&
		((RenameStmt *) parsetree)->renameType == OBJECT_COLUMN)
	{
		follow_column_rename((RenameStmt *) parsetree);
		carry_after_rename(parsetree);
	}
	else if (IsA(parsetree, RenameStmt) ||
			 IsA(parsetree, AlterObjectSchemaStmt))
		carry_after_rename(parsetree);
	else if (IsA(parsetree, CreateTrigStmt))
		restore_declaration((CreateTrigStmt *) parsetree);
	else if (IsA(parsetree, AlterTableStmt))
		after_alter_table((AlterTableStmt *) parsetree);
	else if (IsA(parsetree, CreateStmt))
		after_create_table((CreateStmt *) parsetree);
	PG_RETURN_VOID();
}
