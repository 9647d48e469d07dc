/*
 * resolve.cpp — resolve, resolve_many and referrers: querying an association
 * as easily as a join.
 *
 * Enforcement acts as the tables' owners; these helpers do not.  Every query
 * here runs as the caller, so it returns nothing the caller could not SELECT
 * and row-level security applies as to any query.  As in queries.cpp, every
 * table is schema-qualified, every identifier quoted and every operator
 * written OPERATOR(schema.name), so nothing on the search_path changes what
 * runs.
 *
 * Ids and keys.  An id argument finds a kind's key when it has the key's type
 * (or one binary-coercible to it), when it is text (SPEC's text-id rule: the
 * key's canonical text form, '42' and not '042'), when it converts to the key
 * implicitly (any integer against a bigint key), or when the key's btree
 * family compares the two (a bigint against an integer key); anything else
 * is 42804.  Each id is converted to a key here, in C, so that every lookup is
 * "key = $1" or "key = ANY ($1)" on the key's unique index.
 */
#include "arguments.hpp"
#include "boundary.hpp"
#include "canonical_id.hpp"
#include "catalog.hpp"
#include "spi_util.hpp"
#include "sql_names.hpp"

#include <cstdlib>
#include <cstring>

namespace polyref {

static bool
may_use_schema(Oid namespace_oid, Oid role)
{
#if PG_VERSION_NUM >= 160000
	return object_aclcheck(NamespaceRelationId, namespace_oid, role,
						   ACL_USAGE) == ACLCHECK_OK;
#else
	return pg_namespace_aclcheck(namespace_oid, role, ACL_USAGE) == ACLCHECK_OK;
#endif
}

/* May the caller read every column of relid (what to_jsonb(row) needs)? */
static bool
may_read_rows(Oid relid)
{
	Oid user = GetUserId();
	if (!may_use_schema(get_rel_namespace(relid), user))
		return false;
	return pg_class_aclcheck(relid, user, ACL_SELECT) == ACLCHECK_OK ||
		   pg_attribute_aclcheck_all(relid, user, ACL_SELECT, ACLMASK_ALL) ==
			   ACLCHECK_OK;
}

/* The association (42704 when it is not declared). */
static Association *
declared_association(Oid source, const char *name)
{
	existing_relation(source);
	Association *a = catalog_find(catalog_current(), source, name);
	if (a == nullptr)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("association \"%s\" on table \"%s\" does not exist",
						name, get_rel_name(source))));
	return a;
}

/* The kind (42704 when the association does not declare it). */
static Kind *
declared_kind(Association *a, const char *label)
{
	Kind *kind = association_find_kind(a, label, (int) strlen(label));
	if (kind == nullptr)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("kind \"%s\" is not declared in association \"%s\"",
						label, a->name)));
	return kind;
}

/* ------------------------------------------------------------------------
 * From an id argument to a kind's key
 */

enum class Conversion : uint8
{
	Same,      /* the key's type, or binary-coercible to it */
	Canonical, /* text: the key's canonical text form */
	Cast,      /* an implicit cast to the key's type */
	ViaText,   /* a type the key's btree family compares with the key */
};

struct IdConverter
{
	TargetRef *target;
	Oid id_type;  /* the argument's base type */
	Oid key_base; /* the key's base type: lookups take a key of this type */
	Conversion how;
	int cast_nargs;
	FmgrInfo cast; /* Cast */
	/* ViaText: key = id, with the family's cross-type operator */
	FmgrInfo confirm;
	FmgrInfo id_output; /* the id as text (resolve_many's id column, ViaText) */
};

/*
 * How an id of id_type finds target's key.  When it cannot: 42804 if raise,
 * else false.
 */
