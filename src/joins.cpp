/*
 * joins.cpp — querying an association as easily as a join: resolve,
 * resolve_many, referrers, create_join_view (and the views' upkeep), and
 * diagram.
 *
 * Enforcement acts as the tables' owners; these helpers do not.  Every query
 * here runs as the caller, so it returns nothing the caller could not SELECT
 * and row-level security applies as to any query; the join views are
 * security_invoker views for the same reason.  As in queries.cpp, every table
 * is schema-qualified, every identifier quoted and every operator written
 * OPERATOR(schema.name), so nothing on the search_path changes what runs.
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
#include "sql_names.hpp"
#include "boundary.hpp"
#include "canonical_id.hpp"
#include "catalog.hpp"
#include "config.hpp"
#include "joins.hpp"
#include "spi_util.hpp"

extern "C" {
#include "access/relation.h"
#include "commands/dbcommands.h"
#include "parser/scansup.h"
#include "utils/regproc.h"
}

#include <cstdlib>
#include <cstring>

namespace polyref {

/* ------------------------------------------------------------------------
 * Small helpers
 */

/*
 * [ONLY] "schema"."table": as enforcement reads it (partitioned tables whole,
 * others alone).
 */
static void
append_relation(StringInfo sql, Oid relid, bool)
{
	appendStringInfoString(sql, scanned_relation(relid));
}

static char *
qualified_function(Oid function)
{
	return quote_qualified_identifier(
		get_namespace_name(get_func_namespace(function)),
		get_func_name(function));
}

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

static bool
is_text_like(Oid type)
{
	return type == TEXTOID || type == VARCHAROID;
}

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
	if (is_text_like(c->id_type))
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

/* ------------------------------------------------------------------------
 * resolve(source, name, kind, id) -> jsonb
 */

} // namespace polyref

using namespace polyref;

POLYREF_FUNCTION(polyref_resolve)
{
	require_argument(fcinfo, 0, "source");
	require_argument(fcinfo, 1, "name");
	Association *a =
		declared_association(PG_GETARG_OID(0), text_argument(fcinfo, 1));
	if (PG_ARGISNULL(2))
		PG_RETURN_NULL(); /* a NULL reference points nowhere */
	Kind *kind = declared_kind(a, text_argument(fcinfo, 2));
	IdConverter converter;
	converter_init(&converter, kind->target,
				   get_fn_expr_argtype(fcinfo->flinfo, 3), true);
	Datum key;
	if (PG_ARGISNULL(3) || !id_to_key(&converter, PG_GETARG_DATUM(3), &key))
		PG_RETURN_NULL();

	TargetRef *target = kind->target;
	StringInfoData sql;
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT pg_catalog.to_jsonb(t.*) FROM ");
	append_relation(&sql, target->relid, target->partitioned);
	appendStringInfoString(&sql, " t WHERE ");
	append_key_equals(&sql, target, "$1", converter.key_base);

	SpiSession spi = spi_open();
	Oid argtype = converter.key_base;
	int rc = SPI_execute_with_args(sql.data, 1, &argtype, &key, NULL, true, 0);
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
	spi_close(spi);
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
};

int
wanted_order(const void *x, const void *y)
{
	const Wanted *a = (const Wanted *) x;
	const Wanted *b = (const Wanted *) y;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return strcmp(a->id, b->id);
}


} // namespace

