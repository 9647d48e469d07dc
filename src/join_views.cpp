/*
 * join_views.cpp — polyref.create_join_view and the upkeep of the views it
 * records (see join_views.hpp): rewritten as their association's kinds
 * change, dropped and made again with their grants when the source's columns
 * changed, dropped with the association.
 *
 * The views are security_invoker views: a query through one runs as its
 * caller, as resolve() and the other helpers do (resolve.cpp).  Every table
 * is schema-qualified, every identifier quoted and every operator written
 * OPERATOR(schema.name), so nothing on the search_path changes what a view
 * reads.
 */
#include "join_views.hpp"
#include "schema_carrier.hpp"

#include "arguments.hpp"
#include "boundary.hpp"
#include "canonical_id.hpp"
#include "catalog.hpp"
#include "config.hpp"
#include "spi_util.hpp"
#include "sql_names.hpp"

extern "C" {
#include "access/relation.h"
#include "commands/dbcommands.h"
#include "parser/scansup.h"
#include "utils/regproc.h"
}

#include "registry.hpp"

#include <cstring>

namespace polyref {

/*
 * s.type = '<kind>', written so that an index leading with the kind column
 * serves it.
 */
static void
append_kind_test(StringInfo sql, Association *a, const char *type_column,
				 const Kind *kind)
{
	const char *literal = quote_literal_cstr(kind->label);
	appendStringInfo(sql, "%s ", type_column);
	append_operator(sql, a->type_eq_operator);
	if (a->registry != nullptr)
	{
		/*
		 * The key of the registry row labelled so, found when the view runs
		 * (keys differ from one database to the next; the view is dumped).
		 */
		appendStringInfo(sql, " (%s)", registry_key_query(a, kind->label));
		return;
	}
	if (a->type_class == KindColumnClass::Text)
		appendStringInfo(sql, " %s::pg_catalog.text", literal);
	else
		appendStringInfo(sql, " %s::%s", literal,
						 format_type_be_qualified(a->type_type));
	if (a->type_class == KindColumnClass::Citext)
		appendStringInfo(sql,
						 " AND %s::pg_catalog.text OPERATOR(pg_catalog.=) "
						 "%s::pg_catalog.text",
						 type_column, literal);
}

/* t.key = s.id, written so that the key's unique index serves it. */
static void
append_join_condition(StringInfo sql, Association *a, TargetRef *target,
					  const char *id_column)
{
	const char *key_column =
		qualified_column("t", target->relid, target->key_attnum);
	Oid key_base = getBaseType(target->key_type);
	if (target->id_match == IdMatch::Operator)
		generate_operator_clause(sql, key_column, target->key_type,
								 target->lookup_operator, id_column,
								 a->id_type);
	else if (has_fast_canonical_form(key_base))
		generate_operator_clause(
			sql, key_column, target->key_type, target->key_eq_operator,
			psprintf("polyref.canonical_key(%s, NULL::%s)", id_column,
					 format_type_be_qualified(key_base)),
			key_base);
	else
	{
		/*
		 * Other key types: the id against the key's canonical text (the
		 * source's index serves it).
		 */
		Oid output;
		bool is_varlena;
		getTypeOutputInfo(target->key_type, &output, &is_varlena);
		generate_operator_clause(sql, id_column, a->id_type, TextEqualOperator,
								 psprintf("pg_catalog.textin(%s(%s))",
										  qualified_function(output),
										  key_column),
								 TEXTOID);
	}
}

/* AND t.<scope column> = s.<scope column> ...: the same scope. */
static void
append_scope_condition(StringInfo sql, Association *a, TargetRef *target)
{
	for (int i = 0; i < target->nscope; i++)
	{
		appendStringInfoString(sql, " AND ");
		generate_operator_clause(
			sql, qualified_column("t", target->relid, target->scope[i].attnum),
			target->scope[i].type, target->scope[i].lookup_operator,
			qualified_column("s", a->source, a->scope_attnums[i]),
			a->scope_types[i]);
	}
}

/*
 * The view's query: every column of the source, target_kind and target; one
 * UNION ALL branch per kind, so that a filter on the source's columns or on
 * target_kind reaches every branch (and drops the branches of other kinds).
 */
static char *
join_view_query(Association *a)
{
	StringInfoData sql;
	initStringInfo(&sql);
	const char *type_column = qualified_column("s", a->source, a->type_attnum);
	const char *id_column = qualified_column("s", a->source, a->id_attnum);
	for (int k = 0; k < a->nkinds; k++)
	{
		const Kind *kind = &a->kinds[k];
		if (k > 0)
			appendStringInfoString(&sql, "\nUNION ALL\n");
		appendStringInfo(&sql,
						 "SELECT s.*, %s::pg_catalog.text AS target_kind, "
						 "pg_catalog.to_jsonb(t.*) AS target\n"
						 "  FROM ",
						 quote_literal_cstr(kind->label));
		append_scanned_relation(&sql, a->source);
		appendStringInfoString(&sql, " s\n  JOIN ");
		append_scanned_relation(&sql, kind->target->relid);
		appendStringInfoString(&sql, " t ON ");
		append_join_condition(&sql, a, kind->target, id_column);
		append_scope_condition(&sql, a, kind->target);
		appendStringInfoString(&sql, "\n WHERE ");
		append_kind_test(&sql, a, type_column, kind);
	}
	if (a->nkinds == 0)
	{
		/* No kind yet: the right columns, no rows. */
		appendStringInfoString(&sql,
							   "SELECT s.*, NULL::pg_catalog.text AS "
							   "target_kind, NULL::pg_catalog.jsonb AS target\n"
							   "  FROM ");
		append_scanned_relation(&sql, a->source);
		appendStringInfoString(&sql, " s\n WHERE false");
	}
	return sql.data;
}

static char *
create_view_statement(const char *qualified_view, Association *a, bool replace)
{
	return psprintf("CREATE %sVIEW %s%s AS\n%s", replace ? "OR REPLACE " : "",
					qualified_view,
#if PG_VERSION_NUM >= 150000
					" WITH (security_invoker = true)",
#else
					"",
#endif
					join_view_query(a));
}

/*
 * Do the view's columns still read: the source's columns, then target_kind and
 * target?
 */
static bool
view_columns_current(Oid view, Oid source)
{
	Relation view_rel = relation_open(view, AccessShareLock);
	Relation source_rel = relation_open(source, AccessShareLock);
	TupleDesc vd = RelationGetDescr(view_rel);
	TupleDesc sd = RelationGetDescr(source_rel);
	int v = 0;
	bool same = true;
	for (int s = 0; s < sd->natts && same; s++)
	{
		Form_pg_attribute sa = TupleDescAttr(sd, s);
		if (sa->attisdropped)
			continue;
		if (v >= vd->natts)
		{
			same = false;
			break;
		}
		Form_pg_attribute va = TupleDescAttr(vd, v++);
		same = strcmp(NameStr(va->attname), NameStr(sa->attname)) == 0 &&
			   va->atttypid == sa->atttypid && va->atttypmod == sa->atttypmod &&
			   va->attcollation == sa->attcollation;
	}
	if (same)
		same =
			v + 2 == vd->natts &&
			strcmp(NameStr(TupleDescAttr(vd, v)->attname), "target_kind") ==
				0 &&
			TupleDescAttr(vd, v)->atttypid == TEXTOID &&
			strcmp(NameStr(TupleDescAttr(vd, v + 1)->attname), "target") == 0 &&
			TupleDescAttr(vd, v + 1)->atttypid == JSONBOID;
	relation_close(source_rel, NoLock);
	relation_close(view_rel, NoLock);
	return same;
}

/*
 * The GRANTs that give others what they hold on the view (to re-apply after
 * re-creating it).
 */
static char **
view_grants(Oid view, const char *qualified_view, int *count)
{
	MemoryContext caller_memory = CurrentMemoryContext;
	spi_open();
	Oid types[1] = { OIDOID };
	Datum values[1] = { ObjectIdGetDatum(view) };
	int rc = SPI_execute_with_args(
		"SELECT a.grantee, a.privilege_type, a.is_grantable"
		"  FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a"
		" WHERE c.oid OPERATOR(pg_catalog.=) $1"
		"   AND a.grantee OPERATOR(pg_catalog.<>) c.relowner",
		1, types, values, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "polyref: reading the grants of a join view failed: %s",
			 SPI_result_code_string(rc));
	char **grants = (char **) MemoryContextAllocZero(
		caller_memory, sizeof(char *) * (SPI_processed + 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool isnull;
		HeapTuple tuple = SPI_tuptable->vals[i];
		TupleDesc desc = SPI_tuptable->tupdesc;
		Oid grantee = DatumGetObjectId(SPI_getbinval(tuple, desc, 1, &isnull));
		char *privilege = SPI_getvalue(tuple, desc, 2);
		bool grantable = DatumGetBool(SPI_getbinval(tuple, desc, 3, &isnull));
		const char *to =
			grantee == InvalidOid
				? "PUBLIC"
				: quote_identifier(GetUserNameFromId(grantee, false));
		grants[i] = MemoryContextStrdup(
			caller_memory,
			psprintf("GRANT %s ON %s TO %s%s", privilege, qualified_view, to,
					 grantable ? " WITH GRANT OPTION" : ""));
	}
	*count = (int) SPI_processed;
	spi_close();
	return grants;
}

/* The recorded views of an association. */
static Oid *
recorded_views(Oid source, const char *name, int *count)
{
	MemoryContext caller_memory = CurrentMemoryContext;
	spi_open();
	Oid types[2] = { REGCLASSOID, TEXTOID };
	Datum values[2] = { ObjectIdGetDatum(source), CStringGetTextDatum(name) };
	uint64 n = query_latest(
		"SELECT join_view::pg_catalog.oid FROM polyref.config_join_view"
		" WHERE source OPERATOR(pg_catalog.=) $1 AND association "
		"OPERATOR(pg_catalog.=) $2"
		" ORDER BY 1",
		2, types, values, config_owner(), 0);
	Oid *views =
		(Oid *) MemoryContextAllocZero(caller_memory, sizeof(Oid) * (n + 1));
	for (uint64 i = 0; i < n; i++)
	{
		bool isnull;
		views[i] = DatumGetObjectId(SPI_getbinval(
			SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
	}
	*count = (int) n;
	spi_close();
	return views;
}

bool
join_view_recorded_for(Oid view, Oid *source, char **name)
{
	MemoryContext caller_memory = CurrentMemoryContext;
	spi_open();
	Oid types[1] = { OIDOID };
	Datum values[1] = { ObjectIdGetDatum(view) };
	bool found =
		query_latest(
			"SELECT source::pg_catalog.oid, association FROM "
			"polyref.config_join_view"
			" WHERE join_view::pg_catalog.oid OPERATOR(pg_catalog.=) $1",
			1, types, values, config_owner(), 1) > 0;
	if (found)
	{
		bool isnull;
		*source = DatumGetObjectId(SPI_getbinval(
			SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		char *association =
			SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
		*name = MemoryContextStrdup(caller_memory, association);
	}
	spi_close();
	return found;
}

/*
 * Forgets a recorded view.  Each change to the records goes into the
 * declaration the association's trigger carries (schema_carrier.hpp).
 */
static void
forget_view(Oid view)
{
	Oid source;
	char *name;
	bool recorded = join_view_recorded_for(view, &source, &name);
	Oid types[1] = { OIDOID };
	Datum values[1] = { ObjectIdGetDatum(view) };
	spi_open();
	config_write("DELETE FROM polyref.config_join_view WHERE "
				 "join_view::pg_catalog.oid OPERATOR(pg_catalog.=) $1",
				 1, types, values);
	spi_close();
	if (recorded)
		carry_declaration(source, name);
}

void
join_view_record(Oid view, Oid source, const char *name)
{
	Oid types[3] = { REGCLASSOID, REGCLASSOID, TEXTOID };
	Datum values[3] = { ObjectIdGetDatum(view), ObjectIdGetDatum(source),
						CStringGetTextDatum(name) };
	spi_open();
	config_write("INSERT INTO polyref.config_join_view (join_view, source, "
				 "association) VALUES ($1, $2, $3)",
				 3, types, values);
	spi_close();
	carry_declaration(source, name);
}

/*
 * Rewrites one recorded view from the association as it is now; returns its
 * (possibly new) OID.
 */
static Oid
rewrite_view(Association *a, Oid view)
{
	char *schema = get_namespace_name(get_rel_namespace(view));
	char *name = get_rel_name(view);
	const char *qualified_view = quote_qualified_identifier(schema, name);
	Oid owner = relation_owner(view);
	LockRelationOid(view, AccessExclusiveLock);
	if (view_columns_current(view, a->source))
	{
		/* In place: grants, comments and dependent views stay. */
		spi_open();
		run_sql_as(create_view_statement(qualified_view, a, true), owner);
		spi_close();
		return view;
	}
	/*
	 * The source's columns changed since the view was made: CREATE OR REPLACE
	 * cannot reorder a view's columns, so drop it (refused while other views
	 * depend on it) and make it again, with its owner and grants.
	 */
	int ngrants;
	char **grants = view_grants(view, qualified_view, &ngrants);
	spi_open();
	run_sql_as(psprintf("DROP VIEW %s", qualified_view), owner);
	run_sql_as(create_view_statement(qualified_view, a, false), owner);
	for (int i = 0; i < ngrants; i++)
		run_sql_as(grants[i], owner);
	spi_close();
	CommandCounterIncrement();
	Oid remade = get_relname_relid(name, get_namespace_oid(schema, false));
	/*
	 * The DROP made the sql_drop event trigger forget the old view: record the
	 * new one.
	 */
	forget_view(view);
	join_view_record(remade, a->source, a->name);
	return remade;
}

void
join_views_refresh(Oid source, const char *name)
{
	CommandCounterIncrement();
	int n;
	Oid *views = recorded_views(source, name, &n);
	if (n == 0)
		return;
	Association *a = catalog_find(catalog_current(), source, name);
	if (a == nullptr)
		return;
	for (int i = 0; i < n; i++)
	{
		if (get_rel_relkind(views[i]) != RELKIND_VIEW)
			forget_view(views[i]); /* dropped while event triggers were off */
		else
			rewrite_view(a, views[i]);
	}
}

void
join_views_drop(Oid source, const char *name)
{
	CommandCounterIncrement();
	int n;
	Oid *views = recorded_views(source, name, &n);
	for (int i = 0; i < n; i++)
	{
		if (get_rel_relkind(views[i]) == RELKIND_VIEW)
		{
			/*
			 * As its owner: the view is the association's, whoever now owns the
			 * source.
			 */
			const char *qualified_view = qualified_relation(views[i]);
			Oid owner = relation_owner(views[i]);
			spi_open();
			run_sql_as(psprintf("DROP VIEW %s", qualified_view), owner);
			spi_close();
		}
		forget_view(views[i]);
	}
}

void
join_views_forget(const Oid *relids, int n)
{
	for (int i = 0; i < n; i++)
		forget_view(relids[i]);
}

} // namespace polyref

using namespace polyref;

POLYREF_FUNCTION(polyref_create_join_view)
{
	require_writable_transaction(fcinfo);
	require_argument(fcinfo, 0, "source");
	require_argument(fcinfo, 1, "name");
	Oid source = PG_GETARG_OID(0);
	const char *name = text_argument(fcinfo, 1);

	/*
	 * The owner of the source, as for the management functions; the
	 * configuration row serializes with them.
	 */
	LockRelationOid(source, AccessShareLock);
	existing_relation(source);
	if (!polyref_owns_relation(source, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, get_rel_name(source));
	ConfigAssociation config;
	if (!config_find_association(source, name, &config, true))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("association \"%s\" on table \"%s\" does not exist",
						name, get_rel_name(source))));

	/*
	 * <source>_<name> in the source's schema, or the name given (qualified or
	 * in the source's schema).
	 */
	Oid schema = get_rel_namespace(source);
	char *view_name;
	if (PG_ARGISNULL(2))
	{
		view_name = psprintf("%s_%s", get_rel_name(source), name);
		truncate_identifier(view_name, (int) strlen(view_name), true);
	}
	else
	{
		RangeVar *rv = makeRangeVarFromNameList(
			polyref_qualified_name_list(text_argument(fcinfo, 2)));
		if (rv->catalogname != nullptr &&
			strcmp(rv->catalogname, get_database_name(MyDatabaseId)) != 0)
			ereport(
				ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cross-database references are not implemented: \"%s\"",
						text_argument(fcinfo, 2))));
		if (rv->schemaname != nullptr)
			schema = get_namespace_oid(rv->schemaname, false);
		view_name = rv->relname;
	}
	const char *qualified_view =
		quote_qualified_identifier(get_namespace_name(schema), view_name);

	CommandCounterIncrement();
	Association *a = catalog_find(catalog_current(), source, name);
	if (a == nullptr)
		elog(ERROR, "polyref: association \"%s\" vanished from the catalog",
			 name);

	/* Called again for its own view: brought up to date. */
	Oid existing = get_relname_relid(view_name, schema);
	Oid recorded_source;
	char *recorded_name;
	if (OidIsValid(existing) &&
		join_view_recorded_for(existing, &recorded_source, &recorded_name) &&
		recorded_source == source && strcmp(recorded_name, name) == 0)
		PG_RETURN_OID(rewrite_view(a, existing));
	if (OidIsValid(existing))
		ereport(ERROR, (errcode(ERRCODE_DUPLICATE_TABLE),
						errmsg("relation \"%s\" already exists", view_name)));

	/*
	 * Made as the source's owner, like the rest of what the association
	 * installs.
	 */
	spi_open();
	run_sql_as(create_view_statement(qualified_view, a, false),
			   relation_owner(source));
	spi_close();
	CommandCounterIncrement();
	Oid view = get_relname_relid(view_name, schema);
	if (!OidIsValid(view))
		elog(ERROR, "polyref: the join view just created is missing");

	join_view_record(view, source, name);
	PG_RETURN_OID(view);
}
