/*
 * canonical_id.cpp — parsing text ids into keys (see canonical_id.hpp).
 *
 * PostgreSQL 15 input functions report bad input by ereport, and catching
 * that needs a subtransaction.  The common key types (integers and uuid)
 * are therefore checked here first, so that their input functions are only
 * called on text they accept; other key types pay for the subtransaction.
 */
#include "canonical_id.hpp"

#include <cstring>

namespace polyref {

/*
 * "0", or an optional '-' then digits without a leading zero: what int8out
 * prints.
 */
static bool
canonical_integer(const char *s, int64 min, int64 max, int64 *out)
{
	const char *p = s;
	bool negative = *p == '-';
	if (negative)
		p++;
	if (*p < '0' || *p > '9' || (*p == '0' && (negative || p[1] != '\0')))
		return false;
	/* Accumulate negatively so that INT64_MIN fits. */
	int64 value = 0;
	for (; *p != '\0'; p++)
	{
		if (*p < '0' || *p > '9')
			return false;
		if (__builtin_mul_overflow(value, 10, &value) ||
			__builtin_sub_overflow(value, *p - '0', &value))
			return false;
	}
	if (!negative)
	{
		if (value == PG_INT64_MIN)
			return false;
		value = -value;
	}
	if (value < min || value > max)
		return false;
	*out = value;
	return true;
}

/* What uuid_out prints: 8-4-4-4-12 lowercase hex digits. */
static bool
canonical_uuid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++)
	{
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-'
				 : !((s[i] >= '0' && s[i] <= '9') ||
					 (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

/*
 * Any other key type: its input function, in a subtransaction.  Only a data
 * exception (class 22: bad syntax, out of range...) says the id is not a key.
 * Any other error (a query cancel, out of memory, a domain's CHECK constraint
 * failing with 23514) is raised again as it was, once the subtransaction is
 * rolled back, as PL/pgSQL re-raises an error that no handler takes: turned
 * into "not canonical" it would become a 23503 that hides what happened.
 */
static bool
parse_in_subtransaction(TargetRef *target, char *id, Datum *key)
{
	MemoryContext caller_memory = CurrentMemoryContext;
	ResourceOwner caller_owner = CurrentResourceOwner;
	volatile bool parsed = false;
	ErrorData *volatile error = nullptr;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(caller_memory);
	PG_TRY();
	{
		*key =
			InputFunctionCall(&target->key_input, id, target->key_ioparam, -1);
		parsed = true;
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(caller_memory);
		error = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(caller_memory);
	CurrentResourceOwner = caller_owner;
	if (error != nullptr &&
		ERRCODE_TO_CATEGORY(error->sqlerrcode) != ERRCODE_DATA_EXCEPTION)
		ReThrowError(error);
	return parsed;
}

bool
has_fast_canonical_form(Oid key_type)
{
	return key_type == INT2OID || key_type == INT4OID || key_type == INT8OID ||
		   key_type == UUIDOID;
}

bool
canonical_key(TargetRef *target, Datum id_text, Datum *key)
{
	char *id = TextDatumGetCString(id_text);
	int64 integer;
	switch (target->key_type)
	{
		case INT2OID:
			if (!canonical_integer(id, PG_INT16_MIN, PG_INT16_MAX, &integer))
				return false;
			*key = Int16GetDatum((int16) integer);
			return true;
		case INT4OID:
			if (!canonical_integer(id, PG_INT32_MIN, PG_INT32_MAX, &integer))
				return false;
			*key = Int32GetDatum((int32) integer);
			return true;
		case INT8OID:
			if (!canonical_integer(id, PG_INT64_MIN, PG_INT64_MAX, &integer))
				return false;
			*key = Int64GetDatum(integer);
			return true;
		case UUIDOID:
			if (!canonical_uuid(id))
				return false;
			*key = InputFunctionCall(&target->key_input, id,
									 target->key_ioparam, -1);
			return true;
		default:
			break;
	}
	if (!parse_in_subtransaction(target, id, key))
		return false;
	/* Canonical means: printing the key gives back exactly the id. */
	return strcmp(OutputFunctionCall(&target->key_output, *key), id) == 0;
}

} // namespace polyref