static bool
converter_init(IdConverter *c, TargetRef *target, Oid id_type, bool raise)
{
	memset(c, 0, sizeof(*c));
	if (!OidIsValid(id_type))
		elog(ERROR, "polyref: could not determine the type of the id argument");
	c->target = target;
	c->id_type = getBaseType(id_type);
	c->key_base = getBaseType(target->key_type);
	Oid output;
	bool is_varlena;
	getTypeOutputInfo(c->id_type, &output, &is_varlena);
	fmgr_info(output, &c->id_output);

	if (c->id_type == c->key_base || IsBinaryCoercible(c->id_type, c->key_base))
	{
		c->how = Conversion::Same;
		return true;
	}
	if (is_text_type(c->id_type))
	{
		c->how = Conversion::Canonical;
		return true;
	}
	Oid cast_function = InvalidOid;
	switch (find_coercion_pathway(c->key_base, c->id_type, COERCION_IMPLICIT,
								  &cast_function))
	{
		case COERCION_PATH_RELABELTYPE:
			c->how = Conversion::Same;
			return true;
		case COERCION_PATH_FUNC:
			c->how = Conversion::Cast;
			c->cast_nargs = get_func_nargs(cast_function);
			fmgr_info(cast_function, &c->cast);
			return true;
		default:
			break;
	}
	Oid left;
	Oid right;
	op_input_types(target->key_eq_operator, &left, &right);
	List *families = get_mergejoin_opfamilies(target->key_eq_operator);
	ListCell *cell;
	foreach (cell, families)
	{
		Oid cross = get_opfamily_member(lfirst_oid(cell), left, c->id_type,
										BTEqualStrategyNumber);
		if (OidIsValid(cross))
		{
			c->how = Conversion::ViaText;
			fmgr_info(get_opcode(cross), &c->confirm);
			return true;
		}
	}
	if (!raise)
		return false;
	ereport(
		ERROR,
		(errcode(ERRCODE_DATATYPE_MISMATCH),
		 errmsg("an id of type %s cannot be compared with key column \"%s\" of "
				"table \"%s\"",
				format_type_be(id_type),
				get_attname(target->relid, target->key_attnum, false),
				get_rel_name(target->relid)),
		 errdetail("The key is of type %s.", format_type_be(target->key_type)),
		 errhint("Pass an id of type %s, or text in the key's canonical form.",
				 format_type_be(target->key_type))));
}

/*
 * The key an id stands for; false when no key can equal it ('042' for a bigint
 * key).
 */
static bool
id_to_key(IdConverter *c, Datum id, Datum *key)
{
	switch (c->how)
	{
		case Conversion::Same:
			*key = id;
			return true;
		case Conversion::Canonical:
			return canonical_key(c->target, id, key);
		case Conversion::Cast:
			if (c->cast_nargs <= 1)
				*key = FunctionCall1(&c->cast, id);
			else if (c->cast_nargs == 2)
				*key = FunctionCall2(&c->cast, id, Int32GetDatum(-1));
			else
				*key = FunctionCall3(&c->cast, id, Int32GetDatum(-1),
									 BoolGetDatum(false));
			return true;
		case Conversion::ViaText:
		{
			/*
			 * The key whose text the id prints as, if the family agrees they
			 * are equal.
			 */
			Datum text =
				CStringGetTextDatum(OutputFunctionCall(&c->id_output, id));
			if (!canonical_key(c->target, text, key))
				return false;
			return DatumGetBool(FunctionCall2Coll(
				&c->confirm, c->target->key_collation, *key, id));
		}
	}
	pg_unreachable();
}

/* t.key OPERATOR(=) <right>, right being of the key's base type. */
static void
append_key_equals(StringInfo sql, TargetRef *target, const char *right,
				  Oid right_type)
{
	generate_operator_clause(
		sql, qualified_column("t", target->relid, target->key_attnum),
		target->key_type, target->key_eq_operator, right, right_type);
}

/*
 * A scoped association's helpers take the scope values as an extra argument
 * (SPEC); the others do not.  nscope_given: how many were given, -1 for
 * none (the call without the argument).
 */
static void
require_scope_count(Association *a, int nscope_given)
{
	if (nscope_given < 0 && a->nscope > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("association \"%s\" is scoped by %d column%s", a->name,
						a->nscope, a->nscope > 1 ? "s" : ""),
				 errhint("Pass the scope values as the last argument.")));
	if (nscope_given >= 0 && nscope_given != a->nscope)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("association \"%s\" is scoped by %d column%s, and "
						"%d scope value%s were given",
						a->name, a->nscope, a->nscope == 1 ? "" : "s",
						nscope_given, nscope_given == 1 ? "" : "s")));
}

/*
 * A scope value given as any type, as the target's scope column holds it:
 * through text, which every type has (the target column's input function
 * says what it accepts).
 */
