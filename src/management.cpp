/*
 * management.cpp — declare, add_target, drop_target, undeclare, validate,
 * orphans and rename_kind.
 *
 * Each runs as its caller and checks the caller's rights the way ALTER TABLE
 * ... ADD FOREIGN KEY does (owner of the source, REFERENCES on each target),
 * takes the locks ADD FOREIGN KEY takes, then writes the configuration as
 * its owner and brings the triggers in line.  An error anywhere aborts the
 * whole call: nothing is left half-declared.
 */
#include "arguments.hpp"
#include "boundary.hpp"
#include "catalog.hpp"
#include "citus.hpp"
#include "config.hpp"
#include "join_views.hpp"
#include "management.hpp"
#include "registry.hpp"
#include "schema_carrier.hpp"
#include "spi_util.hpp"
#include "sql_names.hpp"
#include "triggers.hpp"
#include "validation.hpp"

#include <cstring>

namespace polyref {

/* ------------------------------------------------------------------------
 * Arguments
 */

static const char *
association_name_argument(FunctionCallInfo fcinfo, int argno)
{
	require_argument(fcinfo, argno, "name");
	char *name = text_argument(fcinfo, argno);
	if (name[0] == '\0')
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("association name must not be empty")));
	if (strlen(name) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("association name \"%s\" is too long", name),
				 errdetail(
					 "It names the association's constraint, at most %d bytes.",
					 NAMEDATALEN - 1)));
	return name;
}

static void
check_kind_label(const char *kind)
{
	if (kind[0] == '\0')
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("a kind must not be empty")));
}

static Action
action_argument(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	require_argument(fcinfo, argno, argname);
	char *text = text_argument(fcinfo, argno);
	Action action;
	if (!parse_action(text, &action))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("invalid %s action \"%s\"", argname, text),
						errhint("Use 'no action', 'restrict', 'cascade', 'set "
								"null' or 'set default'.")));
	return action;
}

/*
 * match_type: true for 'simple', false for 'full' (and for a call through
 * release 1.0's declare, which has no such parameter).  'partial' is refused
 * as natively: PostgreSQL does not implement MATCH PARTIAL either.
 */
static bool
match_simple_argument(FunctionCallInfo fcinfo, int argno)
{
	if (PG_NARGS() <= argno)
		return false;
	require_argument(fcinfo, argno, "match_type");
	char *text = text_argument(fcinfo, argno);
	if (strcmp(text, "full") == 0)
		return false;
	if (strcmp(text, "simple") == 0)
		return true;
	if (strcmp(text, "partial") == 0)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("MATCH PARTIAL not yet implemented")));
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("invalid match_type \"%s\"", text),
					errhint("Use 'full' or 'simple'.")));
	pg_unreachable();
}

/*
 * scope_columns (release 1.1; the last parameter of declare): NULL or
 * columns of source, each once, and neither the kind nor the id column.
 */
static const int scope_columns_argno = 14;

static AttrNumber existing_column(Oid relid, const char *column);

static char **
scope_columns_argument(FunctionCallInfo fcinfo, Oid source,
					   const ConfigAssociation *a, int *n)
{
	*n = 0;
	if (PG_NARGS() <= scope_columns_argno || PG_ARGISNULL(scope_columns_argno))
		return nullptr;
	bool *nulls;
	int count;
	Datum *values = array_elements(PG_GETARG_ARRAYTYPE_P(scope_columns_argno),
								   "scope_columns", NAMEOID, &nulls, &count);
	char **columns = mcxt_array0<char *>(count + 1);
	for (int i = 0; i < count; i++)
	{
		if (nulls[i])
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							errmsg("scope_columns must not contain NULL")));
		columns[i] = pstrdup(NameStr(*DatumGetName(values[i])));
		(void) existing_column(source, columns[i]);
		if (strcmp(columns[i], a->type_column) == 0 ||
			strcmp(columns[i], a->id_column) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("scope column \"%s\" is the association's kind or "
							"id column",
							columns[i])));
		for (int j = 0; j < i; j++)
			if (strcmp(columns[i], columns[j]) == 0)
				ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								errmsg("scope column \"%s\" is named twice",
									   columns[i])));
	}
	if (count == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("scope_columns must name a column, or be NULL")));
	*n = count;
	return columns;
}

/*
 * A one-dimensional array argument without NULL elements, or n = -1 for a NULL
 * argument.
 */
