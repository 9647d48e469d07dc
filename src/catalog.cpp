/*
 * catalog.cpp — builds, caches and invalidates the resolved image of the
 * configuration (see catalog.hpp).
 */
#include "catalog.hpp"
#include "citus.hpp"

#include "config.hpp"

#include "arguments.hpp"

#include "probe.hpp"
#include "registry.hpp"
#include "spi_util.hpp"
#include "sql_names.hpp"

#include <algorithm>
#include <cstring>

namespace polyref {

static Catalog *current_catalog = nullptr;
static bool current_is_valid = false;
static Catalog *retired_catalogs = nullptr;
/*
 * The configuration tables' OIDs as of the last build (for the invalidation
 * filter).
 */
static Oid known_config_relids[2] = { InvalidOid, InvalidOid };

/* ------------------------------------------------------------------------
 * Small catalog lookups
 */

static Oid
polyref_namespace()
{
	return get_namespace_oid("polyref", false);
}

Oid
config_association_relid()
{
	Oid relid = get_relname_relid("config_association", polyref_namespace());
	if (!OidIsValid(relid))
		elog(ERROR, "polyref.config_association is missing");
	return relid;
}

static Oid
config_kind_relid()
{
	return get_relname_relid("config_kind", polyref_namespace());
}

Oid
config_owner()
{
	return relation_owner(config_association_relid());
}

const char *
action_name(Action action)
{
	switch (action)
	{
		case Action::NoAction:
			return "no action";
		case Action::Restrict:
			return "restrict";
		case Action::Cascade:
			return "cascade";
		case Action::SetNull:
			return "set null";
		case Action::SetDefault:
			return "set default";
	}
	pg_unreachable();
}

bool
parse_action(const char *text, Action *action)
{
	static const Action all[] = { Action::NoAction, Action::Restrict,
								  Action::Cascade, Action::SetNull,
								  Action::SetDefault };
	for (Action candidate : all)
		if (pg_strcasecmp(text, action_name(candidate)) == 0)
		{
			*action = candidate;
			return true;
		}
	return false;
}

/* ------------------------------------------------------------------------
 * Keys: which unique index a kind's key uses, and how the id compares with it
 */

/* Is attnum one of the scope's columns in relid? */
static bool
scope_column(Oid relid, AttrNumber attnum, const ScopeSpec &scope)
{
	for (int i = 0; i < scope.n; i++)
		if (get_attnum(relid, scope.columns[i]) == attnum)
			return true;
	return false;
}

const char *
primary_key_column(Oid relid, const ScopeSpec &scope)
{
	Relation rel = table_open(relid, AccessShareLock);
	Oid pk_index = polyref_primary_key_index(rel);
	const char *column = nullptr;
	if (OidIsValid(pk_index))
	{
		HeapTuple tuple =
			SearchSysCache1(INDEXRELID, ObjectIdGetDatum(pk_index));
		if (!HeapTupleIsValid(tuple))
			elog(ERROR, "cache lookup failed for index %u", pk_index);
		Form_pg_index index = (Form_pg_index) GETSTRUCT(tuple);
		/* A scoped association's key: the one column besides the scope. */
		int others = 0;
		for (int c = 0; c < index->indnkeyatts; c++)
			if (!scope_column(relid, index->indkey.values[c], scope))
			{
				others++;
				column = get_attname(relid, index->indkey.values[c], false);
			}
		if (others != 1 || index->indnkeyatts != scope.n + 1)
			column = nullptr;
		ReleaseSysCache(tuple);
	}
	table_close(rel, AccessShareLock);
	if (column == nullptr && scope.n > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FOREIGN_KEY),
				 errmsg("the primary key of referenced table \"%s\" is not "
						"made of the scope columns and one more column",
						get_rel_name(relid)),
				 errhint("Name the key with key_column => '...'; with the "
						 "scope columns it needs a unique index.")));
	if (column == nullptr)
		ereport(ERROR, (errcode(ERRCODE_INVALID_FOREIGN_KEY),
						errmsg("there is no single-column primary key for "
							   "referenced table \"%s\"",
							   get_rel_name(relid)),
						errhint("Name the key with key_column => '...'; it "
								"needs a unique index.")));
	return column;
}

/*
 * A valid, immediate, non-partial unique index whose key columns are exactly
 * attnums[0..n) in any order (what ADD FOREIGN KEY accepts as a referenced
 * key); InvalidOid when there is none.  position[i] is where attnums[i] is in
 * it, opclasses[i] its operator class there.
 */