static Datum
scope_value(const ScopePart *part, Oid given_type, Datum value)
{
	Oid output, input, ioparam;
	bool is_varlena;
	getTypeOutputInfo(given_type, &output, &is_varlena);
	getTypeInputInfo(part->type, &input, &ioparam);
	return OidInputFunctionCall(input, OidOutputFunctionCall(output, value),
								ioparam, -1);
}

/* AND t.<scope column> = $<first> ..., each of the column's type. */
static void
append_scope_equals(StringInfo sql, TargetRef *target, const char *alias,
					int first)
{
	for (int i = 0; i < target->nscope; i++)
	{
		appendStringInfoString(sql, " AND ");
		generate_operator_clause(
			sql, qualified_column("t", target->relid, target->scope[i].attnum),
			target->scope[i].type, target->scope[i].eq_operator,
			alias != nullptr ? psprintf("%s.s%d", alias, i + 1)
							 : psprintf("$%d", first + i),
			target->scope[i].type);
	}
}

} // namespace polyref

using namespace polyref;

/* ------------------------------------------------------------------------
 * resolve(source, name, kind, id [, scope]) -> jsonb
 */

POLYREF_FUNCTION(polyref_resolve)
{
	require_argument(fcinfo, 0, "source");
	require_argument(fcinfo, 1, "name");
	Association *a =
		declared_association(PG_GETARG_OID(0), text_argument(fcinfo, 1));
	/* The scope values: the fifth argument (resolve's overload for them). */
	bool *scope_nulls = nullptr;
	Datum *scope_given = nullptr;
	Oid scope_type = InvalidOid;
	int nscope_given = -1;
	if (PG_NARGS() > 4)
	{
		require_argument(fcinfo, 4, "scope");
		ArrayType *array = PG_GETARG_ARRAYTYPE_P(4);
		scope_type = ARR_ELEMTYPE(array);
		scope_given = array_elements(array, "scope", scope_type, &scope_nulls,
									 &nscope_given);
	}
	require_scope_count(a, nscope_given);
	if (PG_ARGISNULL(2))
		PG_RETURN_NULL(); /* a NULL reference points nowhere */
	Kind *kind = declared_kind(a, text_argument(fcinfo, 2));
	IdConverter converter;
	converter_init(&converter, kind->target,
				   get_fn_expr_argtype(fcinfo->flinfo, 3), true);
	TargetRef *target = kind->target;
	Datum *values = mcxt_array<Datum>(target->nscope + 1);
	Oid *types = mcxt_array<Oid>(target->nscope + 1);
	if (PG_ARGISNULL(3) ||
		!id_to_key(&converter, PG_GETARG_DATUM(3), &values[0]))
		PG_RETURN_NULL();
	types[0] = converter.key_base;
	for (int i = 0; i < target->nscope; i++)
	{
		if (scope_nulls[i])
			PG_RETURN_NULL(); /* a NULL scope: no row */
		values[i + 1] =
			scope_value(&target->scope[i], scope_type, scope_given[i]);
		types[i + 1] = target->scope[i].type;
	}

	StringInfoData sql;
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT pg_catalog.to_jsonb(t.*) FROM ");
	append_scanned_relation(&sql, target->relid);
	appendStringInfoString(&sql, " t WHERE ");
	append_key_equals(&sql, target, "$1", converter.key_base);
	append_scope_equals(&sql, target, nullptr, 2);

	spi_open();
	int rc = SPI_execute_with_args(sql.data, target->nscope + 1, types, values,
								   NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "polyref: resolving failed: %s",
			 SPI_result_code_string(rc));
	bool isnull = true;
	Datum row = (Datum) 0;
	if (SPI_processed > 0)
	{
		row = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
							&isnull);
		if (!isnull)
			row = SPI_datumTransfer(row, false, -1);
	}
	spi_close();
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(row);
}

/* ------------------------------------------------------------------------
 * resolve_many(source, name, kinds[], ids[]) -> (kind, id, target)
 */