static Datum *
array_argument(FunctionCallInfo fcinfo, int argno, const char *argname,
			   Oid element_type, int *n)
{
	if (PG_ARGISNULL(argno))
	{
		*n = -1;
		return nullptr;
	}
	bool *nulls;
	Datum *values = array_elements(PG_GETARG_ARRAYTYPE_P(argno), argname,
								   element_type, &nulls, n);
	for (int i = 0; i < *n; i++)
		if (nulls[i])
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							errmsg("%s must not contain NULL", argname)));
	return values;
}

/* ------------------------------------------------------------------------
 * Rights and locks (ATAddForeignKeyConstraint's rules)
 */

static void
require_table(Oid relid)
{
	char kind = get_rel_relkind(relid);
	if (kind != RELKIND_RELATION && kind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
						errmsg("\"%s\" is not a table", get_rel_name(relid))));
}

/*
 * Locks the source as ADD FOREIGN KEY does and checks that the caller owns it.
 */
static void
lock_owned_source(Oid source, LOCKMODE mode)
{
	LockRelationOid(source, mode);
	existing_relation(source);
	require_table(source);
	if (!polyref_owns_relation(source, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, get_rel_name(source));
}

/*
 * Locks a target as ADD FOREIGN KEY does and checks REFERENCES on it, or on
 * its key column (checkFkeyPermissions).  Returns the key column: the given
 * one, or the single-column primary key.
 */
static const char *
lock_referenced_target(Oid target, const char *key_column,
					   const ScopeSpec &scope)
{
	LockRelationOid(target, ShareRowExclusiveLock);
	existing_relation(target);
	require_table(target);
	if (key_column == nullptr)
		key_column = primary_key_column(target, scope);
	if (pg_class_aclcheck(target, GetUserId(), ACL_REFERENCES) == ACLCHECK_OK)
		return key_column;
	AttrNumber attnum = get_attnum(target, key_column);
	if (attnum == InvalidAttrNumber ||
		pg_attribute_aclcheck(target, attnum, GetUserId(), ACL_REFERENCES) !=
			ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, get_rel_name(target));
	return key_column;
}

/*
 * The association, locked FOR UPDATE unless for_reading (orphans, which also
 * runs on a standby).
 */
static ConfigAssociation
existing_association(Oid source, const char *name, bool for_reading = false)
{
	ConfigAssociation a;
	if (!config_find_association(source, name, &a, !for_reading))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("association \"%s\" on table \"%s\" does not exist",
						name, get_rel_name(source))));
	return a;
}

static AttrNumber
existing_column(Oid relid, const char *column)
{
	AttrNumber attnum = get_attnum(relid, column);
	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						column, get_rel_name(relid))));
	return attnum;
}

/* The catalog image after this transaction's own changes. */
static Association *
resolved_association(Oid source, const char *name)
{
	CommandCounterIncrement();
	Association *a = catalog_find(catalog_current(), source, name);
	if (a == nullptr)
		elog(ERROR, "polyref: association \"%s\" vanished from the catalog",
			 name);
	return a;
}

/* ------------------------------------------------------------------------
 * Kinds
 */

/*
 * An enum kind column holds only its labels: 22023 unless kind is one.
 * Returns the kind column's (base) type.
 */
static Oid
check_enum_label(Oid source, const char *type_column, const char *kind)
{
	Oid kind_type =
		getBaseType(get_atttype(source, existing_column(source, type_column)));
	if (!type_is_enum(kind_type))
		return kind_type;
	HeapTuple label = SearchSysCache2(
		ENUMTYPOIDNAME, ObjectIdGetDatum(kind_type), CStringGetDatum(kind));
	if (!HeapTupleIsValid(label))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("kind \"%s\" is not a label of enum type %s",
							   kind, format_type_be(kind_type))));
	ReleaseSysCache(label);
	return kind_type;
}

/*
 * A kind of a smallint, integer, bigint, "char" or char(n) kind column, read
 * with the column type's input function (22P02 and the like for text it
 * does not read), as that type prints it: '007' is the kind 7.  Labels of a
 * kind registry, and of other kind columns, are as given.
 */
