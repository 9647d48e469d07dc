/*
 * schema_carrier.cpp — the declaration each association's constraint trigger
 * carries, so that a schema-only dump restores it (see schema_carrier.hpp).
 */
#include "schema_carrier.hpp"

#include "arguments.hpp"
#include "boundary.hpp"
#include "catalog.hpp"
#include "citus.hpp"
#include "config.hpp"
#include "join_views.hpp"
#include "spi_util.hpp"
#include "sql_names.hpp"
#include "triggers.hpp"

#include <algorithm>
#include <cstring>

namespace polyref {

/* The first argument: which format the rest is in.  A later format gets a later
 * number. */
static const char *const format_argument = "polyref=1";

/* ------------------------------------------------------------------------
 * pg_trigger rows
 */

struct TriggerRow
{
	Oid oid;
	Oid relid;
	const char *name;
	Oid function;
	Oid parent;
	bool deferrable;
	bool initially_deferred;
	int nargs;
	char **args;
};

/* The pg_trigger row of trigger, or NULL; the caller ends the scan. */
static HeapTuple
scan_trigger(Relation rel, Oid trigger, SysScanDesc *scan)
{
	ScanKeyData key;
	ScanKeyInit(&key, Anum_pg_trigger_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(trigger));
	*scan = systable_beginscan(rel, TriggerOidIndexId, true, NULL, 1, &key);
	return systable_getnext(*scan);
}

static bool
read_trigger(Oid trigger, TriggerRow *out)
{
	Relation rel = table_open(TriggerRelationId, AccessShareLock);
	SysScanDesc scan;
	HeapTuple tuple = scan_trigger(rel, trigger, &scan);
	bool found = HeapTupleIsValid(tuple);
	if (found)
	{
		Form_pg_trigger form = (Form_pg_trigger) GETSTRUCT(tuple);
		out->oid = trigger;
		out->relid = form->tgrelid;
		out->name = pstrdup(NameStr(form->tgname));
		out->function = form->tgfoid;
		out->parent = form->tgparentid;
		out->deferrable = form->tgdeferrable;
		out->initially_deferred = form->tginitdeferred;
		out->nargs = form->tgnargs;
		out->args = (char **) palloc0(sizeof(char *) * (out->nargs + 1));
		if (out->nargs > 0)
		{
			/* As RelationBuildTriggers reads them: each argument ends with a
			 * NUL byte. */
			bool isnull;
			bytea *bytes = DatumGetByteaPP(fastgetattr(
				tuple, Anum_pg_trigger_tgargs, RelationGetDescr(rel), &isnull));
			const char *p = isnull ? nullptr : VARDATA_ANY(bytes);
			const char *end = isnull ? nullptr : p + VARSIZE_ANY_EXHDR(bytes);
			for (int i = 0; i < out->nargs; i++)
			{
				size_t len = p != nullptr && p < end ? strnlen(p, end - p) : 0;
				if (p == nullptr || p + len >= end)
					elog(ERROR,
						 "polyref: the arguments of trigger %u are damaged",
						 trigger);
				out->args[i] = pnstrdup(p, len);
				p += len + 1;
			}
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/* The OIDs a query's first column returns, in the caller's memory. */
static List *
query_oids(const char *sql, int nargs, Oid *types, Datum *values, Oid role)
{
	MemoryContext caller_memory = CurrentMemoryContext;
	List *oids = NIL;
	spi_open();
	uint64 n = query_latest(sql, nargs, types, values, role, 0);
	for (uint64 i = 0; i < n; i++)
	{
		bool isnull;
		Oid oid = DatumGetObjectId(SPI_getbinval(
			SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		MemoryContext spi_memory = MemoryContextSwitchTo(caller_memory);
		oids = lappend_oid(oids, oid);
		MemoryContextSwitchTo(spi_memory);
	}
	spi_close();
	return oids;
}

/* The triggers PostgreSQL cloned from this one onto partitions (at any depth).
 */
static List *
cloned_triggers(Oid trigger)
{
	Oid types[1] = { OIDOID };
	Datum values[1] = { ObjectIdGetDatum(trigger) };
	List *children = query_oids("SELECT oid FROM pg_catalog.pg_trigger"
								" WHERE tgparentid OPERATOR(pg_catalog.=) $1",
								1, types, values, GetUserId());
	List *found = NIL;
	ListCell *cell;
	foreach (cell, children)
		found = list_concat(lappend_oid(found, lfirst_oid(cell)),
							cloned_triggers(lfirst_oid(cell)));
	return found;
}

/*
 * Replaces a trigger's arguments in place, as ALTER TRIGGER would if it
 * could: dropping and creating the trigger again would strand the events
 * this transaction already queued for it ("could not find trigger").
 */
static void
write_trigger_arguments(Oid trigger, char **args, int nargs)
{
	/* tgargs as CreateTrigger makes it: each argument, backslashes doubled,
	 * then \000, read by byteain. */
	StringInfoData escaped;
	initStringInfo(&escaped);
	for (int i = 0; i < nargs; i++)
	{
		for (const char *c = args[i]; *c; c++)
		{
			if (*c == '\\')
				appendStringInfoChar(&escaped, '\\');
			appendStringInfoChar(&escaped, *c);
		}
		appendStringInfoString(&escaped, "\\000");
	}
	Datum tgargs = DirectFunctionCall1(byteain, CStringGetDatum(escaped.data));

	Relation rel = table_open(TriggerRelationId, RowExclusiveLock);
	SysScanDesc scan;
	HeapTuple tuple = scan_trigger(rel, trigger, &scan);
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "polyref: trigger %u has gone", trigger);
	Oid relid = ((Form_pg_trigger) GETSTRUCT(tuple))->tgrelid;
	Datum values[Natts_pg_trigger] = {};
	bool nulls[Natts_pg_trigger] = {};
	bool replace[Natts_pg_trigger] = {};
	values[Anum_pg_trigger_tgnargs - 1] = Int16GetDatum((int16) nargs);
	replace[Anum_pg_trigger_tgnargs - 1] = true;
	values[Anum_pg_trigger_tgargs - 1] = tgargs;
	replace[Anum_pg_trigger_tgargs - 1] = true;
	HeapTuple updated =
		heap_modify_tuple(tuple, RelationGetDescr(rel), values, nulls, replace);
	CatalogTupleUpdate(rel, &updated->t_self, updated);
	InvokeObjectPostAlterHook(TriggerRelationId, trigger, 0);
	systable_endscan(scan);
	table_close(rel, RowExclusiveLock);
	/* pg_trigger changes reach other backends' relcache only through the
	 * table's entry. */
	CacheInvalidateRelcacheByRelid(relid);
	CommandCounterIncrement();
}

static bool
same_arguments(const TriggerRow *t, char **args, int nargs)
{
	if (t->nargs != nargs)
		return false;
	for (int i = 0; i < nargs; i++)
		if (strcmp(t->args[i], args[i]) != 0)
			return false;
	return true;
}

/* "schema.table", for messages. */
static const char *
display_relation(Oid relid)
{
	const char *name = get_rel_name(relid);
	const char *schema =
		name ? get_namespace_name(get_rel_namespace(relid)) : nullptr;
	return name && schema ? psprintf("%s.%s", schema, name)
						  : psprintf("with OID %u", relid);
}

/* The join views recorded for an association, by OID. */
static List *
recorded_join_views(Oid source, const char *name)
{
	Oid types[2] = { REGCLASSOID, TEXTOID };
	Datum values[2] = { ObjectIdGetDatum(source), CStringGetTextDatum(name) };
	return query_oids(
		"SELECT join_view::pg_catalog.oid FROM polyref.config_join_view"
		" WHERE source OPERATOR(pg_catalog.=) $1"
		"   AND association OPERATOR(pg_catalog.=) $2 ORDER BY 1",
		2, types, values, config_owner());
}

/* ------------------------------------------------------------------------
 * Writing: configuration -> arguments
 */

char **
declaration_arguments(Oid source, const char *name, int *nargs)
{
	*nargs = 0;
	ConfigAssociation a;
	if (!config_find_association(source, name, &a, false))
		return nullptr;
	int nkinds;
	ConfigKind *kinds = config_kinds(source, name, &nkinds);
	List *views = recorded_join_views(source, name);
	char **args = (char **) palloc0(
		sizeof(char *) * (9 + a.nscope + 3 * nkinds + list_length(views) + 1));
	int n = 0;
	args[n++] = pstrdup(format_argument);
	args[n++] = psprintf("type_column=%s", a.type_column);
	args[n++] = psprintf("id_column=%s", a.id_column);
	args[n++] = psprintf("on_delete=%s", action_name(a.on_delete));
	args[n++] = psprintf("on_update=%s", action_name(a.on_update));
	args[n++] = psprintf("validated=%s", a.validated ? "true" : "false");
	if (a.created_index != nullptr)
		args[n++] = psprintf("created_index=%s", a.created_index);
	/* Only when not the default, so that MATCH FULL reads as before 1.1's
	 * match_type. */
	if (a.match_simple)
		args[n++] = pstrdup("match_type=simple");
	/* A kind registry by name: the restored database has its own OIDs. */
	if (OidIsValid(a.kind_registry) && get_rel_name(a.kind_registry) != nullptr)
		args[n++] =
			psprintf("kind_registry=%s",
					 quote_qualified_identifier(
						 get_namespace_name(get_rel_namespace(a.kind_registry)),
						 get_rel_name(a.kind_registry)));
	/* A scoped association's columns, one argument each, in their order. */
	for (int i = 0; i < a.nscope; i++)
		args[n++] = psprintf("scope_column=%s", a.scope_columns[i]);
	/* Kinds sorted by label (config_kinds), so that the same declaration always
	 * reads the same. */
	for (int k = 0; k < nkinds; k++)
	{
		const char *table = get_rel_name(kinds[k].target);
		if (table == nullptr)
			continue; /* dropped while event triggers were off: no dump could
						 carry it */
		args[n++] = psprintf("kind=%s", kinds[k].kind);
		args[n++] = psprintf(
			"target=%s",
			quote_qualified_identifier(
				get_namespace_name(get_rel_namespace(kinds[k].target)), table));
		args[n++] = psprintf("key_column=%s", kinds[k].key_column);
	}
	/* The join views create_join_view made, sorted by name as the kinds are. */
	int first_view = n;
	ListCell *cell;
	foreach (cell, views)
	{
		const char *view = get_rel_name(lfirst_oid(cell));
		if (view != nullptr)
			args[n++] = psprintf(
				"join_view=%s",
				quote_qualified_identifier(
					get_namespace_name(get_rel_namespace(lfirst_oid(cell))),
					view));
	}
	std::sort(args + first_view, args + n,
			  [](const char *x, const char *y) { return strcmp(x, y) < 0; });
	*nargs = n;
	return args;
}

void
carry_declaration(Oid source, const char *name)
{
	if (get_rel_relkind(source) == '\0')
		return;
	Oid trigger = get_trigger_oid(source, name, true);
	TriggerRow t;
	if (!OidIsValid(trigger) || !read_trigger(trigger, &t) ||
		t.function != polyref_function_oid("constraint_trigger"))
		return; /* not made yet: reconcile_triggers makes it with its arguments
				 */
	int nargs;
	char **args = declaration_arguments(source, name, &nargs);
	if (same_arguments(&t, args, nargs))
		return;
	/* CREATE TRIGGER's lock: writes to the table wait, reads go on. */
	LockRelationOid(source, ShareRowExclusiveLock);
	write_trigger_arguments(trigger, args, nargs);
	/* Partitions' clones too, so that no copy of the trigger says otherwise. */
	ListCell *cell;
	List *clones = cloned_triggers(trigger);
	foreach (cell, clones)
		write_trigger_arguments(lfirst_oid(cell), args, nargs);
}

void
carry_declarations_touching(Oid relid)
{
	int n;
	ConfigAssociation *touching = nullptr;
	if (OidIsValid(relid))
	{
		touching = config_associations_touching(relid, &n);
		/* A renamed join view: the association it belongs to. */
		Oid source;
		char *name;
		if (n == 0 && join_view_recorded_for(relid, &source, &name))
		{
			carry_declaration(source, name);
			return;
		}
	}
	else
	{
		MemoryContext caller_memory = CurrentMemoryContext;
		spi_open();
		n = (int) query_latest("SELECT source::pg_catalog.oid, association "
							   "FROM polyref.config_association",
							   0, nullptr, nullptr, config_owner(), 0);
		touching = mcxt_array0<ConfigAssociation>(n + 1, caller_memory);
		for (int i = 0; i < n; i++)
		{
			bool isnull;
			touching[i].source = DatumGetObjectId(SPI_getbinval(
				SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
			char *name =
				SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
			touching[i].name = MemoryContextStrdup(caller_memory, name);
		}
		spi_close();
	}
	for (int i = 0; i < n; i++)
		carry_declaration(touching[i].source, touching[i].name);
	/* A renamed kind registry: the associations that name it. */
	if (OidIsValid(relid))
	{
		ConfigAssociation *of_registry =
			config_associations_of_registry(relid, &n);
		for (int i = 0; i < n; i++)
			carry_declaration(of_registry[i].source, of_registry[i].name);
	}
}

void
carry_after_rename(Node *parsetree)
{
	if (IsA(parsetree, RenameStmt))
	{
		RenameStmt *stmt = (RenameStmt *) parsetree;
		if (stmt->renameType == OBJECT_SCHEMA)
		{
			carry_declarations_touching(InvalidOid);
			return;
		}
		if (stmt->renameType == OBJECT_COLUMN)
		{
			Oid relid = RangeVarGetRelid(stmt->relation, NoLock, true);
			if (OidIsValid(relid))
				carry_declarations_touching(relid);
			return;
		}
		if (stmt->renameType != OBJECT_TABLE && stmt->renameType != OBJECT_VIEW)
			return;
	}
	else if (!IsA(parsetree, AlterObjectSchemaStmt) ||
			 (((AlterObjectSchemaStmt *) parsetree)->objectType !=
				  OBJECT_TABLE &&
			  ((AlterObjectSchemaStmt *) parsetree)->objectType != OBJECT_VIEW))
		return;
	/* The command's RangeVar holds the old name: ask what it changed. */
	List *relids = query_oids(
		"SELECT objid FROM pg_catalog.pg_event_trigger_ddl_commands()"
		" WHERE classid OPERATOR(pg_catalog.=)"
		" 'pg_catalog.pg_class'::pg_catalog.regclass",
		0, nullptr, nullptr, GetUserId());
	ListCell *cell;
	foreach (cell, relids)
		carry_declarations_touching(lfirst_oid(cell));
}

/* ------------------------------------------------------------------------
 * Reading: arguments -> declaration
 */

struct CarriedKind
{
	const char *kind;
	const char *target_name; /* as carried */
	Oid target;
	const char *key_column;
	int argno; /* of its kind= argument, for messages */
};

struct Carried
{
	const TriggerRow *trigger;
	const char *type_column;
	const char *id_column;
	Action on_delete;
	Action on_update;
	bool validated;
	const char *created_index; /* NULL: none */
	bool match_simple;
	const char *kind_registry_name; /* NULL: none */
	Oid kind_registry;
	int kind_registry_argno;
	char **scope_columns;
	int nscope;
	CarriedKind *kinds;
	int nkinds;
	const char **join_view_names; /* as carried */
	Oid *join_views;
	int njoin_views;
	int join_view_argno; /* of the first join_view= argument */
};

[[noreturn]] static void
malformed(const TriggerRow *t, int argno, const char *problem)
{
	ereport(ERROR, (errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					errmsg("trigger \"%s\" on table \"%s\" carries a malformed "
						   "polyref declaration",
						   t->name, display_relation(t->relid)),
					argno > 0 ? errdetail("Argument %d: %s", argno, problem)
							  : errdetail("%s", problem),
					errhint("polyref.declare() writes these arguments: take "
							"them from an unedited dump, or drop the "
							"trigger and declare the association again.")));
}

/* The value of argument i, which must read key=value. */
static const char *
value_of(const TriggerRow *t, int i, const char *key)
{
	if (i >= t->nargs)
		malformed(t, 0,
				  psprintf("Argument \"%s=...\" is missing after argument %d.",
						   key, t->nargs));
	const char *arg = t->args[i];
	size_t len = strlen(key);
	if (strncmp(arg, key, len) != 0 || arg[len] != '=')
		malformed(t, i + 1,
				  psprintf("expected \"%s=...\", found \"%s\".", key, arg));
	return arg + len + 1;
}

static const char *
name_value(const TriggerRow *t, int i, const char *key)
{
	const char *value = value_of(t, i, key);
	if (value[0] == '\0' || strlen(value) >= NAMEDATALEN)
		malformed(t, i + 1,
				  psprintf("%s must be a name of 1 to %d bytes.", key,
						   NAMEDATALEN - 1));
	return value;
}

static Action
action_value(const TriggerRow *t, int i, const char *key)
{
	const char *value = value_of(t, i, key);
	Action action;
	if (!parse_action(value, &action))
		malformed(t, i + 1,
				  psprintf("%s \"%s\" is not 'no action', 'restrict', "
						   "'cascade', 'set null' or 'set default'.",
						   key, value));
	return action;
}

static Carried
parse_carried(const TriggerRow *t)
{
	Carried d{};
	d.trigger = t;
	const char *format = value_of(t, 0, "polyref");
	if (strcmp(format, "1") != 0)
		malformed(t, 1,
				  psprintf("declaration format \"%s\" is unknown to this "
						   "polyref (it reads format 1).",
						   format));
	d.type_column = name_value(t, 1, "type_column");
	d.id_column = name_value(t, 2, "id_column");
	d.on_delete = action_value(t, 3, "on_delete");
	d.on_update = action_value(t, 4, "on_update");
	const char *validated = value_of(t, 5, "validated");
	if (strcmp(validated, "true") != 0 && strcmp(validated, "false") != 0)
		malformed(
			t, 6,
			psprintf("validated \"%s\" is neither true nor false.", validated));
	d.validated = strcmp(validated, "true") == 0;
	int i = 6;
	if (i < t->nargs &&
		strncmp(t->args[i], "created_index=", strlen("created_index=")) == 0)
		d.created_index = name_value(t, i++, "created_index");
	if (i < t->nargs &&
		strncmp(t->args[i], "match_type=", strlen("match_type=")) == 0)
	{
		const char *match_type = value_of(t, i++, "match_type");
		if (strcmp(match_type, "simple") != 0 &&
			strcmp(match_type, "full") != 0)
			malformed(t, i,
					  psprintf("match_type \"%s\" is neither full nor simple.",
							   match_type));
		d.match_simple = strcmp(match_type, "simple") == 0;
	}
	if (i < t->nargs &&
		strncmp(t->args[i], "kind_registry=", strlen("kind_registry=")) == 0)
	{
		d.kind_registry_argno = i + 1;
		d.kind_registry_name = value_of(t, i++, "kind_registry");
	}
	d.scope_columns = mcxt_array0<char *>(t->nargs - i + 1);
	while (i < t->nargs &&
		   strncmp(t->args[i], "scope_column=", strlen("scope_column=")) == 0)
	{
		const char *column = name_value(t, i++, "scope_column");
		for (int j = 0; j < d.nscope; j++)
			if (strcmp(d.scope_columns[j], column) == 0)
				malformed(
					t, i,
					psprintf("scope column \"%s\" is named twice.", column));
		d.scope_columns[d.nscope++] = (char *) column;
	}
	d.kinds = mcxt_array0<CarriedKind>((t->nargs - i) / 3 + 1);
	while (i < t->nargs && strncmp(t->args[i], "kind=", strlen("kind=")) == 0)
	{
		CarriedKind *k = &d.kinds[d.nkinds];
		k->argno = i + 1;
		k->kind = value_of(t, i, "kind");
		if (k->kind[0] == '\0')
			malformed(t, i + 1, "a kind must not be empty.");
		for (int j = 0; j < d.nkinds; j++)
			if (strcmp(d.kinds[j].kind, k->kind) == 0)
				malformed(t, i + 1,
						  psprintf("kind \"%s\" is declared twice.", k->kind));
		k->target_name = value_of(t, i + 1, "target");
		k->key_column = name_value(t, i + 2, "key_column");
		d.nkinds++;
		i += 3;
	}
	d.join_view_argno = i + 1;
	d.join_view_names = mcxt_array0<const char *>(t->nargs - i + 1);
	d.join_views = mcxt_array0<Oid>(t->nargs - i + 1);
	for (; i < t->nargs; i++)
		d.join_view_names[d.njoin_views++] = value_of(t, i, "join_view");
	return d;
}

/* 42703 for a column the declaration names but the table lacks. */
static AttrNumber
carried_column(const TriggerRow *t, Oid relid, const char *column)
{
	AttrNumber attnum = get_attnum(relid, column);
	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						column, display_relation(relid)),
				 errdetail("Trigger \"%s\" on table \"%s\" carries a polyref "
						   "declaration that names it.",
						   t->name, display_relation(t->relid))));
	return attnum;
}

/* A carried schema-qualified relation name's OID, or InvalidOid when there is
 * none. */
static Oid
carried_relation(const TriggerRow *t, int argno, const char *what,
				 const char *text)
{
	char *copy = pstrdup(text);
	List *parts = NIL;
	if (!SplitIdentifierString(copy, '.', &parts) || list_length(parts) != 2)
		malformed(
			t, argno,
			psprintf("%s \"%s\" is not a schema-qualified name.", what, text));
	Oid schema = get_namespace_oid((const char *) linitial(parts), true);
	return OidIsValid(schema)
			   ? get_relname_relid((const char *) lsecond(parts), schema)
			   : InvalidOid;
}

/* Looks up every table and view the declaration names by its carried name. */
static void
find_carried_relations(Carried *d)
{
	for (int i = 0; i < d->nkinds; i++)
		d->kinds[i].target =
			carried_relation(d->trigger, d->kinds[i].argno + 1, "target",
							 d->kinds[i].target_name);
	for (int i = 0; i < d->njoin_views; i++)
		d->join_views[i] = carried_relation(d->trigger, d->join_view_argno + i,
											"join_view", d->join_view_names[i]);
	if (d->kind_registry_name != nullptr)
		d->kind_registry =
			carried_relation(d->trigger, d->kind_registry_argno,
							 "kind_registry", d->kind_registry_name);
}

/*
 * Finds every table and column the declaration names (42P01, 42703).  Not
 * the key's unique index: pg_restore --jobs may create the trigger before
 * the target's primary key; the catalog resolves keys when it is built.
 */
static void
resolve_carried(Carried *d)
{
	const TriggerRow *t = d->trigger;
	char relkind = get_rel_relkind(t->relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
						errmsg("trigger \"%s\" carries a polyref declaration, "
							   "but \"%s\" is not a table",
							   t->name, display_relation(t->relid))));
	AttrNumber type_attnum = carried_column(t, t->relid, d->type_column);
	carried_column(t, t->relid, d->id_column);
	for (int i = 0; i < d->nscope; i++)
		carried_column(t, t->relid, d->scope_columns[i]);
	Oid kind_type = getBaseType(get_atttype(t->relid, type_attnum));
	classify_kind_column(kind_type, d->type_column, t->relid);
	find_carried_relations(d);
	if (d->kind_registry_name != nullptr && !OidIsValid(d->kind_registry))
		ereport(
			ERROR,
			(errcode(ERRCODE_UNDEFINED_TABLE),
			 errmsg("relation \"%s\" does not exist", d->kind_registry_name),
			 errdetail("Trigger \"%s\" on table \"%s\" carries "
					   "association \"%s\", whose kind registry it is.",
					   t->name, display_relation(t->relid), t->name),
			 errhint("Restore the table before the trigger.")));
	for (int i = 0; i < d->nkinds; i++)
	{
		CarriedKind *k = &d->kinds[i];
		if (!OidIsValid(k->target))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("relation \"%s\" does not exist", k->target_name),
					 errdetail("Trigger \"%s\" on table \"%s\" carries "
							   "association \"%s\", whose kind \"%s\" "
							   "points at that table.",
							   t->name, display_relation(t->relid), t->name,
							   k->kind),
					 errhint("Restore the table before the trigger, or remove "
							 "the kind from the dump.")));
		relkind = get_rel_relkind(k->target);
		if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
			ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
							errmsg("\"%s\" is not a table", k->target_name),
							errdetail("Trigger \"%s\" on table \"%s\" carries "
									  "association \"%s\", whose kind \"%s\" "
									  "points at it.",
									  t->name, display_relation(t->relid),
									  t->name, k->kind)));
		carried_column(t, k->target, k->key_column);
		for (int c = 0; c < d->nscope; c++)
			carried_column(t, k->target, d->scope_columns[c]);
		if (d->kind_registry_name == nullptr)
			check_kind_readable(t->relid, d->type_column, k->kind);
		if (type_is_enum(kind_type))
		{
			HeapTuple label =
				SearchSysCache2(ENUMTYPOIDNAME, ObjectIdGetDatum(kind_type),
								CStringGetDatum(k->kind));
			if (!HeapTupleIsValid(label))
				malformed(
					t, k->argno,
					psprintf("kind \"%s\" is not a label of enum type %s.",
							 k->kind, format_type_be(kind_type)));
			ReleaseSysCache(label);
		}
	}
	for (int i = 0; i < d->njoin_views; i++)
	{
		if (!OidIsValid(d->join_views[i]))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("relation \"%s\" does not exist",
							d->join_view_names[i]),
					 errdetail("Trigger \"%s\" on table \"%s\" carries "
							   "association \"%s\", whose join view it is.",
							   t->name, display_relation(t->relid), t->name),
					 errhint("Restore the view before the trigger, or remove "
							 "it from the dump.")));
		if (get_rel_relkind(d->join_views[i]) != RELKIND_VIEW)
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("\"%s\" is not a view", d->join_view_names[i]),
					 errdetail("Trigger \"%s\" on table \"%s\" carries "
							   "it as a join view of association \"%s\".",
							   t->name, display_relation(t->relid), t->name)));
	}
}