namespace {

struct Wanted
{
	int kind;       /* index into the association's kinds */
	const char *id; /* as the caller gave it, as text */
	Datum key;
	Datum *scope;           /* in the target's scope columns' types */
	const char *scope_text; /* the scope values as given, for ordering */
};

int
wanted_order(const void *x, const void *y)
{
	const Wanted *a = (const Wanted *) x;
	const Wanted *b = (const Wanted *) y;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	int order = strcmp(a->scope_text, b->scope_text);
	return order != 0 ? order : strcmp(a->id, b->id);
}

/*
 * The scope values given for pair i (nscope of them from scopes, row-major):
 * false when one is NULL (such a pair points nowhere).
 */
struct GivenScopes
{
	const Datum *values;
	const bool *nulls;
	Oid type;
	int nscope;
};

bool
wanted_scope(Wanted *w, TargetRef *target, const GivenScopes &given, int i)
{
	w->scope = mcxt_array<Datum>(given.nscope + 1);
	StringInfoData text;
	initStringInfo(&text);
	Oid output;
	bool is_varlena;
	if (given.nscope > 0)
		getTypeOutputInfo(given.type, &output, &is_varlena);
	for (int p = 0; p < given.nscope; p++)
	{
		int at = i * given.nscope + p;
		if (given.nulls[at])
			return false;
		w->scope[p] =
			scope_value(&target->scope[p], given.type, given.values[at]);
		/* Each value quoted, so that no two scopes print alike. */
		appendStringInfoString(&text, quote_literal_cstr(OidOutputFunctionCall(
										  output, given.values[at])));
	}
	w->scope_text = text.data;
	return true;
}

/*
 * The (kind, id) pairs asked for, each kind checked (42704) and each id
 * converted to its kind's key; pairs whose id is NULL or cannot be a key
 * are left out.  Sorted by kind, then id, one per distinct pair.
 * converters[k] is made for each kind k named.
 */
Wanted *
wanted_keys(Association *a, const Datum *kinds, const bool *kind_nulls,
			const Datum *ids, const bool *id_nulls, int n, Oid id_type,
			const GivenScopes &scopes, IdConverter **converters, int *count)
{
	Wanted *wanted = mcxt_array<Wanted>(n + 1);
	int nwanted = 0;
	for (int i = 0; i < n; i++)
	{
		if (kind_nulls[i])
			continue;
		Kind *kind = declared_kind(a, TextDatumGetCString(kinds[i]));
		int k = (int) (kind - a->kinds);
		if (converters[k] == nullptr)
		{
			converters[k] = mcxt_object<IdConverter>();
			converter_init(converters[k], kind->target, id_type, true);
		}
		Datum key;
		if (id_nulls[i] || !id_to_key(converters[k], ids[i], &key) ||
			!wanted_scope(&wanted[nwanted], kind->target, scopes, i))
			continue;
		wanted[nwanted].kind = k;
		wanted[nwanted].id =
			OutputFunctionCall(&converters[k]->id_output, ids[i]);
		wanted[nwanted].key = key;
		nwanted++;
	}
	if (nwanted > 1)
		qsort(wanted, nwanted, sizeof(Wanted), wanted_order);
	int ndistinct = 0;
	for (int i = 0; i < nwanted; i++)
		if (ndistinct == 0 ||
			wanted_order(&wanted[ndistinct - 1], &wanted[i]) != 0)
			wanted[ndistinct++] = wanted[i];
	*count = ndistinct;
	return wanted;
}

/*
 * Target rows joined with the keys $1, the ids $2 they were asked by and
 * (scoped) the scope values $3 ...
 */
char *
resolve_many_query(TargetRef *target, Oid key_base)
{
	StringInfoData sql;
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT i.id, pg_catalog.to_jsonb(t.*) FROM ");
	append_scanned_relation(&sql, target->relid);
	appendStringInfoString(&sql, " t JOIN ROWS FROM (pg_catalog.unnest($1), "
								 "pg_catalog.unnest($2)");
	for (int i = 0; i < target->nscope; i++)
		appendStringInfo(&sql, ", pg_catalog.unnest($%d)", i + 3);
	appendStringInfoString(&sql, ") AS i(key, id");
	for (int i = 0; i < target->nscope; i++)
		appendStringInfo(&sql, ", s%d", i + 1);
	appendStringInfoString(&sql, ") ON ");
	append_key_equals(&sql, target, "i.key", key_base);
	append_scope_equals(&sql, target, "i", 0);
	appendStringInfo(&sql, " WHERE %s ",
					 qualified_column("t", target->relid, target->key_attnum));
	append_operator(&sql, target->key_eq_operator);
	appendStringInfoString(&sql, " ANY ($1)");
	return sql.data;
}

/*
 * One query for n wanted pairs of one kind, driven by the key's unique
 * index; a row (kind, id, target) for each key found.
 */
void
emit_resolved(ReturnSetInfo *rsinfo, Kind *kind, Oid key_base,
			  const Wanted *wanted, int n)
{
	Datum *keys = (Datum *) palloc(sizeof(Datum) * (n + 1));
	Datum *texts = (Datum *) palloc(sizeof(Datum) * (n + 1));
	for (int i = 0; i < n; i++)
	{
		keys[i] = wanted[i].key;
		texts[i] = CStringGetTextDatum(wanted[i].id);
	}
	Oid key_array_type = get_array_type(key_base);
	if (!OidIsValid(key_array_type))
		elog(ERROR, "polyref: type %s has no array type",
			 format_type_be(key_base));
	TargetRef *target = kind->target;
	Oid *types = mcxt_array<Oid>(target->nscope + 2);
	Datum *values = mcxt_array<Datum>(target->nscope + 2);
	types[0] = key_array_type;
	types[1] = TEXTARRAYOID;
	values[0] = make_array(keys, n, key_base);
	values[1] = make_array(texts, n, TEXTOID);
	for (int p = 0; p < target->nscope; p++)
	{
		Datum *column = mcxt_array<Datum>(n + 1);
		for (int i = 0; i < n; i++)
			column[i] = wanted[i].scope[p];
		types[p + 2] = get_array_type(target->scope[p].type);
		values[p + 2] = make_array(column, n, target->scope[p].type);
	}
	int rc =
		SPI_execute_with_args(resolve_many_query(target, key_base),
							  target->nscope + 2, types, values, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "polyref: resolving failed: %s",
			 SPI_result_code_string(rc));
	Datum label = CStringGetTextDatum(kind->label);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		bool isnull[3] = { false, false, false };
		Datum row[3];
		row[0] = label;
		row[1] = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1,
							   &isnull[1]);
		row[2] = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2,
							   &isnull[2]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, row, isnull);
	}
	SPI_freetuptable(SPI_tuptable);
}