static const char *
stored_kind_label(const ConfigAssociation *a, const char *kind)
{
	if (OidIsValid(a->kind_registry))
		return kind;
	AttrNumber attnum = existing_column(a->source, a->type_column);
	Oid type;
	int32 typmod;
	Oid collation;
	get_atttypetypmodcoll(a->source, attnum, &type, &typmod, &collation);
	Oid base = getBaseType(type);
	if (classify_kind_column(base, a->type_column, a->source) !=
		KindColumnClass::Typed)
		return kind;
	Oid input, ioparam, output;
	bool is_varlena;
	getTypeInputInfo(base, &input, &ioparam);
	getTypeOutputInfo(base, &output, &is_varlena);
	Datum value = OidInputFunctionCall(input, (char *) kind, ioparam, typmod);
	return OidOutputFunctionCall(output, value);
}

/*
 * Checks and records one kind; the caller validates rows and installs triggers.
 */
static void
insert_kind(const ConfigAssociation *a, Oid target, const char *kind,
			const char *key_column)
{
	check_kind_label(kind);
	ScopeSpec scope = scope_spec_of(a->source, a->scope_columns, a->nscope);
	kind = stored_kind_label(a, kind);
	key_column = lock_referenced_target(target, key_column, scope);
	citus_check_shape(a->source, target, a->name, false);

	/*
	 * The key (with the scope) must be unique and comparable with the id
	 * (42703, 42830, 42804).
	 */
	Oid id_type =
		get_atttype(a->source, existing_column(a->source, a->id_column));
	TargetRef probe{};
	resolve_target_key(&probe, target, key_column, id_type, a->name, scope);
	if (a->on_update == Action::Cascade &&
		probe.id_match == IdMatch::Operator &&
		!can_coerce_type(1, &probe.key_type, &id_type, COERCION_ASSIGNMENT))
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
						errmsg("on_update cascade cannot assign key column "
							   "\"%s\" (%s) to the id column (%s)",
							   key_column, format_type_be(probe.key_type),
							   format_type_be(id_type))));

	check_enum_label(a->source, a->type_column, kind);

	Datum values[3] = { ObjectIdGetDatum(a->source),
						CStringGetTextDatum(a->name),
						CStringGetTextDatum(kind) };
	spi_open();
	Oid key_types[3] = { REGCLASSOID, TEXTOID, TEXTOID };
	if (query_latest("SELECT 1 FROM polyref.config_kind WHERE source "
					 "OPERATOR(pg_catalog.=) $1"
					 " AND association OPERATOR(pg_catalog.=) $2 AND kind "
					 "OPERATOR(pg_catalog.=) $3",
					 3, key_types, values, config_owner(), 1) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("kind \"%s\" is already declared in association \"%s\"",
						kind, a->name)));
	config_insert_kind(a->source, a->name, kind, target, key_column);
	spi_close();
}

static bool
index_is_btree(Oid index)
{
	HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(index));
	bool btree = HeapTupleIsValid(tuple) &&
				 ((Form_pg_class) GETSTRUCT(tuple))->relam == BTREE_AM_OID;
	if (HeapTupleIsValid(tuple))
		ReleaseSysCache(tuple);
	return btree;
}

/* An index that leads with (type, id) already, or the one we make. */
static char *
ensure_kind_id_index(Oid source, AttrNumber type_attnum, AttrNumber id_attnum)
{
	Relation rel = table_open(source, AccessShareLock);
	List *indexes = RelationGetIndexList(rel);
	table_close(rel, AccessShareLock);
	ListCell *cell;
	foreach (cell, indexes)
	{
		HeapTuple tuple =
			SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(cell)));
		if (!HeapTupleIsValid(tuple))
			continue;
		Form_pg_index index = (Form_pg_index) GETSTRUCT(tuple);
		bool leads = index->indnkeyatts >= 2 &&
					 index->indkey.values[0] == type_attnum &&
					 index->indkey.values[1] == id_attnum &&
					 heap_attisnull(tuple, Anum_pg_index_indpred, NULL) &&
					 index_is_btree(index->indexrelid);
		ReleaseSysCache(tuple);
		if (leads)
			return nullptr;
	}
	const char *table = qualified_relation(source);
	spi_open();
	run_sql_as(
		psprintf("CREATE INDEX ON %s (%s, %s)", table,
				 quote_identifier(get_attname(source, type_attnum, false)),
				 quote_identifier(get_attname(source, id_attnum, false))),
		GetUserId());
	spi_close();
	CommandCounterIncrement();
	/* The index that was not there before. */
	rel = table_open(source, AccessShareLock);
	List *after = RelationGetIndexList(rel);
	table_close(rel, AccessShareLock);
	foreach (cell, after)
		if (!list_member_oid(indexes, lfirst_oid(cell)))
			return get_rel_name(lfirst_oid(cell));
	elog(ERROR, "polyref: the index just created is missing");
}