static Oid
unique_key_index(Oid relid, const AttrNumber *attnums, int n, int *position,
				 Oid *opclasses)
{
	Relation rel = table_open(relid, AccessShareLock);
	List *indexes = RelationGetIndexList(rel);
	Oid found = InvalidOid;
	ListCell *cell;
	foreach (cell, indexes)
	{
		HeapTuple tuple =
			SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(cell)));
		if (!HeapTupleIsValid(tuple))
			continue;
		Form_pg_index index = (Form_pg_index) GETSTRUCT(tuple);
		bool fits = index->indisunique && index->indimmediate &&
					index->indisvalid && index->indnkeyatts == n &&
					heap_attisnull(tuple, Anum_pg_index_indpred, NULL) &&
					heap_attisnull(tuple, Anum_pg_index_indexprs, NULL);
		for (int i = 0; fits && i < n; i++)
		{
			position[i] = -1;
			for (int c = 0; c < n; c++)
				if (index->indkey.values[c] == attnums[i])
					position[i] = c;
			fits = position[i] >= 0;
		}
		if (fits)
		{
			bool isnull;
			Datum classes = SysCacheGetAttr(INDEXRELID, tuple,
											Anum_pg_index_indclass, &isnull);
			for (int i = 0; i < n; i++)
				opclasses[i] = ((oidvector *) DatumGetPointer(classes))
								   ->values[position[i]];
			found = index->indexrelid;
		}
		ReleaseSysCache(tuple);
		if (OidIsValid(found))
			break;
	}
	list_free(indexes);
	table_close(rel, AccessShareLock);
	return found;
}

ScopeSpec
scope_spec_of(Oid source, char *const *columns, int n)
{
	Oid *types = mcxt_array<Oid>(n + 1);
	for (int i = 0; i < n; i++)
	{
		AttrNumber attnum = get_attnum(source, columns[i]);
		if (attnum <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of relation \"%s\" does not exist",
							columns[i], get_rel_name(source))));
		types[i] = getBaseType(get_atttype(source, attnum));
	}
	ScopeSpec spec;
	spec.n = n;
	spec.columns = columns;
	spec.source_types = types;
	return spec;
}

/*
 * How a value of value_type finds a column of the index's opclass, by the
 * rules of ADD FOREIGN KEY: a cross-type member of its family, or an
 * implicit cast to its input type.  False when neither.
 */
static bool
comparison_for(Oid opclass, Oid value_type, Oid *lookup_operator,
			   Oid *eq_operator)
{
	Oid family = get_opclass_family(opclass);
	Oid input_type = get_opclass_input_type(opclass);
	*eq_operator = get_opfamily_member(family, input_type, input_type,
									   BTEqualStrategyNumber);
	Oid cross = get_opfamily_member(family, input_type, value_type,
									BTEqualStrategyNumber);
	if (OidIsValid(cross))
	{
		*lookup_operator = cross;
		return true;
	}
	*lookup_operator = *eq_operator;
	return can_coerce_type(1, &value_type, &input_type, COERCION_IMPLICIT);
}

/* Resolves the scope parts of a target whose key_index was found. */
static bool
find_scope_parts(TargetRef *target, Oid relid, const ScopeSpec &scope,
				 const AttrNumber *attnums, const int *position,
				 const Oid *opclasses)
{
	target->nscope = scope.n;
	target->scope = mcxt_array0<ScopePart>(scope.n + 1);
	for (int i = 0; i < scope.n; i++)
	{
		ScopePart *part = &target->scope[i];
		part->attnum = attnums[i];
		int32 typmod;
		get_atttypetypmodcoll(relid, attnums[i], &part->type, &typmod,
							  &part->collation);
		part->index_column = position[i];
		part->lookup_param_type = scope.source_types[i];
		if (!comparison_for(opclasses[i], scope.source_types[i],
							&part->lookup_operator, &part->eq_operator))
		{
			target->problem_part = i;
			return false;
		}
		Oid output;
		bool is_varlena;
		getTypeOutputInfo(part->type, &output, &is_varlena);
		fmgr_info_cxt(output, &part->output, CurrentMemoryContext);
	}
	return true;
}