/*
 * resolve_many's scopes (its fifth argument): one row of a->nscope values per
 * pair, a one-dimensional array when there is one scope column.
 */
GivenScopes
given_scopes(FunctionCallInfo fcinfo, Association *a, int npairs)
{
	GivenScopes given{ nullptr, nullptr, InvalidOid, 0 };
	if (PG_NARGS() <= 4)
	{
		require_scope_count(a, -1);
		return given;
	}
	require_argument(fcinfo, 4, "scopes");
	ArrayType *array = PG_GETARG_ARRAYTYPE_P(4);
	int ndim = ARR_NDIM(array);
	int per_pair = ndim == 2 ? ARR_DIMS(array)[1] : 1;
	int rows = ndim == 0 ? 0 : ARR_DIMS(array)[0];
	if (ndim > 2 || rows != npairs)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("scopes must give one row of scope values per pair"),
				 errdetail("%d pairs were given.", npairs)));
	require_scope_count(a, per_pair);
	int n;
	given.type = ARR_ELEMTYPE(array);
	int16 typlen;
	bool typbyval;
	char typalign;
	get_typlenbyvalalign(given.type, &typlen, &typbyval, &typalign);
	Datum *values;
	bool *nulls;
	/* Every element, row after row, whatever the dimensions. */
	deconstruct_array(array, given.type, typlen, typbyval, typalign, &values,
					  &nulls, &n);
	given.values = values;
	given.nulls = nulls;
	given.nscope = per_pair;
	return given;
}

} // namespace

/*
 * ids: an array, or (resolve_many(..., ids text), for drivers that send
 * every parameter untyped) the text of a text[] literal.
 */
static ArrayType *
ids_argument(FunctionCallInfo fcinfo)
{
	if (get_fn_expr_argtype(fcinfo->flinfo, 3) != TEXTOID)
		return PG_GETARG_ARRAYTYPE_P(3);
	Oid input;
	Oid ioparam;
	getTypeInputInfo(TEXTARRAYOID, &input, &ioparam);
	return DatumGetArrayTypeP(
		OidInputFunctionCall(input, text_argument(fcinfo, 3), ioparam, -1));
}