static void
set_validated(Oid source, const char *name, bool validated)
{
	Oid types[3] = { REGCLASSOID, TEXTOID, BOOLOID };
	Datum values[3] = { ObjectIdGetDatum(source), CStringGetTextDatum(name),
						BoolGetDatum(validated) };
	spi_open();
	config_write("UPDATE polyref.config_association SET validated = $3"
				 " WHERE source OPERATOR(pg_catalog.=) $1 AND association "
				 "OPERATOR(pg_catalog.=) $2",
				 3, types, values);
	spi_close();
}

/*
 * Does any row of the source carry this kind?  (From the configuration: the
 * target may be half gone.)
 */
static bool
rows_of_kind_remain(Oid source, const char *type_column, const char *kind)
{
	spi_open();
	Oid types[1] = { TEXTOID };
	Datum values[1] = { CStringGetTextDatum(kind) };
	char *sql =
		psprintf("SELECT 1 FROM %s x WHERE x.%s::pg_catalog.text "
				 "OPERATOR(pg_catalog.=) $1 LIMIT 1",
				 scanned_relation(source), quote_identifier(type_column));
	bool remain =
		query_latest(sql, 1, types, values, relation_owner(source), 1) > 0;
	spi_close();
	return remain;
}

/*
 * Removes a kind whose target is going (drop_target, DROP TABLE ... CASCADE).
 */
void
remove_kind(Oid source, const char *name, const char *kind, Oid target)
{
	ConfigAssociation a = existing_association(source, name);
	bool rows_remain;
	if (OidIsValid(a.kind_registry))
	{
		/* Rows carry the key of the registry row labelled kind, if any. */
		Association *image = resolved_association(source, name);
		Kind *k = association_find_kind(image, kind, (int) strlen(kind));
		rows_remain = k != nullptr && k->present &&
					  rows_of_kind_remain(source, a.type_column, k->stored);
	}
	else
		rows_remain = rows_of_kind_remain(source, a.type_column, kind);
	Oid types[3] = { REGCLASSOID, TEXTOID, TEXTOID };
	Datum values[3] = { ObjectIdGetDatum(source), CStringGetTextDatum(name),
						CStringGetTextDatum(kind) };
	spi_open();
	config_write(
		"DELETE FROM polyref.config_kind WHERE source OPERATOR(pg_catalog.=) $1"
		" AND association OPERATOR(pg_catalog.=) $2 AND kind "
		"OPERATOR(pg_catalog.=) $3",
		3, types, values);
	spi_close();
	if (rows_remain)
		set_validated(source, name, false);
	reconcile_triggers(target);
	carry_declaration(source, name);
	join_views_refresh(source, name);
	ereport(
		NOTICE,
		(errmsg("kind \"%s\" removed from association \"%s\" on table \"%s\"",
				kind, name, get_rel_name(source)),
		 rows_remain ? errdetail("Rows of that kind remain; the association is "
								 "marked not validated.")
					 : 0,
		 rows_remain ? errhint("List them with polyref.orphans().") : 0));
}

} // namespace polyref

using namespace polyref;

/* ------------------------------------------------------------------------
 * SQL-callable functions
 */

/*
 * The new association's row as declare names it: its kind and id columns
 * checked (42703, 42804), and no association of that name yet (42710).
 */
static ConfigAssociation
new_association(FunctionCallInfo fcinfo, Oid source, const char *name)
{
	ConfigAssociation a{};
	a.source = source;
	a.name = (char *) name;
	a.type_column =
		PG_ARGISNULL(4) ? psprintf("%s_type", name) : name_argument(fcinfo, 4);
	a.id_column =
		PG_ARGISNULL(5) ? psprintf("%s_id", name) : name_argument(fcinfo, 5);
	AttrNumber type_attnum = existing_column(source, a.type_column);
	(void) existing_column(source, a.id_column);
	classify_kind_column(getBaseType(get_atttype(source, type_attnum)),
						 a.type_column, source);
	ConfigAssociation existing;
	if (config_find_association(source, name, &existing, false))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("association \"%s\" on table \"%s\" already exists",
						name, get_rel_name(source))));
	return a;
}