KeyProblem
find_target_key(TargetRef *target, Oid relid, const char *key_column,
				Oid id_type, const ScopeSpec &scope)
{
	target->problem_part = -1;
	AttrNumber attnum = get_attnum(relid, key_column);
	if (attnum == InvalidAttrNumber)
		return KeyProblem::NoColumn;
	/* The scope columns, then the key: the columns the unique index has. */
	int ncolumns = scope.n + 1;
	AttrNumber *attnums = mcxt_array<AttrNumber>(ncolumns);
	for (int i = 0; i < scope.n; i++)
	{
		attnums[i] = get_attnum(relid, scope.columns[i]);
		if (attnums[i] == InvalidAttrNumber)
		{
			target->problem_part = i;
			return KeyProblem::NoColumn;
		}
	}
	attnums[scope.n] = attnum;
	int *position = mcxt_array<int>(ncolumns);
	Oid *opclasses = mcxt_array<Oid>(ncolumns);
	Oid key_index =
		unique_key_index(relid, attnums, ncolumns, position, opclasses);
	if (!OidIsValid(key_index))
		return KeyProblem::NotUnique;
	Oid opclass = opclasses[scope.n];
	target->key_index_column = position[scope.n];
	if (!find_scope_parts(target, relid, scope, attnums, position, opclasses))
		return KeyProblem::Incomparable;

	Oid key_type;
	int32 key_typmod;
	Oid key_collation;
	get_atttypetypmodcoll(relid, attnum, &key_type, &key_typmod,
						  &key_collation);

	Oid family = get_opclass_family(opclass);
	Oid input_type = get_opclass_input_type(opclass);
	Oid key_eq = get_opfamily_member(family, input_type, input_type,
									 BTEqualStrategyNumber);
	Oid id_base = getBaseType(id_type);

	target->relid = relid;
	target->key_attnum = attnum;
	target->key_type = key_type;
	target->key_collation = key_collation;
	target->key_eq_operator = key_eq;
	target->key_index = key_index;

	/*
	 * The rules of ADD FOREIGN KEY: a cross-type member of the key's family, or
	 * an implicit cast.
	 */
	Oid cross =
		get_opfamily_member(family, input_type, id_base, BTEqualStrategyNumber);
	if (OidIsValid(cross))
	{
		target->id_match = IdMatch::Operator;
		target->lookup_operator = cross;
		target->lookup_param_type = id_base;
	}
	else if (can_coerce_type(1, &id_base, &input_type, COERCION_IMPLICIT))
	{
		target->id_match = IdMatch::Operator;
		target->lookup_operator = key_eq;
		target->lookup_param_type = id_base;
	}
	else if (is_text_type(id_base))
	{
		/* SPEC's text-id rule: the id holds the key's canonical text form. */
		target->id_match = IdMatch::CanonicalText;
		target->lookup_operator = key_eq;
		target->lookup_param_type = key_type;
	}
	else
		return KeyProblem::Incomparable;

	Oid input_function;
	getTypeInputInfo(key_type, &input_function, &target->key_ioparam);
	fmgr_info_cxt(input_function, &target->key_input, CurrentMemoryContext);
	Oid output_function;
	bool is_varlena;
	getTypeOutputInfo(key_type, &output_function, &is_varlena);
	fmgr_info_cxt(output_function, &target->key_output, CurrentMemoryContext);
	return KeyProblem::None;
}

/* "id" or "(account_id, id)": the columns the key's unique index needs. */
static const char *
key_columns_text(const char *key_column, const ScopeSpec &scope)
{
	if (scope.n == 0)
		return psprintf("\"%s\" alone", key_column);
	StringInfoData text;
	initStringInfo(&text);
	for (int i = 0; i < scope.n; i++)
		appendStringInfo(&text, "%s\"%s\"", i > 0 ? ", " : "(",
						 scope.columns[i]);
	appendStringInfo(&text, ", \"%s\") (in any order)", key_column);
	return text.data;
}

void
resolve_target_key(TargetRef *target, Oid relid, const char *key_column,
				   Oid id_type, const char *association_name,
				   const ScopeSpec &scope)
{
	switch (find_target_key(target, relid, key_column, id_type, scope))
	{
		case KeyProblem::None:
			return;
		case KeyProblem::NoColumn:
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of relation \"%s\" does not exist",
							target->problem_part >= 0
								? scope.columns[target->problem_part]
								: key_column,
							get_rel_name(relid)),
					 target->problem_part >= 0
						 ? errdetail("Association \"%s\" is scoped by it.",
									 association_name)
						 : 0));
		case KeyProblem::NotUnique:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_FOREIGN_KEY),
					 errmsg("there is no unique constraint matching given "
							"keys for referenced table \"%s\"",
							get_rel_name(relid)),
					 errdetail("Association \"%s\" needs a unique index on %s.",
							   association_name,
							   key_columns_text(key_column, scope))));
		case KeyProblem::Incomparable:
		{
			const char *column = target->problem_part >= 0
									 ? scope.columns[target->problem_part]
									 : key_column;
			Oid source_type = target->problem_part >= 0
								  ? scope.source_types[target->problem_part]
								  : id_type;
			Oid key_type = get_atttype(relid, get_attnum(relid, column));
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("association \"%s\" cannot be implemented",
							association_name),
					 errdetail("Key columns \"%s\" of table \"%s\" and the %s "
							   "column are of incompatible types: %s and %s.",
							   column, get_rel_name(relid),
							   target->problem_part >= 0 ? "scope" : "id",
							   format_type_be(key_type),
							   format_type_be(source_type)),
					 target->problem_part >= 0
						 ? errhint("Give the scope column the same type in the "
								   "source and in the target.")
						 : errhint("Use an id column of the key's type, or of "
								   "type text to point at keys of different "
								   "types.")));
		}
	}
}

/* ------------------------------------------------------------------------
 * Building an image
 */

/* One row of the configuration query, copied out of SPI. */

/*
 * The configuration, one row per kind.  match_type came with release 1.1:
 * until ALTER EXTENSION polyref UPDATE adds the column, the library of 1.1
 * reads 1.0's tables, whose associations are all MATCH FULL.
 */
