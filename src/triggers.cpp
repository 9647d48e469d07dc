/*
 * triggers.cpp — installing polyref's triggers (see triggers.hpp).
 */
#include "triggers.hpp"

#include "arguments.hpp"

#include "config.hpp"
#include "schema_carrier.hpp"
#include "spi_util.hpp"
#include "sql_names.hpp"

#include <cstring>

namespace polyref {

static const char *const actions_trigger_name = "polyref_actions";
static const char *const truncate_trigger_name = "polyref_truncate";
static const char *const registry_trigger_name = "polyref_registry";

enum TriggerFunction
{
	ConstraintFunction,
	ActionFunction,
	TruncateFunction,
	RegistryFunction,
};

/*
 * Set while polyref drops a trigger of its own, so that the DROP TRIGGER guard
 * lets it through.
 */
static bool dropping_own_trigger = false;

bool
polyref_is_dropping_its_trigger()
{
	return dropping_own_trigger;
}

/* Set while polyref creates a trigger, so that restore_declaration leaves it
 * alone. */
static bool installing_own_trigger = false;

bool
polyref_is_installing_trigger()
{
	return installing_own_trigger;
}

/*
 * Is relid a partition (at any depth) of a declared target?  Statement
 * triggers are not cloned to partitions, and TRUNCATE can name a partition
 * directly: each partition carries its own polyref_truncate.
 */
static bool
partition_of_target(Oid relid)
{
	if (!get_rel_relispartition(relid))
		return false;
	List *ancestors = get_partition_ancestors(relid);
	int n = list_length(ancestors);
	Datum *relids = (Datum *) palloc(sizeof(Datum) * (n + 1));
	ListCell *cell;
	int i = 0;
	foreach (cell, ancestors)
		relids[i++] = ObjectIdGetDatum(lfirst_oid(cell));
	Oid types[1] = { OIDARRAYOID };
	Datum values[1] = { make_array(relids, n, OIDOID) };
	spi_open();
	bool found =
		query_latest(
			"SELECT 1 FROM polyref.config_kind"
			" WHERE target::pg_catalog.oid OPERATOR(pg_catalog.=) ANY ($1)",
			1, types, values, config_owner(), 1) > 0;
	spi_close();
	return found;
}

struct WantedTrigger
{
	const char *name;
	TriggerFunction function;
	int16 events; /* TRIGGER_TYPE_INSERT | _DELETE | _UPDATE | _TRUNCATE */
	bool deferrable;
	bool initially_deferred;
	/* the association that fixed the deferral, for messages */
	const char *defined_by;
};

Oid
polyref_function_oid(const char *name)
{
	List *qualified =
		list_make2(makeString(pstrdup("polyref")), makeString(pstrdup(name)));
	return LookupFuncName(qualified, 0, NULL, false);
}

/* polyref.registry_trigger(), or InvalidOid before ALTER EXTENSION UPDATE. */
static Oid
registry_function_oid()
{
	List *qualified = list_make2(makeString(pstrdup("polyref")),
								 makeString(pstrdup("registry_trigger")));
	return LookupFuncName(qualified, 0, NULL, true);
}

/* The triggers the configuration asks for on relid. */
static WantedTrigger *
wanted_triggers(Oid relid, int *count)
{
	int n;
	ConfigAssociation *touching = config_associations_touching(relid, &n);
	WantedTrigger *wanted = mcxt_array0<WantedTrigger>(n + 3);
	int nwanted = 0;
	int16 action_events = 0;
	bool is_target = false;

	for (int i = 0; i < n; i++)
	{
		ConfigAssociation *a = &touching[i];
		int16 events = 0;
		if (a->source == relid)
			events |= TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE;
		if (a->targets_relid)
		{
			is_target = true;
			if (a->on_delete == Action::NoAction)
				events |= TRIGGER_TYPE_DELETE;
			else
				action_events |= TRIGGER_TYPE_DELETE;
			if (a->on_update == Action::NoAction)
				events |= TRIGGER_TYPE_UPDATE;
			else
				action_events |= TRIGGER_TYPE_UPDATE;
		}
		if (events == 0)
			continue;
		/*
		 * Associations sorted by name: one of the same name comes just before.
		 */
		WantedTrigger *same =
			nwanted > 0 && strcmp(wanted[nwanted - 1].name, a->name) == 0
				? &wanted[nwanted - 1]
				: nullptr;
		if (same != nullptr)
		{
			if (same->deferrable != a->is_deferrable ||
				same->initially_deferred != a->initially_deferred)
				ereport(
					ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("association \"%s\" on table \"%s\" and "
							"association \"%s\" on table \"%s\" both touch "
							"table \"%s\" but differ in deferral",
							a->name, get_rel_name(a->source), same->name,
							same->defined_by, get_rel_name(relid)),
					 errdetail("Associations of one name share one constraint "
							   "trigger on a table they both touch."),
					 errhint("Give one of them another name, or the same "
							 "is_deferrable and initially_deferred.")));
			same->events |= events;
			continue;
		}
		WantedTrigger *w = &wanted[nwanted++];
		w->name = a->name;
		w->function = ConstraintFunction;
		w->events = events;
		w->deferrable = a->is_deferrable;
		w->initially_deferred = a->initially_deferred;
		w->defined_by = get_rel_name(a->source);
	}
	is_target |= partition_of_target(relid);
	if (action_events != 0)
		wanted[nwanted++] = WantedTrigger{ actions_trigger_name,
										   ActionFunction,
										   action_events,
										   false,
										   false,
										   nullptr };
	if (is_target)
		wanted[nwanted++] = WantedTrigger{ truncate_trigger_name,
										   TruncateFunction,
										   TRIGGER_TYPE_TRUNCATE,
										   false,
										   false,
										   nullptr };
	int nregistry;
	config_associations_of_registry(relid, &nregistry);
	if (nregistry > 0)
		wanted[nwanted++] =
			WantedTrigger{ registry_trigger_name,
						   RegistryFunction,
						   TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE |
							   TRIGGER_TYPE_DELETE,
						   false,
						   false,
						   nullptr };
	*count = nwanted;
	return wanted;
}

