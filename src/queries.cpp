/*
 * queries.cpp — query text and kept plans (see queries.hpp).
 */
#include "queries.hpp"

#include "spi_util.hpp"
#include "sql_names.hpp"

namespace polyref {

static const char *
column(Oid relid, AttrNumber attnum)
{
	return quote_identifier(get_attname(relid, attnum, false));
}

static SPIPlanPtr
kept(SPIPlanPtr *slot, StringInfo sql, int nargs, Oid *argtypes, Oid owner)
{
	*slot = prepare_kept_plan(sql->data, nargs, argtypes, owner);
	pfree(sql->data);
	return *slot;
}

/*
 * Whether the kept plan in slot may run; a plan PostgreSQL no longer trusts
 * is freed, to be rebuilt from current names.  The table it reads is locked
 * first, in the mode the statement takes, as ri_triggers.c locks both tables
 * before ri_FetchPreparedPlan (see its CAUTION): taking the lock processes
 * the invalidations of a rename committed before it, and holding it keeps
 * any other rename from committing until this transaction ends.  Checked
 * before the lock, a plan could pass, then wait in the executor for a
 * transaction that renames the table, and be re-planned from its old text,
 * whose name by then means another table or none.
 */
static bool
usable(SPIPlanPtr *slot, Oid relid, LOCKMODE lockmode)
{
	LockRelationOid(relid, lockmode);
	if (*slot == nullptr)
		return false;
	if (SPI_plan_is_valid(*slot))
		return true;
	SPI_freeplan(*slot);
	*slot = nullptr;
	return false;
}

static SPIPlanPtr
target_lookup(SPIPlanPtr *slot, TargetRef *target, Oid op, Oid param_type)
{
	/* SELECT ... FOR KEY SHARE */
	if (usable(slot, target->relid, RowShareLock))
		return *slot;
	StringInfoData sql;
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT 1 FROM ");
	append_scanned_relation(&sql, target->relid);
	appendStringInfoString(&sql, " x WHERE ");
	char *key = psprintf("x.%s", column(target->relid, target->key_attnum));
	generate_operator_clause(&sql, key, target->key_type, op, "$1", param_type);
	appendStringInfoString(&sql, " FOR KEY SHARE OF x");
	return kept(slot, &sql, 1, &param_type, target->owner);
}

SPIPlanPtr
lookup_key_plan(TargetRef *target)
{
	return target_lookup(&target->plans[(int) KeptPlan::LookupKey], target,
						 target->lookup_operator, target->lookup_param_type);
}

SPIPlanPtr
key_exists_plan(TargetRef *target)
{
	return target_lookup(&target->plans[(int) KeptPlan::KeyExists], target,
						 target->key_eq_operator, target->key_type);
}

/* The lock the statement takes on the source. */
static LOCKMODE
source_lock(KeptPlan which)
{
	switch (which)
	{
		case KeptPlan::Referencing:
			return RowShareLock; /* FOR KEY SHARE */
		case KeptPlan::TruncateProbe:
			return AccessShareLock;
		case KeptPlan::CascadeDelete:
		case KeptPlan::CascadeUpdate:
		case KeptPlan::SetNull:
		case KeptPlan::SetDefault:
			return RowExclusiveLock;
		default:
			break;
	}
	elog(ERROR, "polyref: kept plan %d is not a statement on the source",
		 (int) which);
}

/* The rows of the source that reference a key of this target. */
static void
append_referencing_condition(StringInfo sql, TargetRef *target, bool with_key)
{
	Association *a = target->association;
	const char *type_column = column(a->source, a->type_attnum);
	appendStringInfo(sql, "x.%s ", type_column);
	append_operator(sql, a->type_eq_operator);
	appendStringInfoString(sql, " ANY ($1)");
	if (a->type_class == KindColumnClass::Citext)
	{
		/* citext's = ignores case; kinds compare exactly. */
		appendStringInfo(
			sql, " AND x.%s::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($3)",
			type_column);
	}
	if (!with_key)
		return;
	appendStringInfoString(sql, " AND ");
	char *id = psprintf("x.%s", column(a->source, a->id_attnum));
	if (target->id_match == IdMatch::CanonicalText)
		generate_operator_clause(sql, id, a->id_type, TextEqualOperator, "$2",
								 TEXTOID);
	else
		generate_operator_clause(sql, "$2", target->key_type,
								 target->lookup_operator, id, a->id_type);
}

/* Text ids hold the key's canonical text form: they are found by it. */
static Datum
key_param(TargetRef *target, const Datum *key)
{
	if (key == nullptr)
		return (Datum) 0;
	if (target->id_match == IdMatch::CanonicalText)
		return CStringGetTextDatum(
			OutputFunctionCall(&target->key_output, *key));
	return *key;
}

void
source_plan_params(TargetRef *target, const Datum *old_key,
				   const Datum *new_key, Datum values[4])
{
	values[0] = target->kind_values;
	values[1] = key_param(target, old_key);
	values[2] = target->kind_labels;
	values[3] = key_param(target, new_key);
}

SPIPlanPtr
source_plan(TargetRef *target, KeptPlan which)
{
	LOCKMODE lockmode = source_lock(which); /* which is a source statement */
	SPIPlanPtr *slot = &target->plans[(int) which];
	if (usable(slot, target->association->source, lockmode))
		return *slot;
	Association *a = target->association;
	StringInfoData sql;
	initStringInfo(&sql);
	const char *type_column = column(a->source, a->type_attnum);
	const char *id_column = column(a->source, a->id_attnum);
	switch (which)
	{
		case KeptPlan::Referencing:
		case KeptPlan::TruncateProbe:
			appendStringInfoString(&sql, "SELECT 1 FROM ");
			break;
		case KeptPlan::CascadeDelete:
			appendStringInfoString(&sql, "DELETE FROM ");
			break;
		case KeptPlan::CascadeUpdate:
		case KeptPlan::SetNull:
		case KeptPlan::SetDefault:
			appendStringInfoString(&sql, "UPDATE ");
			break;
		default:
			break;
	}
	append_scanned_relation(&sql, a->source);
	appendStringInfoString(&sql, " x ");
	switch (which)
	{
		case KeptPlan::CascadeUpdate:
			appendStringInfo(&sql, "SET %s = $4 ", id_column);
			break;
		case KeptPlan::SetNull:
			appendStringInfo(&sql, "SET %s = NULL, %s = NULL ", type_column,
							 id_column);
			break;
		case KeptPlan::SetDefault:
			appendStringInfo(&sql, "SET %s = DEFAULT, %s = DEFAULT ",
							 type_column, id_column);
			break;
		default:
			break;
	}
	appendStringInfoString(&sql, "WHERE ");
	append_referencing_condition(&sql, target,
								 which != KeptPlan::TruncateProbe);
	if (which == KeptPlan::Referencing)
		appendStringInfoString(&sql, " FOR KEY SHARE OF x");

	Oid key_param =
		target->id_match == IdMatch::CanonicalText ? TEXTOID : target->key_type;
	Oid kinds_type = a->type_class == KindColumnClass::Text
						 ? TEXTARRAYOID
						 : get_array_type(a->type_type);
	Oid argtypes[4] = { kinds_type, key_param, TEXTARRAYOID, key_param };
	int nargs = which == KeptPlan::CascadeUpdate
					? 4
					: (a->type_class == KindColumnClass::Citext ? 3 : 2);
	if (which == KeptPlan::TruncateProbe &&
		a->type_class != KindColumnClass::Citext)
		nargs = 1;
	return kept(slot, &sql, nargs, argtypes, a->source_owner);
}

} // namespace polyref