static char *
config_query()
{
	return psprintf(
		"SELECT a.source::pg_catalog.oid, a.association, "
		"a.type_column::pg_catalog.text,"
		"       a.id_column::pg_catalog.text, a.on_delete, a.on_update, "
		"a.is_deferrable,"
		"       a.initially_deferred, a.validated, k.kind, "
		"k.target::pg_catalog.oid,"
		"       k.key_column::pg_catalog.text, %s, %s, %s"
		"  FROM polyref.config_association a"
		"  LEFT JOIN polyref.config_kind k"
		"    ON k.source OPERATOR(pg_catalog.=) a.source"
		"   AND k.association OPERATOR(pg_catalog.=) a.association"
		" ORDER BY 1, 2, 11, 12",
		config_has_match_type() ? "a.match_type OPERATOR(pg_catalog.=) 'simple'"
								: "false",
		config_has_kind_registry() ? "a.kind_registry::pg_catalog.oid"
								   : "NULL::pg_catalog.oid",
		config_has_scope_columns() ? "a.scope_columns::pg_catalog.text[]"
								   : "NULL::pg_catalog.text[]");
}

/*
 * Reads the configuration with the latest snapshot, as the configuration's
 * owner.
 */
static ConfigRow *
read_config(int *nrows, MemoryContext memory)
{
	spi_open();
	Snapshot snapshot = RegisterSnapshot(GetLatestSnapshot());
	Oid owner = config_owner();
	SPIPlanPtr plan = prepare_as(config_query(), 0, NULL, owner);
	execute_as(owner, plan, NULL, NULL, snapshot, InvalidSnapshot, true, false,
			   0, "reading the configuration");
	UnregisterSnapshot(snapshot);

	ConfigRow *rows = mcxt_array0<ConfigRow>(SPI_processed + 1, memory);
	TupleDesc desc = SPI_tuptable->tupdesc;
	MemoryContext spi_memory = MemoryContextSwitchTo(memory);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple tuple = SPI_tuptable->vals[i];
		ConfigRow *row = &rows[i];
		bool isnull;
		row->source = DatumGetObjectId(SPI_getbinval(tuple, desc, 1, &isnull));
		row->association = SPI_getvalue(tuple, desc, 2);
		row->type_column = SPI_getvalue(tuple, desc, 3);
		row->id_column = SPI_getvalue(tuple, desc, 4);
		row->on_delete = SPI_getvalue(tuple, desc, 5);
		row->on_update = SPI_getvalue(tuple, desc, 6);
		row->is_deferrable =
			DatumGetBool(SPI_getbinval(tuple, desc, 7, &isnull));
		row->initially_deferred =
			DatumGetBool(SPI_getbinval(tuple, desc, 8, &isnull));
		row->validated = DatumGetBool(SPI_getbinval(tuple, desc, 9, &isnull));
		row->kind = SPI_getvalue(tuple, desc, 10);
		Datum target = SPI_getbinval(tuple, desc, 11, &isnull);
		row->target = isnull ? InvalidOid : DatumGetObjectId(target);
		row->key_column = SPI_getvalue(tuple, desc, 12);
		row->match_simple =
			DatumGetBool(SPI_getbinval(tuple, desc, 13, &isnull));
		Datum registry = SPI_getbinval(tuple, desc, 14, &isnull);
		row->kind_registry = isnull ? InvalidOid : DatumGetObjectId(registry);
		Datum scope = SPI_getbinval(tuple, desc, 15, &isnull);
		row->scope_columns = config_name_array(scope, isnull, &row->nscope);
	}
	MemoryContextSwitchTo(spi_memory);
	*nrows = (int) SPI_processed;
	spi_close();
	return rows;
}

static bool
relation_exists(Oid relid)
{
	return OidIsValid(relid) && get_rel_relkind(relid) != '\0';
}

KindColumnClass
classify_kind_column(Oid type, const char *column, Oid source)
{
	if (is_text_type(type))
		return KindColumnClass::Text;
	if (type_is_enum(type))
		return KindColumnClass::Enum;
	if (type == INT2OID || type == INT4OID || type == INT8OID ||
		type == CHAROID || type == BPCHAROID)
		return KindColumnClass::Typed;
	if (IsBinaryCoercible(type, TEXTOID))
		return KindColumnClass::Citext;
	ereport(
		ERROR,
		(errcode(ERRCODE_DATATYPE_MISMATCH),
		 errmsg("kind column \"%s\" of table \"%s\" has type %s", column,
				get_rel_name(source), format_type_be(type)),
		 errhint(
			 "A kind column must be text, varchar, char(n), \"char\", citext, "
			 "an enum type, smallint, integer or bigint.")));
}

void
check_kind_readable(Oid source, const char *type_column, const char *label)
{
	AttrNumber attnum = get_attnum(source, type_column);
	Oid type;
	int32 typmod;
	Oid collation;
	get_atttypetypmodcoll(source, attnum, &type, &typmod, &collation);
	Oid base = getBaseType(type);
	if (classify_kind_column(base, type_column, source) !=
		KindColumnClass::Typed)
		return;
	Oid input;
	Oid ioparam;
	getTypeInputInfo(base, &input, &ioparam);
	(void) OidInputFunctionCall(input, (char *) label, ioparam, typmod);
}