POLYREF_FUNCTION(polyref_resolve_many)
{
	require_argument(fcinfo, 0, "source");
	require_argument(fcinfo, 1, "name");
	require_argument(fcinfo, 2, "kinds");
	require_argument(fcinfo, 3, "ids");
	Association *a =
		declared_association(PG_GETARG_OID(0), text_argument(fcinfo, 1));
	ArrayType *kinds_array = PG_GETARG_ARRAYTYPE_P(2);
	ArrayType *ids_array = PG_GETARG_ARRAYTYPE_P(3);
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

	/* Every kind named is checked, and every id converted to its kind's key. */
	IdConverter **converters =
		(IdConverter **) palloc0(sizeof(IdConverter *) * (a->nkinds + 1));
	Wanted *wanted = (Wanted *) palloc(sizeof(Wanted) * (nkinds + 1));
	int nwanted = 0;
	for (int i = 0; i < nkinds; i++)
	{
		if (kind_nulls[i])
			continue;
		Kind *kind = declared_kind(a, TextDatumGetCString(kinds[i]));
		int k = (int) (kind - a->kinds);
		if (converters[k] == nullptr)
		{
			converters[k] = (IdConverter *) palloc(sizeof(IdConverter));
			converter_init(converters[k], kind->target, id_type, true);
		}
		Datum key;
		if (id_nulls[i] || !id_to_key(converters[k], ids[i], &key))
			continue;
		wanted[nwanted].kind = k;
		wanted[nwanted].id =
			OutputFunctionCall(&converters[k]->id_output, ids[i]);
		wanted[nwanted].key = key;
		nwanted++;
	}
	/* One row per distinct (kind, id). */
	if (nwanted > 1)
		qsort(wanted, nwanted, sizeof(Wanted), wanted_order);
	int ndistinct = 0;
	for (int i = 0; i < nwanted; i++)
		if (ndistinct == 0 ||
			wanted_order(&wanted[ndistinct - 1], &wanted[i]) != 0)
			wanted[ndistinct++] = wanted[i];

	InitMaterializedSRF(fcinfo, 0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum *keys = (Datum *) palloc(sizeof(Datum) * (ndistinct + 1));
	Datum *texts = (Datum *) palloc(sizeof(Datum) * (ndistinct + 1));
	SpiSession spi = spi_open();
	/* One query per kind, driven by the key's unique index. */
	for (int start = 0; start < ndistinct;)
	{
		int end = start;
		while (end < ndistinct && wanted[end].kind == wanted[start].kind)
			end++;
		Kind *kind = &a->kinds[wanted[start].kind];
		TargetRef *target = kind->target;
		Oid key_base = converters[wanted[start].kind]->key_base;
		for (int i = start; i < end; i++)
		{
			keys[i - start] = wanted[i].key;
			texts[i - start] = CStringGetTextDatum(wanted[i].id);
		}

		StringInfoData sql;
		initStringInfo(&sql);
		appendStringInfoString(&sql,
							   "SELECT i.id, pg_catalog.to_jsonb(t.*) FROM ");
		append_relation(&sql, target->relid, target->partitioned);
		appendStringInfoString(&sql,
							   " t JOIN ROWS FROM (pg_catalog.unnest($1), "
							   "pg_catalog.unnest($2)) AS i(key, id) ON ");
		append_key_equals(&sql, target, "i.key", key_base);
		appendStringInfo(
			&sql, " WHERE %s ",
			qualified_column("t", target->relid, target->key_attnum));
		append_operator(&sql, target->key_eq_operator);
		appendStringInfoString(&sql, " ANY ($1)");

		Oid key_array_type = get_array_type(key_base);
		if (!OidIsValid(key_array_type))
			elog(ERROR, "polyref: type %s has no array type",
				 format_type_be(key_base));
		Oid types[2] = { key_array_type, TEXTARRAYOID };
		Datum values[2] = { make_array(keys, end - start, key_base),
							make_array(texts, end - start, TEXTOID) };
		int rc =
			SPI_execute_with_args(sql.data, 2, types, values, NULL, true, 0);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "polyref: resolving failed: %s",
				 SPI_result_code_string(rc));
		Datum label = CStringGetTextDatum(kind->label);
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			bool isnull[3] = { false, false, false };
			Datum row[3];
			row[0] = label;
			row[1] = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc,
								   1, &isnull[1]);
			row[2] = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc,
								   2, &isnull[2]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, row,
								 isnull);
		}
		SPI_freetuptable(SPI_tuptable);
		start = end;
	}
	spi_close(spi);
	return (Datum) 0;
}

/* ------------------------------------------------------------------------
 * referrers(target, id) -> (source, association, ref)
 */