/* declare's rights: the source's owner, REFERENCES on each target (or on its
 * key column). */
static void
check_declaring_rights(const Carried *d)
{
	Oid source = d->trigger->relid;
	if (!polyref_owns_relation(source, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, get_rel_name(source));
	if (OidIsValid(d->kind_registry) &&
		pg_class_aclcheck(d->kind_registry, GetUserId(), ACL_REFERENCES) !=
			ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE,
					   get_rel_name(d->kind_registry));
	for (int i = 0; i < d->nkinds; i++)
	{
		Oid target = d->kinds[i].target;
		if (pg_class_aclcheck(target, GetUserId(), ACL_REFERENCES) ==
			ACLCHECK_OK)
			continue;
		AttrNumber attnum = get_attnum(target, d->kinds[i].key_column);
		if (pg_attribute_aclcheck(target, attnum, GetUserId(),
								  ACL_REFERENCES) != ACLCHECK_OK)
			aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE,
						   get_rel_name(target));
	}
}

static void
record_carried(const Carried *d)
{
	const TriggerRow *t = d->trigger;
	ConfigAssociation a{};
	a.source = t->relid;
	a.name = (char *) t->name;
	a.type_column = (char *) d->type_column;
	a.id_column = (char *) d->id_column;
	a.on_delete = d->on_delete;
	a.on_update = d->on_update;
	a.is_deferrable = t->deferrable;
	a.initially_deferred = t->initially_deferred;
	a.validated = d->validated;
	a.created_index = (char *) d->created_index;
	a.match_simple = d->match_simple;
	a.kind_registry = d->kind_registry;
	a.scope_columns = d->scope_columns;
	a.nscope = d->nscope;
	spi_open();
	config_insert_association(&a);
	for (int i = 0; i < d->nkinds; i++)
		config_insert_kind(t->relid, t->name, d->kinds[i].kind,
						   d->kinds[i].target, d->kinds[i].key_column);
	spi_close();
	for (int i = 0; i < d->njoin_views; i++)
	{
		Oid source;
		char *name;
		if (join_view_recorded_for(d->join_views[i], &source, &name))
		{
			if (source == t->relid && strcmp(name, t->name) == 0)
				continue;
			ereport(
				ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("view \"%s\" is already the join view of association "
						"\"%s\" on table \"%s\"",
						d->join_view_names[i], name, display_relation(source)),
				 errdetail("Trigger \"%s\" on table \"%s\" carries it for "
						   "association \"%s\".",
						   t->name, display_relation(t->relid), t->name)));
		}
		join_view_record(d->join_views[i], t->relid, t->name);
	}
}