/* The association's scope columns in the source; false if one is gone. */
static bool
build_scope(Association *a, const ConfigRow *row)
{
	a->nscope = row->nscope;
	a->scope_columns = (const char **) row->scope_columns;
	a->scope_attnums = mcxt_array<AttrNumber>(row->nscope + 1);
	a->scope_types = mcxt_array<Oid>(row->nscope + 1);
	for (int i = 0; i < row->nscope; i++)
	{
		a->scope_attnums[i] = get_attnum(row->source, row->scope_columns[i]);
		if (a->scope_attnums[i] == InvalidAttrNumber)
		{
			ereport(WARNING,
					(errmsg("polyref: association \"%s\" on table \"%s\" names "
							"a column that does not exist",
							row->association, get_rel_name(row->source)),
					 errhint("Undeclare it with polyref.undeclare(), or "
							 "restore the column.")));
			return false;
		}
		a->scope_types[i] =
			getBaseType(get_atttype(row->source, a->scope_attnums[i]));
	}
	return true;
}

static Association *
build_association(const ConfigRow *row)
{
	Association *a = mcxt_object0<Association>();
	a->source = row->source;
	a->source_partitioned =
		get_rel_relkind(row->source) == RELKIND_PARTITIONED_TABLE;
	a->source_owner = relation_owner(row->source);
	a->name = row->association;
	a->type_attnum = get_attnum(row->source, row->type_column);
	a->id_attnum = get_attnum(row->source, row->id_column);
	if (a->type_attnum == InvalidAttrNumber ||
		a->id_attnum == InvalidAttrNumber)
	{
		/*
		 * DDL done while event triggers were off: its trigger will refuse every
		 * write instead.
		 */
		ereport(WARNING, (errmsg("polyref: association \"%s\" on table \"%s\" "
								 "names a column that does not exist",
								 row->association, get_rel_name(row->source)),
						  errhint("Undeclare it with polyref.undeclare(), or "
								  "restore the column.")));
		return nullptr;
	}
	a->type_type = getBaseType(get_atttype(row->source, a->type_attnum));
	a->type_class =
		classify_kind_column(a->type_type, row->type_column, row->source);
	a->type_eq_operator =
		lookup_type_cache(a->type_type, TYPECACHE_EQ_OPR)->eq_opr;
	fmgr_info_cxt(get_opcode(a->type_eq_operator), &a->type_equal,
				  CurrentMemoryContext);
	Oid declared_type;
	get_atttypetypmodcoll(row->source, a->type_attnum, &declared_type,
						  &a->type_typmod, &a->type_collation);
	a->id_type = getBaseType(get_atttype(row->source, a->id_attnum));
	if (!parse_action(row->on_delete, &a->on_delete) ||
		!parse_action(row->on_update, &a->on_update))
		elog(ERROR, "polyref: invalid action in the configuration of \"%s\"",
			 row->association);
	a->is_deferrable = row->is_deferrable;
	a->initially_deferred = row->initially_deferred;
	a->match_simple = row->match_simple;
	a->validated = row->validated;
	a->kind_registry = row->kind_registry;
	return build_scope(a, row) ? a : nullptr;
}

/* A kind label (or a registry's key as text) in the kind column's type. */
static Datum
kind_value(const Association *a, const char *label)
{
	if (a->type_class == KindColumnClass::Enum ||
		a->type_class == KindColumnClass::Typed)
	{
		Oid input;
		Oid ioparam;
		getTypeInputInfo(a->type_type, &input, &ioparam);
		return OidInputFunctionCall(input, (char *) label, ioparam,
									a->type_typmod);
	}
	return CStringGetTextDatum(label);
}

/* A kind's value as the kind column prints it (::text in queries). */
static const char *
kind_stored_text(const Association *a, Datum value, const char *label)
{
	if (a->type_class != KindColumnClass::Typed)
		return label;
	Oid output;
	bool is_varlena;
	getTypeOutputInfo(a->type_type, &output, &is_varlena);
	return OidOutputFunctionCall(output, value);
}

/*
 * Gives a kind its value: its label read in the kind column's type, or the
 * key of the registry row that carries the label (none yet: not present).
 */
static void
set_kind_value(const Association *a, Kind *kind, const RegistryMap *map)
{
	const char *text = kind->label;
	if (OidIsValid(a->kind_registry))
	{
		text = registry_key_text(map, kind->label);
		if (text == nullptr)
			return; /* present stays false */
	}
	kind->present = true;
	kind->value = kind_value(a, text);
	kind->stored = kind_stored_text(a, kind->value, kind->label);
}

/*
 * Fills the arrays of kinds that point at each target (for the = ANY queries).
 */