POLYREF_FUNCTION(polyref_resolve_many)
{
	require_argument(fcinfo, 0, "source");
	require_argument(fcinfo, 1, "name");
	require_argument(fcinfo, 2, "kinds");
	require_argument(fcinfo, 3, "ids");
	Association *a =
		declared_association(PG_GETARG_OID(0), text_argument(fcinfo, 1));
	ArrayType *kinds_array = PG_GETARG_ARRAYTYPE_P(2);
	ArrayType *ids_array = ids_argument(fcinfo);
	Oid id_type = ARR_ELEMTYPE(ids_array);
	bool *kind_nulls;
	bool *id_nulls;
	int nkinds;
	int nids;
	Datum *kinds =
		array_elements(kinds_array, "kinds", TEXTOID, &kind_nulls, &nkinds);
	Datum *ids = array_elements(ids_array, "ids", id_type, &id_nulls, &nids);
	if (nkinds != nids)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("kinds and ids must have the same length"),
				 errdetail("%d kinds and %d ids were given.", nkinds, nids)));
	GivenScopes scopes = given_scopes(fcinfo, a, nkinds);
	IdConverter **converters = mcxt_array0<IdConverter *>(a->nkinds + 1);
	int nwanted;
	Wanted *wanted = wanted_keys(a, kinds, kind_nulls, ids, id_nulls, nkinds,
								 id_type, scopes, converters, &nwanted);

	InitMaterializedSRF(fcinfo, 0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	spi_open();
	for (int start = 0; start < nwanted;)
	{
		int end = start;
		while (end < nwanted && wanted[end].kind == wanted[start].kind)
			end++;
		int k = wanted[start].kind;
		emit_resolved(rsinfo, &a->kinds[k], converters[k]->key_base,
					  &wanted[start], end - start);
		start = end;
	}
	spi_close();
	return (Datum) 0;
}

/* ------------------------------------------------------------------------
 * referrers(target, id) -> (source, association, ref)
 */