void
restore_declaration(CreateTrigStmt *stmt)
{
	/* reconcile_triggers' own triggers carry what the configuration already
	 * says; pg_upgrade moves the tables whole. */
	if (polyref_is_installing_trigger() || IsBinaryUpgrade)
		return;
	Oid relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	Oid trigger = OidIsValid(relid)
					  ? get_trigger_oid(relid, stmt->trigname, true)
					  : InvalidOid;
	TriggerRow t;
	if (!OidIsValid(trigger) || !read_trigger(trigger, &t))
		return;
	if ((t.function == polyref_function_oid("constraint_trigger") ||
		 t.function == polyref_function_oid("action_trigger") ||
		 t.function == polyref_function_oid("truncate_trigger")) &&
		citus_copies_trigger(relid))
	{
		/*
		 * Citus copying one of polyref's triggers onto a shard or a shell
		 * table: the declaration is the coordinator's, and the images of this
		 * node see the shard it now enforces at their next use (citus.hpp).
		 */
		catalog_invalidate_everywhere();
		return;
	}
	if (t.function != polyref_function_oid("constraint_trigger"))
		return;
	ConfigAssociation existing;
	bool declared = config_find_association(relid, t.name, &existing, false);
	if (t.nargs == 0)
	{
		/*
		 * A target's trigger carries nothing.  A source's trigger without
		 * arguments comes from a polyref 1.0 dump, whose configuration rows
		 * were loaded before it: write them into it.
		 */
		if (declared)
			carry_declaration(relid, t.name);
		return;
	}
	Carried d = parse_carried(&t);
	resolve_carried(&d);
	if (declared)
	{
		int nargs;
		char **args = declaration_arguments(relid, t.name, &nargs);
		if (same_arguments(&t, args, nargs) &&
			existing.is_deferrable == t.deferrable &&
			existing.initially_deferred == t.initially_deferred)
			return;
		ereport(ERROR, (errcode(ERRCODE_DUPLICATE_OBJECT),
						errmsg("association \"%s\" on table \"%s\" is already "
							   "declared otherwise",
							   t.name, display_relation(relid)),
						errdetail("Trigger \"%s\" carries another declaration "
								  "than polyref.associations holds.",
								  t.name)));
	}
	check_declaring_rights(&d);
	record_carried(&d);
}