static void
finish_targets(Association *a)
{
	for (int t = 0; t < a->ntargets; t++)
	{
		TargetRef *target = a->targets[t];
		Datum *values = (Datum *) palloc(sizeof(Datum) * a->nkinds);
		Datum *labels = (Datum *) palloc(sizeof(Datum) * a->nkinds);
		int n = 0;
		for (int k = 0; k < a->nkinds; k++)
			if (a->kinds[k].target == target && a->kinds[k].present)
			{
				values[n] = a->kinds[k].value;
				labels[n] = CStringGetTextDatum(a->kinds[k].label);
				n++;
			}
		target->nkinds = n;
		/*
		 * text and varchar compare as text; an enum or citext in its own type
		 * (its = takes its own type).
		 */
		Oid value_type =
			a->type_class == KindColumnClass::Text ? TEXTOID : a->type_type;
		target->kind_values = make_array(values, n, value_type);
		target->kind_labels = make_array(labels, n, TEXTOID);
	}
}

static bool
kind_label_less(const Kind &x, const Kind &y)
{
	int c = memcmp(x.label, y.label, Min(x.label_len, y.label_len));
	return c < 0 || (c == 0 && x.label_len < y.label_len);
}

static bool
association_less(const Association *x, const Association *y)
{
	if (x->source != y->source)
		return x->source < y->source;
	return strcmp(x->name, y->name) < 0;
}

/* An empty image in memory, watching the configuration tables. */
static Catalog *
catalog_new(MemoryContext memory)
{
	Catalog *catalog = mcxt_object0<Catalog>(memory);
	catalog->memory = memory;
	catalog->associations = make_in_context<McxtVector<Association *>>(memory);
	catalog->by_target =
		make_in_context<McxtFlatMap<Oid, McxtVector<TargetRef *> *>>(memory);
	catalog->watched = make_in_context<McxtVector<Oid>>(memory);
	catalog->declared_table_memo =
		make_in_context<McxtFlatMap<Oid, Oid>>(memory);
	catalog->partition_attnum_memo =
		make_in_context<McxtFlatMap<uint64, AttrNumber>>(memory);
	catalog->shard_suffixes = make_in_context<McxtFlatMap<Oid, int>>(memory);

	known_config_relids[0] = config_association_relid();
	known_config_relids[1] = config_kind_relid();
	catalog->watched->push_back(known_config_relids[0]);
	catalog->watched->push_back(known_config_relids[1]);
	return catalog;
}

/*
 * The target a kind's row names, resolved and registered in the image; NULL
 * (with a WARNING) when its key is no longer usable.
 */
static TargetRef *
new_target(Catalog *catalog, Association *a, const ConfigRow *row)
{
	TargetRef *target = mcxt_object0<TargetRef>();
	target->association = a;
	target->partitioned =
		get_rel_relkind(row->target) == RELKIND_PARTITIONED_TABLE;
	target->owner = relation_owner(row->target);
	catalog->watched->push_back(row->target);
	ScopeSpec scope;
	scope.n = a->nscope;
	scope.columns = a->scope_columns;
	scope.source_types = a->scope_types;
	if (find_target_key(target, row->target, row->key_column, a->id_type,
						scope) != KeyProblem::None)
	{
		/*
		 * Only DDL done while polyref's event triggers were off can get here.
		 * Leaving the kind out makes its rows fail as undeclared: stricter,
		 * never weaker, and the rest of the database keeps working.
		 */
		ereport(WARNING,
				(errmsg("polyref: kind \"%s\" of association \"%s\" on table "
						"\"%s\" has no usable key in table \"%s\"",
						row->kind, a->name, get_rel_name(a->source),
						get_rel_name(row->target)),
				 errhint("Restore the key column and its unique index, or "
						 "drop the kind with polyref.drop_target().")));
		return nullptr;
	}
	prepare_direct_probe(target, a->id_type);
	a->targets[a->ntargets++] = target;
	auto slot = catalog->by_target->find(row->target);
	if (slot == catalog->by_target->end())
		slot =
			catalog->by_target
				->emplace(row->target, make_in_context<McxtVector<TargetRef *>>(
										   catalog->memory))
				.first;
	slot->second->push_back(target);
	return target;
}

/*
 * The kinds of association a from its n rows (grouped by target and key
 * column), each with its resolved target.
 */
static void
add_kinds(Catalog *catalog, Association *a, const ConfigRow *rows, int n)
{
	const RegistryMap *map = nullptr;
	if (OidIsValid(a->kind_registry))
	{
		catalog->watched->push_back(a->kind_registry);
		a->registry = registry_target(a);
		map = registry_read(a);
	}
	a->kinds = mcxt_array0<Kind>(n);
	a->targets = mcxt_array0<TargetRef *>(n);
	TargetRef *target = nullptr;
	for (int r = 0; r < n; r++)
	{
		const ConfigRow *row = &rows[r];
		/* No kinds yet, or a target dropped while event triggers were off. */
		if (row->kind == nullptr || !relation_exists(row->target))
			continue;
		if (target == nullptr || target->relid != row->target ||
			get_attnum(row->target, row->key_column) != target->key_attnum)
		{
			target = new_target(catalog, a, row);
			if (target == nullptr)
				continue;
		}
		Kind *kind = &a->kinds[a->nkinds++];
		kind->label = row->kind;
		kind->label_len = (int) strlen(row->kind);
		kind->target = target;
		set_kind_value(a, kind, map);
	}
	std::sort(a->kinds, a->kinds + a->nkinds, kind_label_less);
	finish_targets(a);
}

