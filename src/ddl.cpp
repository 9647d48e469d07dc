/*
 * ddl.cpp — keeping associations through DDL, from two event triggers.
 *
 * sql_drop, after any DROP:
 *   - a dropped source takes its associations with it;
 *   - a dropped target table or key column, or a dropped kind or id column,
 *     is refused (2BP01, as for native foreign keys) unless the command said
 *     CASCADE; then the kind (or, for a source column, the association) goes,
 *     with a NOTICE;
 *   - a trigger polyref still needs may not be dropped by hand.
 * ddl_command_end, after ALTER TABLE:
 *   - RENAME COLUMN is written into the configuration (which keeps names, so
 *     that pg_dump carries it);
 *   - a declared column whose type changed is re-checked (42804 refuses it).
 * Renamed tables and schemas need nothing: the configuration holds OIDs.
 */
#include "boundary.hpp"
#include "catalog.hpp"
#include "config.hpp"
#include "management.hpp"
#include "spi_util.hpp"
#include "triggers.hpp"

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

struct DroppedObject
{
	char *type; /* "table", "table column", "trigger", ... */
	Oid objid;
	int32 objsubid;
	char *schema;
	char *table;  /* address_names[2] for columns and triggers */
	char *member; /* the column or trigger name */
};

static DroppedObject *
dropped_objects(int *count)
{
	MemoryContext caller_memory = CurrentMemoryContext;
	SpiSession spi = spi_open();
	int rc = SPI_execute("SELECT object_type, objid, objsubid, address_names[1], address_names[2], address_names[3]"
	                     "  FROM pg_catalog.pg_event_trigger_dropped_objects()"
	                     " WHERE classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
	                     "    OR object_type OPERATOR(pg_catalog.=) 'trigger'",
	                     true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "polyref: reading dropped objects failed");
	DroppedObject *objects = (DroppedObject *) MemoryContextAllocZero(caller_memory, sizeof(DroppedObject) * (SPI_processed + 1));
	MemoryContext spi_memory = MemoryContextSwitchTo(caller_memory);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple tuple = SPI_tuptable->vals[i];
		TupleDesc desc = SPI_tuptable->tupdesc;
		bool isnull;
		objects[i].type = SPI_getvalue(tuple, desc, 1);
		objects[i].objid = DatumGetObjectId(SPI_getbinval(tuple, desc, 2, &isnull));
		objects[i].objsubid = DatumGetInt32(SPI_getbinval(tuple, desc, 3, &isnull));
		objects[i].schema = SPI_getvalue(tuple, desc, 4);
		objects[i].table = SPI_getvalue(tuple, desc, 5);
		objects[i].member = SPI_getvalue(tuple, desc, 6);
	}
	MemoryContextSwitchTo(spi_memory);
	*count = (int) SPI_processed;
	spi_close(spi);
	return objects;
}

static bool
was_dropped(const DroppedObject *objects, int n, Oid relid)
{
	for (int i = 0; i < n; i++)
		if (objects[i].objid == relid && objects[i].objsubid == 0 && strcmp(objects[i].type, "trigger") != 0)
			return true;
	return false;
}

/* Every (source, association) in the configuration, as a snapshot before we change it. */
static ConfigAssociation *
all_associations(int *count)
{
	MemoryContext caller_memory = CurrentMemoryContext;
	SpiSession spi = spi_open();
	uint64 n = query_latest("SELECT source::pg_catalog.oid, association FROM polyref.config_association", 0, nullptr,
	                        nullptr, config_owner(), 0);
	ConfigAssociation *all = (ConfigAssociation *) MemoryContextAllocZero(caller_memory, sizeof(ConfigAssociation) * (n + 1));
	MemoryContext spi_memory = MemoryContextSwitchTo(caller_memory);
	for (uint64 i = 0; i < n; i++)
	{
		bool isnull;
		all[i].source = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		all[i].name = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
	}
	MemoryContextSwitchTo(spi_memory);
	*count = (int) n;
	spi_close(spi);
	return all;
}

/* A dropped table's name, from the event's address (the catalog no longer has it). */
static const char *
dropped_table_name(const DroppedObject *objects, int n, Oid relid)
{
	for (int i = 0; i < n; i++)
		if (objects[i].objid == relid && objects[i].objsubid == 0 && objects[i].table != nullptr)
			return objects[i].table;
	return "?";
}