POLYREF_FUNCTION(polyref_declare)
{
	require_writable_transaction(fcinfo);
	require_argument(fcinfo, 0, "source");
	const char *name = association_name_argument(fcinfo, 1);
	Oid source = PG_GETARG_OID(0);
	int ntargets, nkinds;
	Datum *targets =
		array_argument(fcinfo, 2, "targets", REGCLASSOID, &ntargets);
	Datum *kinds = array_argument(fcinfo, 3, "kinds", TEXTOID, &nkinds);
	Action on_delete = action_argument(fcinfo, 6, "on_delete");
	Action on_update = action_argument(fcinfo, 7, "on_update");
	require_argument(fcinfo, 8, "is_deferrable");
	require_argument(fcinfo, 9, "initially_deferred");
	require_argument(fcinfo, 10, "validate");
	require_argument(fcinfo, 11, "create_index");
	bool is_deferrable = PG_GETARG_BOOL(8);
	bool initially_deferred = PG_GETARG_BOOL(9);
	bool validate = PG_GETARG_BOOL(10);
	bool create_index = PG_GETARG_BOOL(11);
	bool match_simple = match_simple_argument(fcinfo, 12);
	Oid kind_registry =
		PG_NARGS() > 13 && !PG_ARGISNULL(13) ? PG_GETARG_OID(13) : InvalidOid;
	if (initially_deferred && !is_deferrable)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("an association declared initially_deferred "
							   "must be is_deferrable"),
						errhint("Pass initially_deferred => false with "
								"is_deferrable => false.")));
	if (nkinds >= 0 && nkinds != ntargets)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("kinds must label targets one for one"),
						errdetail("%d targets and %d kinds were given.",
								  Max(ntargets, 0), nkinds)));

	lock_owned_source(source, ShareRowExclusiveLock);
	ConfigAssociation a = new_association(fcinfo, source, name);
	a.on_delete = on_delete;
	a.on_update = on_update;
	a.is_deferrable = is_deferrable;
	a.initially_deferred = initially_deferred;
	a.validated = validate;
	a.match_simple = match_simple;
	a.kind_registry = kind_registry;
	if (OidIsValid(kind_registry))
	{
		/* What ADD FOREIGN KEY (kind column) REFERENCES registry needs. */
		lock_referenced_target(kind_registry, nullptr, ScopeSpec{});
		check_kind_registry(kind_registry, source, a.type_column);
	}
	a.scope_columns = scope_columns_argument(fcinfo, source, &a, &a.nscope);
	ScopeSpec scope = scope_spec_of(source, a.scope_columns, a.nscope);
	/*
	 * Rights on every target first, so that a refusal names what is missing and
	 * creates nothing.
	 */
	for (int i = 0; i < ntargets; i++)
		lock_referenced_target(DatumGetObjectId(targets[i]), nullptr, scope);
	a.created_index = create_index
						  ? ensure_kind_id_index(
								source, existing_column(source, a.type_column),
								existing_column(source, a.id_column))
						  : nullptr;
	spi_open();
	CommandCounterIncrement();
	config_insert_association(&a);
	spi_close();

	for (int i = 0; i < ntargets; i++)
	{
		Oid target = DatumGetObjectId(targets[i]);
		char *kind =
			nkinds >= 0 ? TextDatumGetCString(kinds[i]) : get_rel_name(target);
		insert_kind(&a, target, kind, nullptr);
	}
	reconcile_triggers(source);
	for (int i = 0; i < ntargets; i++)
		reconcile_triggers(DatumGetObjectId(targets[i]));
	if (OidIsValid(kind_registry))
		reconcile_triggers(kind_registry);
	if (validate)
		validate_rows(resolved_association(source, name), ViolationScope{});
	PG_RETURN_VOID();
}

POLYREF_FUNCTION(polyref_add_target)
{
	require_writable_transaction(fcinfo);
	require_argument(fcinfo, 0, "source");
	const char *name = association_name_argument(fcinfo, 1);
	require_argument(fcinfo, 2, "target");
	Oid source = PG_GETARG_OID(0);
	Oid target = PG_GETARG_OID(2);
	lock_owned_source(source, ShareRowExclusiveLock);
	ConfigAssociation a = existing_association(source, name);
	existing_relation(target);
	char *kind =
		PG_ARGISNULL(3) ? get_rel_name(target) : text_argument(fcinfo, 3);
	const char *key_column =
		PG_ARGISNULL(4) ? nullptr : name_argument(fcinfo, 4);
	insert_kind(&a, target, kind, key_column);
	reconcile_triggers(target);
	carry_declaration(source, name);
	join_views_refresh(source, name);
	if (a.validated)
		validate_rows(resolved_association(source, name),
					  ViolationScope{ kind });
	PG_RETURN_VOID();
}