/*
 * Adds the associations of rows, grouped by (source, association), then by
 * (target, key column).
 */
static void
add_associations(Catalog *catalog, const ConfigRow *rows, int nrows)
{
	for (int i = 0; i < nrows;)
	{
		int end = i;
		while (end < nrows && rows[end].source == rows[i].source &&
			   strcmp(rows[end].association, rows[i].association) == 0)
			end++;
		if (!relation_exists(rows[i].source))
		{
			/* Dropped while event triggers were off: nothing to enforce. */
			i = end;
			continue;
		}
		catalog->watched->push_back(rows[i].source);
		Association *a = build_association(&rows[i]);
		if (a != nullptr)
		{
			add_kinds(catalog, a, &rows[i], end - i);
			catalog->associations->push_back(a);
		}
		i = end;
	}
}

static Catalog *
catalog_build()
{
	/*
	 * Built under the transaction, so that an error half-way frees it; moved
	 * under CacheMemoryContext once complete.
	 */
	MemoryContext memory = AllocSetContextCreate(
		TopTransactionContext, "polyref catalog", ALLOCSET_DEFAULT_SIZES);
	MemoryContext caller_memory = MemoryContextSwitchTo(memory);
	Catalog *catalog = catalog_new(memory);
	int nrows;
	ConfigRow *rows = read_config(&nrows, memory);
	add_associations(catalog, rows, nrows);
	/* On Citus, the associations this node's shards carry (citus.hpp). */
	ShardSuffix *suffixes;
	int nsuffixes;
	rows = citus_shard_rows(&nrows, &suffixes, &nsuffixes);
	add_associations(catalog, rows, nrows);
	for (int i = 0; i < nsuffixes; i++)
		catalog->shard_suffixes->emplace(suffixes[i].relid, suffixes[i].length);

	std::sort(catalog->associations->begin(), catalog->associations->end(),
			  association_less);
	std::sort(catalog->watched->begin(), catalog->watched->end());
	catalog->watched->erase(
		std::unique(catalog->watched->begin(), catalog->watched->end()),
		catalog->watched->end());

	MemoryContextSwitchTo(caller_memory);
	MemoryContextSetParent(memory, CacheMemoryContext);
	return catalog;
}

/* Frees an image and the plans it prepared. */
static void
catalog_free(Catalog *catalog) noexcept
{
	for (Association *a : *catalog->associations)
		for (int t = -1; t < a->ntargets; t++)
		{
			TargetRef *target = t < 0 ? a->registry : a->targets[t];
			if (target == nullptr)
				continue;
			for (SPIPlanPtr &plan : target->plans)
				if (plan != nullptr)
				{
					SPI_freeplan(plan);
					plan = nullptr;
				}
		}
	MemoryContextDelete(catalog->memory);
}

Catalog *
catalog_current()
{
	if (current_catalog != nullptr && current_is_valid)
		return current_catalog;
	if (current_catalog != nullptr)
	{
		/* Frames up the stack may still hold it: free it at transaction end. */
		current_catalog->retired_next = retired_catalogs;
		retired_catalogs = current_catalog;
		current_catalog = nullptr;
	}
	/*
	 * An invalidation that arrives while building makes the new image stale at
	 * once.
	 */
	current_is_valid = true;
	Catalog *built = catalog_build();
	current_catalog = built;
	return built;
}

Association *
catalog_find(Catalog *catalog, Oid source, const char *name)
{
	Association key{};
	key.source = source;
	key.name = name;
	auto it =
		std::lower_bound(catalog->associations->begin(),
						 catalog->associations->end(), &key, association_less);
	if (it != catalog->associations->end() && (*it)->source == source &&
		strcmp((*it)->name, name) == 0)
		return *it;
	return nullptr;
}

static bool
catalog_names(Catalog *catalog, Oid relid)
{
	return std::binary_search(catalog->watched->begin(),
							  catalog->watched->end(), relid);
}

Oid
catalog_declared_table(Catalog *catalog, Oid relid)
{
	if (catalog_names(catalog, relid))
		return relid;
	auto memo = catalog->declared_table_memo->find(relid);
	if (memo != catalog->declared_table_memo->end())
		return memo->second;
	Oid declared = InvalidOid;
	if (get_rel_relispartition(relid))
	{
		List *ancestors = get_partition_ancestors(relid);
		ListCell *cell;
		foreach (cell, ancestors)
			if (catalog_names(catalog, lfirst_oid(cell)))
			{
				declared = lfirst_oid(cell);
				break;
			}
		list_free(ancestors);
	}
	catalog->declared_table_memo->emplace(relid, declared);
	return declared;
}

