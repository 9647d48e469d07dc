/*
 * canonical_key.cpp — polyref.canonical_key(id text, key anyelement), the SQL
 * face of the text-id rule (canonical_id.hpp) that the join views call.
 */
#include "boundary.hpp"
#include "canonical_id.hpp"

using namespace polyref;

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
	if (!has_fast_canonical_form(key_type))
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
		parser = mcxt_object0<TargetRef>(fcinfo->flinfo->fn_mcxt);
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