POLYREF_FUNCTION(polyref_referrers)
{
	require_argument(fcinfo, 0, "target");
	Oid target = existing_relation(PG_GETARG_OID(0));
	Oid id_type = get_fn_expr_argtype(fcinfo->flinfo, 1);
	Catalog *catalog = catalog_current();

	/*
	 * The associations' hold on this table and, for a partition, on its
	 * ancestors.
	 */
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
	TargetRef **refs = (TargetRef **) palloc(sizeof(TargetRef *) * (nrefs + 1));
	nrefs = 0;
	foreach (cell, tables)
	{
		const McxtVector<TargetRef *> *on =
			catalog_targets_on(catalog, lfirst_oid(cell));
		if (on != nullptr)
			for (TargetRef *ref : *on)
				refs[nrefs++] = ref;
	}

	/*
	 * Keys the id cannot be compared with are skipped, unless no key can take
	 * it.
	 */
	IdConverter *converters =
		(IdConverter *) palloc(sizeof(IdConverter) * (nrefs + 1));
	bool *comparable = (bool *) palloc(sizeof(bool) * (nrefs + 1));
	int ncomparable = 0;
	for (int i = 0; i < nrefs; i++)
		ncomparable += (comparable[i] = converter_init(&converters[i], refs[i],
													   id_type, false))
						   ? 1
						   : 0;
	if (nrefs > 0 && ncomparable == 0)
		converter_init(&converters[0], refs[0], id_type, true);

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(1))
		return (Datum) 0; /* nothing points at NULL */
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum id = PG_GETARG_DATUM(1);
	SpiSession spi = spi_open();
	for (int i = 0; i < nrefs; i++)
	{
		TargetRef *ref = refs[i];
		Association *a = ref->association;
		Datum key;
		if (!comparable[i] || !id_to_key(&converters[i], id, &key))
			continue;
		/*
		 * Like RLS for the rows: a source the caller may not read is left out.
		 */
		if (!may_read_rows(a->source))
			continue;

		/*
		 * The source rows of this target's kinds whose id is this key (the
		 * (type, id) index).
		 */
		const char *type_column =
			qualified_column("s", a->source, a->type_attnum);
		const char *id_column = qualified_column("s", a->source, a->id_attnum);
		StringInfoData sql;
		initStringInfo(&sql);
		appendStringInfoString(&sql, "SELECT pg_catalog.to_jsonb(s.*) FROM ");
		append_relation(&sql, a->source, a->source_partitioned);
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
				&sql,
				" AND %s::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($3)",
				type_column);
		}
		else
			appendStringInfoString(&sql, " ANY ($1)");
		appendStringInfoString(&sql, " AND ");
		Datum key_param;
		Oid key_param_type;
		if (ref->id_match == IdMatch::CanonicalText)
		{
			generate_operator_clause(&sql, id_column, a->id_type,
									 TextEqualOperator, "$2", TEXTOID);
			key_param =
				CStringGetTextDatum(OutputFunctionCall(&ref->key_output, key));
			key_param_type = TEXTOID;
		}
		else
		{
			key_param_type = converters[i].key_base;
			generate_operator_clause(&sql, "$2", key_param_type,
									 ref->lookup_operator, id_column,
									 a->id_type);
			key_param = key;
		}
		Oid types[3] = { a->type_class == KindColumnClass::Enum
							 ? get_array_type(a->type_type)
							 : TEXTARRAYOID,
						 key_param_type, TEXTARRAYOID };
		Datum values[3] = { ref->kind_values, key_param, ref->kind_labels };
		int rc =
			SPI_execute_with_args(sql.data, 3, types, values, NULL, true, 0);
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
										   SPI_tuptable->tupdesc, 1,
										   &isnull[2]) };
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, row,
								 isnull);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	spi_close(spi);
	return (Datum) 0;
}

/* ------------------------------------------------------------------------
 * canonical_key(id text, key anyelement) -> anyelement
 *
 * The join views' way from a text id to a bigint, integer, smallint or uuid
 * key: the key whose canonical text form id is, else NULL (never an error,
 * whatever the row holds).  Immutable, so the key's index serves the join.
 */