namespace {

/* What the associations hold on target and, for a partition, its ancestors. */
TargetRef **
targets_holding(Catalog *catalog, Oid target, int *count)
{
	List *tables = list_make1_oid(target);
	if (get_rel_relispartition(target))
		tables = list_concat(tables, get_partition_ancestors(target));
	int nrefs = 0;
	ListCell *cell;
	foreach (cell, tables)
	{
		const McxtVector<TargetRef *> *on =
			catalog_targets_on(catalog, lfirst_oid(cell));
		if (on != nullptr)
			nrefs += (int) on->size();
	}
	TargetRef **refs = mcxt_array<TargetRef *>(nrefs + 1);
	nrefs = 0;
	foreach (cell, tables)
	{
		const McxtVector<TargetRef *> *on =
			catalog_targets_on(catalog, lfirst_oid(cell));
		if (on != nullptr)
			for (TargetRef *ref : *on)
				refs[nrefs++] = ref;
	}
	*count = nrefs;
	return refs;
}

/*
 * A converter for each ref; false for the keys the id cannot be compared
 * with, which are skipped, unless no key can take it (42804).
 */
bool *
comparable_keys(TargetRef **refs, int nrefs, Oid id_type,
				IdConverter *converters)
{
	bool *comparable = (bool *) palloc(sizeof(bool) * (nrefs + 1));
	int ncomparable = 0;
	for (int i = 0; i < nrefs; i++)
		ncomparable += (comparable[i] = converter_init(&converters[i], refs[i],
													   id_type, false))
						   ? 1
						   : 0;
	if (nrefs > 0 && ncomparable == 0)
		converter_init(&converters[0], refs[0], id_type, true);
	return comparable;
}

/*
 * The source rows of ref's kinds whose id is the key $2 (the (type, id)
 * index serves it); $1 the kinds, $3 their labels as text.
 */
char *
referrers_query(TargetRef *ref, Oid key_param_type)
{
	Association *a = ref->association;
	const char *type_column = qualified_column("s", a->source, a->type_attnum);
	const char *id_column = qualified_column("s", a->source, a->id_attnum);
	StringInfoData sql;
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT pg_catalog.to_jsonb(s.*) FROM ");
	append_scanned_relation(&sql, a->source);
	appendStringInfo(&sql, " s WHERE %s ", type_column);
	append_operator(&sql, a->type_eq_operator);
	if (a->type_class == KindColumnClass::Citext)
	{
		/*
		 * The labels as the column's type (its = takes no text), then
		 * compared exactly.
		 */
		appendStringInfo(
			&sql, " ANY ($1::%s)",
			format_type_be_qualified(get_array_type(a->type_type)));
		appendStringInfo(
			&sql, " AND %s::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($3)",
			type_column);
	}
	else
		appendStringInfoString(&sql, " ANY ($1)");
	appendStringInfoString(&sql, " AND ");
	if (ref->id_match == IdMatch::CanonicalText)
		generate_operator_clause(&sql, id_column, a->id_type, TextEqualOperator,
								 "$2", TEXTOID);
	else
		generate_operator_clause(&sql, "$2", key_param_type,
								 ref->lookup_operator, id_column, a->id_type);
	if (ref->nscope > 0)
	{
		/*
		 * Scoped: only rows of the scope of a target row with that key ($4,
		 * the key itself), the rows that point at it.
		 */
		appendStringInfoString(&sql, " AND EXISTS (SELECT 1 FROM ");
		append_scanned_relation(&sql, ref->relid);
		appendStringInfoString(&sql, " t WHERE ");
		append_key_equals(&sql, ref, "$4", getBaseType(ref->key_type));
		for (int i = 0; i < ref->nscope; i++)
		{
			appendStringInfoString(&sql, " AND ");
			generate_operator_clause(
				&sql, qualified_column("t", ref->relid, ref->scope[i].attnum),
				ref->scope[i].type, ref->scope[i].lookup_operator,
				qualified_column("s", a->source, a->scope_attnums[i]),
				a->scope_types[i]);
		}
		appendStringInfoChar(&sql, ')');
	}
	return sql.data;
}

/* Adds a row (source, association, ref) for each source row naming key. */
void
emit_referrers(ReturnSetInfo *rsinfo, TargetRef *ref,
			   const IdConverter *converter, Datum key)
{
	Association *a = ref->association;
	Datum key_param = key;
	Oid key_param_type = converter->key_base;
	if (ref->id_match == IdMatch::CanonicalText)
	{
		key_param =
			CStringGetTextDatum(OutputFunctionCall(&ref->key_output, key));
		key_param_type = TEXTOID;
	}
	Oid types[4] = { a->type_class == KindColumnClass::Enum ||
							 a->type_class == KindColumnClass::Typed
						 ? get_array_type(a->type_type)
						 : TEXTARRAYOID,
					 key_param_type, TEXTARRAYOID, getBaseType(ref->key_type) };
	Datum values[4] = { ref->kind_values, key_param, ref->kind_labels, key };
	int rc = SPI_execute_with_args(referrers_query(ref, key_param_type),
								   ref->nscope > 0 ? 4 : 3, types, values, NULL,
								   true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "polyref: finding referrers failed: %s",
			 SPI_result_code_string(rc));
	Datum source = ObjectIdGetDatum(a->source);
	Datum name = CStringGetTextDatum(a->name);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		bool isnull[3] = { false, false, false };
		Datum row[3] = { source, name,
						 SPI_getbinval(SPI_tuptable->vals[r],
									   SPI_tuptable->tupdesc, 1, &isnull[2]) };
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, row, isnull);
	}
	SPI_freetuptable(SPI_tuptable);
}

} // namespace

POLYREF_FUNCTION(polyref_referrers)
{
	require_argument(fcinfo, 0, "target");
	Oid target = existing_relation(PG_GETARG_OID(0));
	Oid id_type = get_fn_expr_argtype(fcinfo->flinfo, 1);
	int nrefs;
	TargetRef **refs = targets_holding(catalog_current(), target, &nrefs);
	IdConverter *converters = mcxt_array<IdConverter>(nrefs + 1);
	bool *comparable = comparable_keys(refs, nrefs, id_type, converters);

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(1))
		return (Datum) 0; /* nothing points at NULL */
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum id = PG_GETARG_DATUM(1);
	spi_open();
	for (int i = 0; i < nrefs; i++)
	{
		Datum key;
		if (!comparable[i] || !id_to_key(&converters[i], id, &key))
			continue;
		/*
		 * Like RLS for the rows: a source the caller may not read is left out.
		 */
		if (!may_read_rows(refs[i]->association->source))
			continue;
		emit_referrers(rsinfo, refs[i], &converters[i], key);
	}
	spi_close();
	return (Datum) 0;
}