[[noreturn]] static void
refuse_drop(const char *what, const char *needed_by, const char *source)
{
	ereport(ERROR, (errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
	                errmsg("cannot drop %s because other objects depend on it", what),
	                errdetail("association %s on table %s depends on %s", needed_by, source, what),
	                errhint("Use DROP ... CASCADE to drop the dependent objects too.")));
}

static void
forget_dropped_source(const ConfigAssociation *a)
{
	/* Its rows are gone with it: delete them, then tidy the targets' triggers. */
	int nkinds;
	ConfigKind *kinds = config_kinds(a->source, a->name, &nkinds);
	Oid types[2] = {OIDOID, TEXTOID};
	Datum values[2] = {ObjectIdGetDatum(a->source), CStringGetTextDatum(a->name)};
	SpiSession spi = spi_open();
	config_write("DELETE FROM polyref.config_association"
	             " WHERE source::pg_catalog.oid OPERATOR(pg_catalog.=) $1 AND association OPERATOR(pg_catalog.=) $2",
	             2, types, values);
	spi_close(spi);
	for (int k = 0; k < nkinds; k++)
		reconcile_triggers(kinds[k].target);
}

/* The table a dropped trigger was on, if it still exists. */
static Oid
trigger_table(const DroppedObject *object)
{
	if (object->schema == nullptr || object->table == nullptr)
		return InvalidOid;
	Oid schema = get_namespace_oid(object->schema, true);
	return OidIsValid(schema) ? get_relname_relid(object->table, schema) : InvalidOid;
}

/* Does the configuration name any table this DROP touched?  (Most DROPs are none of our business.) */
static bool
touches_declared_tables(const DroppedObject *objects, int n)
{
	Datum *relids = (Datum *) palloc(sizeof(Datum) * (n + 1));
	for (int i = 0; i < n; i++)
		relids[i] = ObjectIdGetDatum(strcmp(objects[i].type, "trigger") == 0 ? trigger_table(&objects[i]) : objects[i].objid);
	Oid types[1] = {OIDARRAYOID};
	Datum values[1] = {PointerGetDatum(construct_array(relids, n, OIDOID, sizeof(Oid), true, TYPALIGN_INT))};
	SpiSession spi = spi_open();
	bool touches = query_latest("SELECT 1 FROM polyref.config_association"
	                            " WHERE source::pg_catalog.oid OPERATOR(pg_catalog.=) ANY ($1)"
	                            " UNION ALL SELECT 1 FROM polyref.config_kind"
	                            " WHERE target::pg_catalog.oid OPERATOR(pg_catalog.=) ANY ($1)",
	                            1, types, values, config_owner(), 1) > 0;
	spi_close(spi);
	return touches;
}

static void
handle_drops(DropBehavior behavior)
{
	int ndropped;
	DroppedObject *dropped = dropped_objects(&ndropped);
	if (ndropped == 0 || !touches_declared_tables(dropped, ndropped))
		return;
	int nall;
	ConfigAssociation *all = all_associations(&nall);
	for (int i = 0; i < nall; i++)
	{
		ConfigAssociation *a = &all[i];
		if (was_dropped(dropped, ndropped, a->source))
		{
			forget_dropped_source(a);
			continue;
		}
		ConfigAssociation full;
		if (!config_find_association(a->source, a->name, &full, false))
			continue;
		const char *source_name = get_rel_name(a->source);
		/* A dropped kind or id column of the source. */
		for (int d = 0; d < ndropped; d++)
			if (dropped[d].objid == a->source && dropped[d].objsubid > 0 && dropped[d].member != nullptr &&
			    (strcmp(dropped[d].member, full.type_column) == 0 || strcmp(dropped[d].member, full.id_column) == 0))
			{
				if (behavior != DROP_CASCADE)
					refuse_drop(psprintf("column %s of table %s", dropped[d].member, source_name), a->name, source_name);
				ereport(NOTICE, (errmsg("drop cascades to association %s on table %s", a->name, source_name)));
				remove_association(a->source, a->name);
				goto next_association;
			}
		{
			int nkinds;
			ConfigKind *kinds = config_kinds(a->source, a->name, &nkinds);
			for (int k = 0; k < nkinds; k++)
			{
				bool table_gone = was_dropped(dropped, ndropped, kinds[k].target);
				bool key_gone = false;
				for (int d = 0; d < ndropped && !table_gone; d++)
					key_gone |= dropped[d].objid == kinds[k].target && dropped[d].objsubid > 0 &&
					            dropped[d].member != nullptr && strcmp(dropped[d].member, kinds[k].key_column) == 0;
				if (!table_gone && !key_gone)
					continue;
				const char *what = table_gone
				                       ? psprintf("table %s", dropped_table_name(dropped, ndropped, kinds[k].target))
				                       : psprintf("column %s of table %s", kinds[k].key_column, get_rel_name(kinds[k].target));
				if (behavior != DROP_CASCADE)
					refuse_drop(what, a->name, source_name);
				remove_kind(a->source, a->name, kinds[k].kind, kinds[k].target);
			}
		}
	next_association:;
	}

	/* A trigger polyref needs, dropped by hand from a table that stays. */
	for (int d = 0; d < ndropped; d++)
	{
		if (strcmp(dropped[d].type, "trigger") != 0)
			continue;
		Oid relid = trigger_table(&dropped[d]);
		if (!OidIsValid(relid) || was_dropped(dropped, ndropped, relid))
			continue;
		if (trigger_required(relid, dropped[d].member))
			ereport(ERROR, (errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
			                errmsg("cannot drop trigger %s on table %s because polyref requires it", dropped[d].member,
			                       dropped[d].table),
			                errhint("Use polyref.undeclare() or polyref.drop_target() to remove an association.")));
	}
}