/*
 * pg_trigger.tgenabled wanted.  TRUNCATE is refused even under
 * session_replication_role = replica, as natively, where the check is not a
 * trigger at all; the others fire like native RI triggers, in origin mode.
 */
static char
enabled_state(const WantedTrigger *w)
{
	return w->function == TruncateFunction || w->function == RegistryFunction
			   ? TRIGGER_FIRES_ALWAYS
			   : TRIGGER_FIRES_ON_ORIGIN;
}

static const char *
enable_clause(char state)
{
	switch (state)
	{
		case TRIGGER_FIRES_ALWAYS:
			return "ENABLE ALWAYS";
		case TRIGGER_FIRES_ON_REPLICA:
			return "ENABLE REPLICA";
		case TRIGGER_DISABLED:
			return "DISABLE";
		default:
			return "ENABLE";
	}
}

static char *
create_trigger_sql(Oid relid, const WantedTrigger *w)
{
	StringInfoData sql;
	initStringInfo(&sql);
	const char *table = qualified_relation(relid);
	appendStringInfo(&sql, "CREATE %sTRIGGER %s AFTER ",
					 w->function == ConstraintFunction ? "CONSTRAINT " : "",
					 quote_identifier(w->name));
	const char *separator = "";
	static const struct
	{
		int16 bit;
		const char *word;
	} events[] = { { TRIGGER_TYPE_INSERT, "INSERT" },
				   { TRIGGER_TYPE_UPDATE, "UPDATE" },
				   { TRIGGER_TYPE_DELETE, "DELETE" },
				   { TRIGGER_TYPE_TRUNCATE, "TRUNCATE" } };
	for (const auto &event : events)
		if (w->events & event.bit)
		{
			appendStringInfo(&sql, "%s%s", separator, event.word);
			separator = " OR ";
		}
	appendStringInfo(&sql, " ON %s ", table);
	if (w->function == ConstraintFunction)
		appendStringInfoString(&sql, !w->deferrable ? "NOT DEFERRABLE "
									 : w->initially_deferred
										 ? "DEFERRABLE INITIALLY DEFERRED "
										 : "DEFERRABLE INITIALLY IMMEDIATE ");
	switch (w->function)
	{
		case ConstraintFunction:
		{
			/* On the source, the association's declaration rides along
			 * (schema_carrier.hpp). */
			int nargs;
			char **args = declaration_arguments(relid, w->name, &nargs);
			appendStringInfoString(
				&sql,
				"FOR EACH ROW EXECUTE FUNCTION polyref.constraint_trigger(");
			for (int i = 0; i < nargs; i++)
				appendStringInfo(&sql, "%s%s", i > 0 ? ", " : "",
								 quote_literal_cstr(args[i]));
			appendStringInfoChar(&sql, ')');
			break;
		}
		case ActionFunction:
			appendStringInfoString(
				&sql, "FOR EACH ROW EXECUTE FUNCTION polyref.action_trigger()");
			break;
		case TruncateFunction:
			appendStringInfoString(&sql, "FOR EACH STATEMENT EXECUTE FUNCTION "
										 "polyref.truncate_trigger()");
			break;
		case RegistryFunction:
			appendStringInfoString(
				&sql,
				"FOR EACH ROW EXECUTE FUNCTION polyref.registry_trigger()");
			break;
	}
	return sql.data;
}