POLYREF_FUNCTION(polyref_canonical_key)
{
	Oid key_type = getBaseType(get_fn_expr_argtype(fcinfo->flinfo, 1));
	if (key_type != INT2OID && key_type != INT4OID && key_type != INT8OID &&
		key_type != UUIDOID)
		ereport(
			ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("polyref.canonical_key does not support keys of type %s",
					format_type_be(key_type)),
			 errhint("Keys of type smallint, integer, bigint and uuid are "
					 "supported.")));
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	TargetRef *parser = (TargetRef *) fcinfo->flinfo->fn_extra;
	if (parser == nullptr)
	{
		parser = (TargetRef *) MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
													  sizeof(TargetRef));
		parser->key_type = key_type;
		Oid input;
		Oid output;
		bool is_varlena;
		getTypeInputInfo(key_type, &input, &parser->key_ioparam);
		getTypeOutputInfo(key_type, &output, &is_varlena);
		fmgr_info_cxt(input, &parser->key_input, fcinfo->flinfo->fn_mcxt);
		fmgr_info_cxt(output, &parser->key_output, fcinfo->flinfo->fn_mcxt);
		fcinfo->flinfo->fn_extra = parser;
	}
	Datum key;
	if (!canonical_key(parser, PG_GETARG_DATUM(0), &key))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(key);
}

/* ------------------------------------------------------------------------
 * Join views
 */

namespace polyref {

static bool
has_fast_canonical_form(Oid type)
{
	return type == INT2OID || type == INT4OID || type == INT8OID ||
		   type == UUIDOID;
}

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
		append_relation(&sql, a->source, a->source_partitioned);
		appendStringInfoString(&sql, " s\n  JOIN ");
		append_relation(&sql, kind->target->relid, kind->target->partitioned);
		appendStringInfoString(&sql, " t ON ");
		append_join_condition(&sql, a, kind->target, id_column);
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
		append_relation(&sql, a->source, a->source_partitioned);
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
	SpiSession spi = spi_open();
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
	spi_close(spi);
	return grants;
}

/* The recorded views of an association. */
static Oid *
recorded_views(Oid source, const char *name, int *count)
{
	MemoryContext caller_memory = CurrentMemoryContext;
	SpiSession spi = spi_open();
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
	spi_close(spi);
	return views;
}

static void
forget_view(Oid view)
{
	Oid types[1] = { OIDOID };
	Datum values[1] = { ObjectIdGetDatum(view) };
	SpiSession spi = spi_open();
	config_write("DELETE FROM polyref.config_join_view WHERE "
				 "join_view::pg_catalog.oid OPERATOR(pg_catalog.=) $1",
				 1, types, values);
	spi_close(spi);
}

static void
record_view(Oid view, Oid source, const char *name)
{
	Oid types[3] = { REGCLASSOID, REGCLASSOID, TEXTOID };
	Datum values[3] = { ObjectIdGetDatum(view), ObjectIdGetDatum(source),
						CStringGetTextDatum(name) };
	SpiSession spi = spi_open();
	config_write("INSERT INTO polyref.config_join_view (join_view, source, "
				 "association) VALUES ($1, $2, $3)",
				 3, types, values);
	spi_close(spi);
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
		SpiSession spi = spi_open();
		run_sql_as(create_view_statement(qualified_view, a, true), owner);
		spi_close(spi);
		return view;
	}
	/*
	 * The source's columns changed since the view was made: CREATE OR REPLACE
	 * cannot reorder a view's columns, so drop it (refused while other views
	 * depend on it) and make it again, with its owner and grants.
	 */
	int ngrants;
	char **grants = view_grants(view, qualified_view, &ngrants);
	SpiSession spi = spi_open();
	run_sql_as(psprintf("DROP VIEW %s", qualified_view), owner);
	run_sql_as(create_view_statement(qualified_view, a, false), owner);
	for (int i = 0; i < ngrants; i++)
		run_sql_as(grants[i], owner);
	spi_close(spi);
	CommandCounterIncrement();
	Oid remade = get_relname_relid(name, get_namespace_oid(schema, false));
	/*
	 * The DROP made the sql_drop event trigger forget the old view: record the
	 * new one.
	 */
	forget_view(view);
	record_view(remade, a->source, a->name);
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
			SpiSession spi = spi_open();
			run_sql_as(psprintf("DROP VIEW %s", qualified_view), owner);
			spi_close(spi);
		}
		forget_view(views[i]);
	}
}