POLYREF_FUNCTION(polyref_drop_target)
{
	require_writable_transaction(fcinfo);
	require_argument(fcinfo, 0, "source");
	const char *name = association_name_argument(fcinfo, 1);
	require_argument(fcinfo, 2, "kind");
	Oid source = PG_GETARG_OID(0);
	const char *kind = text_argument(fcinfo, 2);
	lock_owned_source(source, ShareRowExclusiveLock);
	ConfigAssociation a = existing_association(source, name);
	int n;
	ConfigKind *kinds = config_kinds(source, name, &n);
	for (int i = 0; i < n; i++)
		if (strcmp(kinds[i].kind, kind) == 0)
		{
			LockRelationOid(kinds[i].target, ShareRowExclusiveLock);
			remove_kind(source, a.name, kind, kinds[i].target);
			PG_RETURN_VOID();
		}
	ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
					errmsg("kind \"%s\" is not declared in association \"%s\"",
						   kind, name)));
}

/*
 * Removes an association and everything it installed; also used when its source
 * or a column goes.
 */
void
polyref::remove_association(Oid source, const char *name)
{
	ConfigAssociation a = existing_association(source, name);
	join_views_drop(source, name);
	int n;
	ConfigKind *kinds = config_kinds(source, name, &n);
	for (int i = 0; i < n; i++)
		LockRelationOid(kinds[i].target, ShareRowExclusiveLock);
	if (OidIsValid(a.kind_registry))
		LockRelationOid(a.kind_registry, ShareRowExclusiveLock);
	config_delete_association(source, name);
	spi_open();
	if (a.created_index != nullptr && get_rel_relkind(source) != '\0')
	{
		Oid index =
			get_relname_relid(a.created_index, get_rel_namespace(source));
		if (OidIsValid(index) && get_rel_relkind(index) != '\0')
			run_sql_as(
				psprintf("DROP INDEX %s",
						 quote_qualified_identifier(
							 get_namespace_name(get_rel_namespace(source)),
							 a.created_index)),
				GetUserId());
	}
	spi_close();
	reconcile_triggers(source);
	for (int i = 0; i < n; i++)
		reconcile_triggers(kinds[i].target);
	if (OidIsValid(a.kind_registry))
		reconcile_triggers(a.kind_registry);
}

POLYREF_FUNCTION(polyref_undeclare)
{
	require_writable_transaction(fcinfo);
	require_argument(fcinfo, 0, "source");
	const char *name = association_name_argument(fcinfo, 1);
	Oid source = PG_GETARG_OID(0);
	lock_owned_source(source, ShareRowExclusiveLock);
	remove_association(source, name);
	PG_RETURN_VOID();
}

POLYREF_FUNCTION(polyref_validate)
{
	require_writable_transaction(fcinfo);
	require_argument(fcinfo, 0, "source");
	const char *name = association_name_argument(fcinfo, 1);
	Oid source = PG_GETARG_OID(0);
	/*
	 * VALIDATE CONSTRAINT's locks: SHARE UPDATE EXCLUSIVE here, ROW SHARE on
	 * the targets.
	 */
	lock_owned_source(source, ShareUpdateExclusiveLock);
	existing_association(source, name);
	Association *a = resolved_association(source, name);
	for (int t = 0; t < a->ntargets; t++)
		LockRelationOid(a->targets[t]->relid, RowShareLock);
	validate_rows(a, ViolationScope{});
	set_validated(source, name, true);
	carry_declaration(source, name);
	PG_RETURN_VOID();
}

struct OrphanSink
{
	ReturnSetInfo *rsinfo;
};