/* Runs a CREATE TRIGGER polyref wrote (restore_declaration lets it be). */
static void
create_own_trigger(const char *sql, Oid owner)
{
	installing_own_trigger = true;
	PG_TRY();
	{
		run_sql_as(sql, owner);
	}
	PG_FINALLY();
	{
		installing_own_trigger = false;
	}
	PG_END_TRY();
}

/* One of the table's own triggers, as pg_trigger has it. */
struct ExistingTrigger
{
	char *name;
	Oid function;
	int16 events; /* INSERT, UPDATE, DELETE, TRUNCATE bits of tgtype */
	bool deferrable;
	bool initially_deferred;
	char enabled;
};

/* Row i of the query in reconcile_triggers. */
static ExistingTrigger
existing_trigger(SPITupleTable *rows, uint64 i)
{
	HeapTuple tuple = rows->vals[i];
	TupleDesc desc = rows->tupdesc;
	bool isnull;
	ExistingTrigger t;
	t.name = SPI_getvalue(tuple, desc, 1);
	t.function = DatumGetObjectId(SPI_getbinval(tuple, desc, 2, &isnull));
	int16 type = DatumGetInt16(SPI_getbinval(tuple, desc, 3, &isnull));
	t.events = type & (TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE |
					   TRIGGER_TYPE_DELETE | TRIGGER_TYPE_TRUNCATE);
	t.deferrable = DatumGetBool(SPI_getbinval(tuple, desc, 4, &isnull));
	t.initially_deferred = DatumGetBool(SPI_getbinval(tuple, desc, 5, &isnull));
	t.enabled = DatumGetChar(SPI_getbinval(tuple, desc, 6, &isnull));
	return t;
}

/* The wanted trigger of that name, or -1. */
static int
wanted_named(const WantedTrigger *wanted, int nwanted, const char *name)
{
	for (int w = 0; w < nwanted; w++)
		if (strcmp(wanted[w].name, name) == 0)
			return w;
	return -1;
}

/* Drops one of polyref's triggers, telling the sql_drop handler it may. */
static void
drop_own_trigger(const char *name, const char *table, Oid owner)
{
	dropping_own_trigger = true;
	PG_TRY();
	{
		run_sql_as(
			psprintf("DROP TRIGGER %s ON %s", quote_identifier(name), table),
			owner);
	}
	PG_FINALLY();
	{
		dropping_own_trigger = false;
	}
	PG_END_TRY();
}

/*
 * Makes a wanted trigger, firing as the one it replaces did (kept_state),
 * or as polyref's triggers fire by default.
 */
static void
create_wanted_trigger(Oid relid, const WantedTrigger *wanted, char kept_state,
					  const char *table, Oid owner)
{
	create_own_trigger(create_trigger_sql(relid, wanted), owner);
	char state = kept_state ? kept_state : enabled_state(wanted);
	if (state != TRIGGER_FIRES_ON_ORIGIN)
		run_sql_as(psprintf("ALTER TABLE %s %s TRIGGER %s", table,
							enable_clause(state),
							quote_identifier(wanted->name)),
				   owner);
}