void
join_views_forget(const Oid *relids, int n)
{
	if (n == 0)
		return;
	Datum *values = (Datum *) palloc(sizeof(Datum) * n);
	for (int i = 0; i < n; i++)
		values[i] = ObjectIdGetDatum(relids[i]);
	Oid types[1] = { OIDARRAYOID };
	Datum array[1] = { make_array(values, n, OIDOID) };
	SpiSession spi = spi_open();
	config_write(
		"DELETE FROM polyref.config_join_view"
		" WHERE join_view::pg_catalog.oid OPERATOR(pg_catalog.=) ANY ($1)",
		1, types, array);
	spi_close(spi);
}

/* The association a recorded view belongs to, or false. */
static bool
view_recorded_for(Oid view, Oid *source, char **name)
{
	MemoryContext caller_memory = CurrentMemoryContext;
	SpiSession spi = spi_open();
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
	spi_close(spi);
	return found;
}

} // namespace polyref

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
			stringToQualifiedNameList(text_argument(fcinfo, 2)));
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
		view_recorded_for(existing, &recorded_source, &recorded_name) &&
		recorded_source == source && strcmp(recorded_name, name) == 0)
		PG_RETURN_OID(rewrite_view(a, existing));
	if (OidIsValid(existing))
		ereport(ERROR, (errcode(ERRCODE_DUPLICATE_TABLE),
						errmsg("relation \"%s\" already exists", view_name)));

	/*
	 * Made as the source's owner, like the rest of what the association
	 * installs.
	 */
	SpiSession spi = spi_open();
	run_sql_as(create_view_statement(qualified_view, a, false),
			   relation_owner(source));
	spi_close(spi);
	CommandCounterIncrement();
	Oid view = get_relname_relid(view_name, schema);
	if (!OidIsValid(view))
		elog(ERROR, "polyref: the join view just created is missing");

	record_view(view, source, name);
	PG_RETURN_OID(view);
}

/* ------------------------------------------------------------------------
 * diagram(format) -> text
 */

namespace {

bool
is_word_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool
is_word_char(char c)
{
	return is_word_start(c) || (c >= '0' && c <= '9');
}

/* Text inside a Mermaid double-quoted string: no quote, no line break. */
char *
mermaid_text(const char *text)
{
	StringInfoData out;
	initStringInfo(&out);
	for (const char *p = text; *p; p++)
	{
		if (*p == '"')
			appendStringInfoString(&out, "#quot;");
		else if (*p == '\n' || *p == '\r')
			appendStringInfoChar(&out, ' ');
		else
			appendStringInfoChar(&out, *p);
	}
	return out.data;
}

/*
 * A Mermaid entity name: a word (hyphens allowed), else double-quoted, where
 * Mermaid takes anything but a double quote, %, a backslash or a line break
 * (those become ' and _).
 */
const char *
mermaid_name(const char *name)
{
	bool plain = is_word_start(name[0]);
	for (const char *p = name; *p && plain; p++)
		plain = is_word_char(*p) || *p == '-';
	if (plain)
		return name;
	StringInfoData out;
	initStringInfo(&out);
	appendStringInfoChar(&out, '"');
	for (const char *p = name; *p; p++)
	{
		if (*p == '"')
			appendStringInfoChar(&out, '\'');
		else if (*p == '%' || *p == '\\' || (unsigned char) *p < ' ')
			appendStringInfoChar(&out, '_');
		else
			appendStringInfoChar(&out, *p);
	}
	appendStringInfoChar(&out, '"');
	return out.data;
}

/*
 * An AML identifier: [a-zA-Z_][a-zA-Z0-9_#]* and no keyword, else "..." with \
 * and " escaped.
 */
const char *
aml_identifier(const char *name)
{
	static const char *const keywords[] = {
		"namespace", "as",   "nullable", "pk",   "index", "unique", "check",
		"rel",       "type", "fk",       "null", "true",  "false"
	};
	bool plain = is_word_start(name[0]);
	for (const char *p = name; *p && plain; p++)
		plain = is_word_char(*p) || *p == '#';
	for (const char *keyword : keywords)
		plain = plain && pg_strcasecmp(name, keyword) != 0;
	if (plain)
		return name;
	StringInfoData out;
	initStringInfo(&out);
	appendStringInfoChar(&out, '"');
	for (const char *p = name; *p; p++)
	{
		if (*p == '"' || *p == '\\')
			appendStringInfoChar(&out, '\\');
		appendStringInfoChar(&out, *p);
	}
	appendStringInfoChar(&out, '"');
	return out.data;
}

/* Tables of schema public by their name alone, others as schema.table. */
const char *
mermaid_table(const char *schema, const char *table)
{
	return mermaid_name(strcmp(schema, "public") == 0
							? table
							: psprintf("%s.%s", schema, table));
}

const char *
aml_table(const char *schema, const char *table)
{
	if (strcmp(schema, "public") == 0)
		return aml_identifier(table);
	return psprintf("%s.%s", aml_identifier(schema), aml_identifier(table));
}

const char *const diagram_query =
	"SELECT sn.nspname::pg_catalog.text, sc.relname::pg_catalog.text, "
	"a.association,"
	"       a.type_column::pg_catalog.text, a.id_column::pg_catalog.text, "
	"t.kind,"
	"       tn.nspname::pg_catalog.text, tc.relname::pg_catalog.text, "
	"t.key_column::pg_catalog.text"
	"  FROM polyref.associations a"
	"  JOIN polyref.targets t ON t.source OPERATOR(pg_catalog.=) a.source"
	"                        AND t.association OPERATOR(pg_catalog.=) "
	"a.association"
	"  JOIN pg_catalog.pg_class sc ON sc.oid OPERATOR(pg_catalog.=) "
	"a.source::pg_catalog.oid"
	"  JOIN pg_catalog.pg_namespace sn ON sn.oid OPERATOR(pg_catalog.=) "
	"sc.relnamespace"
	"  JOIN pg_catalog.pg_class tc ON tc.oid OPERATOR(pg_catalog.=) "
	"t.target::pg_catalog.oid"
	"  JOIN pg_catalog.pg_namespace tn ON tn.oid OPERATOR(pg_catalog.=) "
	"tc.relnamespace"
	" ORDER BY CASE WHEN sn.nspname OPERATOR(pg_catalog.=) 'public' THEN "
	"sc.relname::pg_catalog.text"
	"               ELSE pg_catalog.concat(sn.nspname, '.', sc.relname) END "
	"COLLATE \"C\","
	"          a.association COLLATE \"C\", t.kind COLLATE \"C\","
	"          CASE WHEN tn.nspname OPERATOR(pg_catalog.=) 'public' THEN "
	"tc.relname::pg_catalog.text"
	"               ELSE pg_catalog.concat(tn.nspname, '.', tc.relname) END "
	"COLLATE \"C\"";

} // namespace