AttrNumber
catalog_attnum_in(Catalog *catalog, Oid declared, AttrNumber attnum, Oid relid)
{
	if (relid == declared)
		return attnum;
	uint64 memo_key = ((uint64) relid << 16) | (uint16) attnum;
	auto memo = catalog->partition_attnum_memo->find(memo_key);
	if (memo != catalog->partition_attnum_memo->end())
		return memo->second;
	/*
	 * Partitions share their parent's column names (renames cascade; the DDL
	 * guard keeps these columns).
	 */
	AttrNumber in_relid =
		get_attnum(relid, get_attname(declared, attnum, false));
	if (in_relid == InvalidAttrNumber)
		elog(ERROR,
			 "polyref: column %d of relation %u has no counterpart in relation "
			 "%u",
			 attnum, declared, relid);
	catalog->partition_attnum_memo->emplace(memo_key, in_relid);
	return in_relid;
}

const AttrNumber *
source_scope_attnums_in(Catalog *catalog, const Association *a, Oid relid)
{
	if (relid == a->source)
		return a->scope_attnums;
	AttrNumber *attnums = mcxt_array<AttrNumber>(a->nscope);
	for (int i = 0; i < a->nscope; i++)
		attnums[i] =
			catalog_attnum_in(catalog, a->source, a->scope_attnums[i], relid);
	return attnums;
}

const char *
catalog_association_name(Catalog *catalog, Oid relid, const char *trigger_name)
{
	if (catalog->shard_suffixes->empty())
		return trigger_name;
	auto it = catalog->shard_suffixes->find(relid);
	if (it == catalog->shard_suffixes->end())
		return trigger_name;
	int length = (int) strlen(trigger_name) - it->second;
	return length > 0 ? pnstrdup(trigger_name, length) : trigger_name;
}

const McxtVector<TargetRef *> *
catalog_targets_on(Catalog *catalog, Oid target)
{
	auto it = catalog->by_target->find(target);
	return it == catalog->by_target->end() ? nullptr : it->second;
}

Kind *
association_find_kind(Association *association, const char *label, int len)
{
	Kind probe{};
	probe.label = label;
	probe.label_len = len;
	Kind *end = association->kinds + association->nkinds;
	Kind *it =
		std::lower_bound(association->kinds, end, probe, kind_label_less);
	if (it != end && it->label_len == len && memcmp(it->label, label, len) == 0)
		return it;
	return nullptr;
}

Kind *
association_kind_of(Association *association, Datum kind_value)
{
	if (association->type_class == KindColumnClass::Enum)
	{
		/* An enum's datum is its label's pg_enum OID. */
		for (int k = 0; k < association->nkinds; k++)
			if (DatumGetObjectId(association->kinds[k].value) ==
				DatumGetObjectId(kind_value))
				return &association->kinds[k];
		return nullptr;
	}
	if (association->type_class == KindColumnClass::Typed)
	{
		/* A few kinds: each compared with the type's own =. */
		for (int k = 0; k < association->nkinds; k++)
		{
			Kind *kind = &association->kinds[k];
			if (kind->present &&
				DatumGetBool(FunctionCall2Coll(&association->type_equal,
											   association->type_collation,
											   kind->value, kind_value)))
				return kind;
		}
		return nullptr;
	}
	text *label = DatumGetTextPP(kind_value);
	return association_find_kind(association, VARDATA_ANY(label),
								 (int) VARSIZE_ANY_EXHDR(label));
}

/* ------------------------------------------------------------------------
 * Invalidation
 */

void
catalog_invalidate_everywhere()
{
	CacheInvalidateRelcacheByRelid(config_association_relid());
}

static void
on_relcache_invalidation(Datum, Oid relid) noexcept
{
	if (current_catalog == nullptr || !current_is_valid)
		return;
	if (!OidIsValid(relid) || relid == known_config_relids[0] ||
		relid == known_config_relids[1] ||
		catalog_names(current_catalog, relid))
		current_is_valid = false;
	/* A partition attached or detached changes what the memo should say. */
	else if (current_catalog->declared_table_memo->count(relid) != 0)
		current_is_valid = false;
}

/* Renamed schemas change the text of every query. */
static void
on_namespace_invalidation(Datum, polyref_syscache_id, uint32) noexcept
{
	current_is_valid = false;
}

static void
on_transaction_end(XactEvent event, void *) noexcept
{
	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PARALLEL_COMMIT &&
		event != XACT_EVENT_PARALLEL_ABORT && event != XACT_EVENT_PREPARE)
		return;
	while (retired_catalogs != nullptr)
	{
		Catalog *next = retired_catalogs->retired_next;
		catalog_free(retired_catalogs);
		retired_catalogs = next;
	}
}

void
catalog_init()
{
	CacheRegisterRelcacheCallback(on_relcache_invalidation, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, on_namespace_invalidation,
								  (Datum) 0);
	RegisterXactCallback(on_transaction_end, nullptr);
}

} // namespace polyref