/* ALTER TABLE ... RENAME COLUMN: the configuration keeps column names. */
static void
follow_column_rename(RenameStmt *stmt)
{
	Oid relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	if (!OidIsValid(relid))
		return;
	Oid types[3] = {OIDOID, NAMEOID, NAMEOID};
	Datum values[3] = {ObjectIdGetDatum(relid), DirectFunctionCall1(namein, CStringGetDatum(stmt->subname)),
	                   DirectFunctionCall1(namein, CStringGetDatum(stmt->newname))};
	SpiSession spi = spi_open();
	config_write("UPDATE polyref.config_association SET type_column = $3"
	             " WHERE source::pg_catalog.oid OPERATOR(pg_catalog.=) $1 AND type_column OPERATOR(pg_catalog.=) $2",
	             3, types, values);
	config_write("UPDATE polyref.config_association SET id_column = $3"
	             " WHERE source::pg_catalog.oid OPERATOR(pg_catalog.=) $1 AND id_column OPERATOR(pg_catalog.=) $2",
	             3, types, values);
	config_write("UPDATE polyref.config_kind SET key_column = $3"
	             " WHERE target::pg_catalog.oid OPERATOR(pg_catalog.=) $1 AND key_column OPERATOR(pg_catalog.=) $2",
	             3, types, values);
	spi_close(spi);
}

/* ALTER TABLE ... ALTER COLUMN TYPE on a declared table: resolve its associations again. */
static void
recheck_column_types(AlterTableStmt *stmt)
{
	bool changes_a_type = false;
	ListCell *cell;
	foreach (cell, stmt->cmds)
		changes_a_type |= ((AlterTableCmd *) lfirst(cell))->subtype == AT_AlterColumnType;
	if (!changes_a_type)
		return;
	Oid relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	if (!OidIsValid(relid))
		return;
	int n;
	(void) config_associations_touching(relid, &n);
	if (n == 0)
		return;
	/* Building the catalog resolves every kind's key against its id column (42804). */
	CommandCounterIncrement();
	catalog_invalidate_everywhere();
	CommandCounterIncrement();
	catalog_current();
}

} // namespace polyref

using namespace polyref;

POLYREF_FUNCTION(polyref_on_sql_drop)
{
	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "polyref.on_sql_drop: not fired by event trigger manager");
	EventTriggerData *event = (EventTriggerData *) fcinfo->context;
	handle_drops(drop_behavior(event->parsetree));
	PG_RETURN_VOID();
}

POLYREF_FUNCTION(polyref_on_ddl_command_end)
{
	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "polyref.on_ddl_command_end: not fired by event trigger manager");
	Node *parsetree = ((EventTriggerData *) fcinfo->context)->parsetree;
	if (parsetree == nullptr)
		PG_RETURN_VOID();
	if (IsA(parsetree, RenameStmt) && ((RenameStmt *) parsetree)->renameType == OBJECT_COLUMN)
		follow_column_rename((RenameStmt *) parsetree);
	else if (IsA(parsetree, AlterTableStmt))
		recheck_column_types((AlterTableStmt *) parsetree);
	PG_RETURN_VOID();
}