void
reconcile_triggers(Oid relid)
{
	if (get_rel_relkind(relid) == '\0')
		return; /* the table itself is being dropped */
	int nwanted;
	WantedTrigger *wanted = wanted_triggers(relid, &nwanted);
	Oid functions[4] = { polyref_function_oid("constraint_trigger"),
						 polyref_function_oid("action_trigger"),
						 polyref_function_oid("truncate_trigger"),
						 registry_function_oid() };
	Oid owner = relation_owner(relid);
	const char *table = qualified_relation(relid);

	spi_open();
	/* The table's own triggers (not the clones on its partitions). */
	Oid types[1] = { OIDOID };
	Datum values[1] = { ObjectIdGetDatum(relid) };
	uint64 n = query_latest("SELECT tgname::pg_catalog.text, tgfoid, tgtype, "
							"tgdeferrable, tginitdeferred, tgenabled"
							"  FROM pg_catalog.pg_trigger"
							" WHERE tgrelid OPERATOR(pg_catalog.=) $1 AND "
							"tgparentid OPERATOR(pg_catalog.=) 0",
							1, types, values, GetUserId(), 0);
	SPITupleTable *existing = SPI_tuptable;
	bool *satisfied = mcxt_array0<bool>(nwanted + 1);
	char *kept_state = mcxt_array0<char>(nwanted + 1);
	for (uint64 i = 0; i < n; i++)
	{
		ExistingTrigger t = existing_trigger(existing, i);
		int w = wanted_named(wanted, nwanted, t.name);
		bool ours = t.function == functions[0] || t.function == functions[1] ||
					t.function == functions[2] ||
					(OidIsValid(functions[3]) && t.function == functions[3]);
		if (!ours)
		{
			if (w >= 0)
				ereport(
					ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("trigger \"%s\" for relation \"%s\" already exists",
							t.name, get_rel_name(relid)),
					 errdetail("An association's constraint trigger is named "
							   "after the association."),
					 errhint("Choose another association name, or rename the "
							 "trigger.")));
			continue;
		}
		/*
		 * Whether it fires (ENABLE ALWAYS, DISABLE ...) is the DBA's to set,
		 * as for native RI triggers: not compared, and carried over when the
		 * trigger has to be made again.
		 */
		if (w >= 0 && t.function == functions[wanted[w].function] &&
			t.events == wanted[w].events &&
			t.deferrable == wanted[w].deferrable &&
			t.initially_deferred == wanted[w].initially_deferred)
		{
			satisfied[w] = true;
			continue;
		}
		if (w >= 0)
			kept_state[w] = t.enabled;
		drop_own_trigger(t.name, table, owner);
	}
	for (int w = 0; w < nwanted; w++)
		if (!satisfied[w])
			create_wanted_trigger(relid, &wanted[w], kept_state[w], table,
								  owner);
	spi_close();
	/*
	 * A kept constraint trigger may carry an older declaration, or one that is
	 * gone (undeclare).
	 */
	for (int w = 0; w < nwanted; w++)
		if (satisfied[w] && wanted[w].function == ConstraintFunction)
			carry_declaration(relid, wanted[w].name);

	/* The partitions of a partitioned target need their own TRUNCATE guard. */
	if (get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE)
	{
		List *partitions = find_all_inheritors(relid, NoLock, NULL);
		ListCell *cell;
		foreach (cell, partitions)
			if (lfirst_oid(cell) != relid)
				reconcile_triggers(lfirst_oid(cell));
	}
}

void
keep_truncate_guard_always(Oid relid)
{
	Oid function = polyref_function_oid("truncate_trigger");
	List *tables = find_all_inheritors(relid, NoLock, NULL);
	ListCell *cell;
	foreach (cell, tables)
	{
		Oid table = lfirst_oid(cell);
		spi_open();
		Oid types[3] = { OIDOID, NAMEOID, OIDOID };
		Datum values[3] = { ObjectIdGetDatum(table),
							DirectFunctionCall1(
								namein, CStringGetDatum(truncate_trigger_name)),
							ObjectIdGetDatum(function) };
		bool in_origin_mode =
			query_latest("SELECT 1 FROM pg_catalog.pg_trigger"
						 " WHERE tgrelid OPERATOR(pg_catalog.=) $1"
						 "   AND tgname OPERATOR(pg_catalog.=) $2"
						 "   AND tgfoid OPERATOR(pg_catalog.=) $3"
						 "   AND tgenabled OPERATOR(pg_catalog.=) 'O'",
						 3, types, values, GetUserId(), 1) > 0;
		if (in_origin_mode)
			run_sql_as(psprintf("ALTER TABLE %s ENABLE ALWAYS TRIGGER %s",
								qualified_relation(table),
								quote_identifier(truncate_trigger_name)),
					   relation_owner(table));
		spi_close();
	}
}

bool
trigger_required(Oid relid, const char *trigger_name)
{
	int nwanted;
	WantedTrigger *wanted = wanted_triggers(relid, &nwanted);
	for (int w = 0; w < nwanted; w++)
		if (strcmp(wanted[w].name, trigger_name) == 0)
			return true;
	return false;
}

} // namespace polyref
