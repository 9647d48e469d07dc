/*
 * arguments.cpp — checking the arguments of SQL-callable functions.
 */
#include "arguments.hpp"

namespace polyref {

void
require_argument(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"%s\" of %s must not be null", argname,
						get_func_name(fcinfo->flinfo->fn_oid))));
}

char *
text_argument(FunctionCallInfo fcinfo, int argno)
{
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

char *
name_argument(FunctionCallInfo fcinfo, int argno)
{
	return pstrdup(NameStr(*PG_GETARG_NAME(argno)));
}

void
require_writable_transaction(FunctionCallInfo fcinfo)
{
	PreventCommandIfReadOnly(
		psprintf("%s()", get_func_name(fcinfo->flinfo->fn_oid)));
}

Datum *
array_elements(ArrayType *array, const char *argname, Oid element_type,
			   bool **nulls, int *n)
{
	if (ARR_NDIM(array) > 1)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s must be a one-dimensional array", argname)));
	int16 typlen;
	bool typbyval;
	char typalign;
	get_typlenbyvalalign(element_type, &typlen, &typbyval, &typalign);
	Datum *values;
	deconstruct_array(array, element_type, typlen, typbyval, typalign, &values,
					  nulls, n);
	return values;
}

Datum
make_array(const Datum *values, int n, Oid element_type)
{
	int16 typlen;
	bool typbyval;
	char typalign;
	get_typlenbyvalalign(element_type, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_array((Datum *) values, n, element_type,
										   typlen, typbyval, typalign));
}

Oid
existing_relation(Oid relid)
{
	if (get_rel_relkind(relid) == '\0')
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
						errmsg("relation with OID %u does not exist", relid)));
	return relid;
}

} // namespace polyref