bool
read_carried_text(Oid trigger, CarriedText *out)
{
	TriggerRow *t = mcxt_object0<TriggerRow>();
	if (!read_trigger(trigger, t) || t->nargs == 0)
		return false;
	Carried d = parse_carried(t);
	out->trigger_name = t->name;
	out->type_column = d.type_column;
	out->id_column = d.id_column;
	out->on_delete = d.on_delete;
	out->on_update = d.on_update;
	out->deferrable = t->deferrable;
	out->initially_deferred = t->initially_deferred;
	out->validated = d.validated;
	out->match_simple = d.match_simple;
	out->nkinds = d.nkinds;
	out->kinds = mcxt_array0<CarriedKindText>(d.nkinds + 1);
	for (int i = 0; i < d.nkinds; i++)
		out->kinds[i] =
			CarriedKindText{ d.kinds[i].kind, d.kinds[i].target_name,
							 d.kinds[i].key_column };
	return true;
}

} // namespace polyref

using namespace polyref;

/*
 * polyref.carried_declarations(): what a schema-only dump carries, read from
 * the triggers as a restore would read it, one row per kind.
 */
POLYREF_FUNCTION(polyref_carried_declarations)
{
	Oid types[1] = { OIDOID };
	Datum values[1] = { ObjectIdGetDatum(
		polyref_function_oid("constraint_trigger")) };
	List *triggers = query_oids("SELECT oid FROM pg_catalog.pg_trigger"
								" WHERE tgfoid OPERATOR(pg_catalog.=) $1"
								"   AND tgnargs OPERATOR(pg_catalog.>) 0"
								"   AND tgparentid OPERATOR(pg_catalog.=) 0"
								" ORDER BY tgrelid, tgname COLLATE \"C\"",
								1, types, values, GetUserId());
	InitMaterializedSRF(fcinfo, 0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ListCell *cell;
	foreach (cell, triggers)
	{
		TriggerRow t;
		if (!read_trigger(lfirst_oid(cell), &t))
			continue;
		/* As read, without the restore's checks: a target that has gone shows
		 * as NULL. */
		Carried d = parse_carried(&t);
		find_carried_relations(&d);
		/* Its join views, by OID (those that exist). */
		Datum *views = mcxt_array0<Datum>(d.njoin_views + 1);
		int nviews = 0;
		for (int v = 0; v < d.njoin_views; v++)
			if (OidIsValid(d.join_views[v]))
				views[nviews++] = ObjectIdGetDatum(d.join_views[v]);
		std::sort(views, views + nviews);
		for (int k = 0; k < Max(d.nkinds, 1); k++)
		{
			bool has_kind = d.nkinds > 0;
			Datum values[17] = {
				ObjectIdGetDatum(t.relid),
				CStringGetTextDatum(t.name),
				DirectFunctionCall1(namein, CStringGetDatum(d.type_column)),
				DirectFunctionCall1(namein, CStringGetDatum(d.id_column)),
				CStringGetTextDatum(action_name(d.on_delete)),
				CStringGetTextDatum(action_name(d.on_update)),
				BoolGetDatum(t.deferrable),
				BoolGetDatum(t.initially_deferred),
				BoolGetDatum(d.validated),
				d.created_index ? DirectFunctionCall1(
									  namein, CStringGetDatum(d.created_index))
								: (Datum) 0,
				has_kind ? CStringGetTextDatum(d.kinds[k].kind) : (Datum) 0,
				has_kind ? ObjectIdGetDatum(d.kinds[k].target) : (Datum) 0,
				has_kind ? DirectFunctionCall1(
							   namein, CStringGetDatum(d.kinds[k].key_column))
						 : (Datum) 0,
				nviews > 0 ? make_array(views, nviews, REGCLASSOID) : (Datum) 0,
				CStringGetTextDatum(d.match_simple ? "simple" : "full"),
				ObjectIdGetDatum(d.kind_registry),
				d.nscope > 0 ? config_make_name_array(d.scope_columns, d.nscope)
							 : (Datum) 0,
			};
			bool nulls[17] = {};
			nulls[15] = !OidIsValid(d.kind_registry);
			nulls[16] = d.nscope == 0;
			nulls[13] = nviews == 0;
			nulls[9] = d.created_index == nullptr;
			nulls[10] = nulls[11] = nulls[12] = !has_kind;
			nulls[11] = nulls[11] || !OidIsValid(d.kinds[k].target);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values,
								 nulls);
		}
	}
	return (Datum) 0;
}

/* ALTER EXTENSION polyref UPDATE from 1.0: every existing declaration goes into
 * its trigger. */
POLYREF_FUNCTION(polyref_carry_all_declarations)
{
	carry_declarations_touching(InvalidOid);
	PG_RETURN_VOID();
}