static void
emit_orphan(Datum tableoid, Datum ctid, const char *kind, const char *id,
			const char *const *, Oid, void *context)
{
	ReturnSetInfo *rsinfo = ((OrphanSink *) context)->rsinfo;
	Datum values[4] = { tableoid, ctid,
						kind ? CStringGetTextDatum(kind) : (Datum) 0,
						id ? CStringGetTextDatum(id) : (Datum) 0 };
	bool nulls[4] = { false, false, kind == nullptr, id == nullptr };
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

POLYREF_FUNCTION(polyref_orphans)
{
	require_argument(fcinfo, 0, "source");
	const char *name = association_name_argument(fcinfo, 1);
	Oid source = PG_GETARG_OID(0);
	LockRelationOid(source, AccessShareLock);
	if (pg_class_aclcheck(source, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, get_rel_name(source));
	/*
	 * The scan runs as the owner; it must not show rows row-level security
	 * hides from the caller.
	 */
	if (check_enable_rls(source, InvalidOid, true) == RLS_ENABLED)
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						errmsg("polyref.orphans cannot list rows of \"%s\": "
							   "row-level security applies to you",
							   get_rel_name(source))));
	existing_association(source, name, true);
	Association *a = resolved_association(source, name);
	InitMaterializedSRF(fcinfo, 0);
	OrphanSink sink{ (ReturnSetInfo *) fcinfo->resultinfo };
	find_violations(a, ViolationScope{}, 0, emit_orphan, &sink);
	return (Datum) 0;
}

POLYREF_FUNCTION(polyref_rename_kind)
{
	require_writable_transaction(fcinfo);
	require_argument(fcinfo, 0, "source");
	const char *name = association_name_argument(fcinfo, 1);
	require_argument(fcinfo, 2, "old_kind");
	require_argument(fcinfo, 3, "new_kind");
	Oid source = PG_GETARG_OID(0);
	const char *old_kind = text_argument(fcinfo, 2);
	const char *new_kind = text_argument(fcinfo, 3);
	check_kind_label(new_kind);
	lock_owned_source(source, ShareRowExclusiveLock);
	ConfigAssociation a = existing_association(source, name);
	if (OidIsValid(a.kind_registry))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the kinds of association \"%s\" are the labels of "
						"kind registry \"%s\"",
						name, get_rel_name(a.kind_registry)),
				 errhint("Relabel the registry row: its kind follows it.")));
	old_kind = stored_kind_label(&a, old_kind);
	new_kind = stored_kind_label(&a, new_kind);
	int n;
	ConfigKind *kinds = config_kinds(source, name, &n);
	bool old_found = false;
	for (int i = 0; i < n; i++)
	{
		if (strcmp(kinds[i].kind, new_kind) == 0)
			ereport(
				ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("kind \"%s\" is already declared in association \"%s\"",
						new_kind, name)));
		old_found |= strcmp(kinds[i].kind, old_kind) == 0;
	}
	if (!old_found)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("kind \"%s\" is not declared in association \"%s\"",
						old_kind, name)));
	Oid kind_type = check_enum_label(source, a.type_column, new_kind);

	Oid types[4] = { REGCLASSOID, TEXTOID, TEXTOID, TEXTOID };
	Datum values[4] = { ObjectIdGetDatum(source), CStringGetTextDatum(name),
						CStringGetTextDatum(old_kind),
						CStringGetTextDatum(new_kind) };
	spi_open();
	config_write("UPDATE polyref.config_kind SET kind = $4 WHERE source "
				 "OPERATOR(pg_catalog.=) $1"
				 " AND association OPERATOR(pg_catalog.=) $2 AND kind "
				 "OPERATOR(pg_catalog.=) $3",
				 4, types, values);
	/* The rows, in the same statement. */
	const char *column = quote_identifier(a.type_column);
	const char *type_name = format_type_be_qualified(kind_type);
	char *sql = psprintf(
		"UPDATE %s x SET %s = $2::pg_catalog.text::%s"
		" WHERE x.%s OPERATOR(pg_catalog.=) $1::pg_catalog.text::%s"
		"   AND x.%s::pg_catalog.text OPERATOR(pg_catalog.=) $1",
		scanned_relation(source), column, type_name, column, type_name, column);
	Oid row_types[2] = { TEXTOID, TEXTOID };
	Datum row_values[2] = { CStringGetTextDatum(old_kind),
							CStringGetTextDatum(new_kind) };
	CommandCounterIncrement();
	/*
	 * Every row carrying the kind, whatever row-level security hides from its
	 * owner.
	 */
	Oid owner = relation_owner(source);
	SPIPlanPtr plan = prepare_as(sql, 2, row_types, owner);
	uint64 changed = execute_as(owner, plan, row_values, NULL, InvalidSnapshot,
								InvalidSnapshot, false, true, 0,
								"renaming the kind in the rows");
	spi_close();
	carry_declaration(source, name);
	join_views_refresh(source, name);
	PG_RETURN_INT64((int64) changed);
}