POLYREF_FUNCTION(polyref_diagram)
{
	require_argument(fcinfo, 0, "format");
	const char *format = text_argument(fcinfo, 0);
	bool mermaid = pg_strcasecmp(format, "mermaid") == 0;
	if (!mermaid && pg_strcasecmp(format, "aml") != 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("unknown diagram format \"%s\"", format),
						errhint("Use 'mermaid' or 'aml'.")));

	StringInfoData diagram;
	initStringInfo(&diagram);
	if (mermaid)
		appendStringInfoString(&diagram, "erDiagram");
	SpiSession spi = spi_open();
	int rc = SPI_execute(diagram_query, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "polyref: reading the associations failed: %s",
			 SPI_result_code_string(rc));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple tuple = SPI_tuptable->vals[i];
		TupleDesc desc = SPI_tuptable->tupdesc;
		char *field[9];
		for (int f = 0; f < 9; f++)
			field[f] = SPI_getvalue(tuple, desc, f + 1);
		if (mermaid)
			/* comments }o--|| posts : "commentable (Post)" */
			appendStringInfo(
				&diagram, "\n    %s }o--|| %s : \"%s\"",
				mermaid_table(field[0], field[1]),
				mermaid_table(field[6], field[7]),
				mermaid_text(psprintf("%s (%s)", field[2], field[5])));
		else
			/* rel comments(commentable_id) -commentable_type=Post> posts(id) */
			appendStringInfo(
				&diagram, "%srel %s(%s) -%s=%s> %s(%s)", i > 0 ? "\n" : "",
				aml_table(field[0], field[1]), aml_identifier(field[4]),
				aml_identifier(field[3]), aml_identifier(field[5]),
				aml_table(field[6], field[7]), aml_identifier(field[8]));
	}
	spi_close(spi);
	PG_RETURN_TEXT_P(cstring_to_text(diagram.data));
}
