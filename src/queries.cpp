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

/*
 * SELECT ... FOR KEY SHARE: the key by $1, and each scope column by $2 ...
 * (from_source: the source's values, else the target's own).
 */
static SPIPlanPtr
target_lookup(SPIPlanPtr *slot, TargetRef *target, Oid op, Oid param_type,
			  bool from_source)
{
	if (usable(slot, target->relid, RowShareLock))
		return *slot;
	StringInfoData sql;
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT 1 FROM ");
	append_scanned_relation(&sql, target->relid);
	appendStringInfoString(&sql, " x WHERE ");
	char *key = psprintf("x.%s", column(target->relid, target->key_attnum));
	generate_operator_clause(&sql, key, target->key_type, op, "$1", param_type);
	Oid *types = mcxt_array<Oid>(target->nscope + 1);
	types[0] = param_type;
	for (int i = 0; i < target->nscope; i++)
	{
		const ScopePart *part = &target->scope[i];
		types[i + 1] = from_source ? part->lookup_param_type : part->type;
		appendStringInfoString(&sql, " AND ");
		generate_operator_clause(
			&sql, psprintf("x.%s", column(target->relid, part->attnum)),
			part->type, from_source ? part->lookup_operator : part->eq_operator,
			psprintf("$%d", i + 2), types[i + 1]);
	}
	appendStringInfoString(&sql, " FOR KEY SHARE OF x");
	return kept(slot, &sql, target->nscope + 1, types, target->owner);
}

SPIPlanPtr
lookup_key_plan(TargetRef *target)
{
	return target_lookup(&target->plans[(int) KeptPlan::LookupKey], target,
						 target->lookup_operator, target->lookup_param_type,
						 true);
}

SPIPlanPtr
key_exists_plan(TargetRef *target)
{
	return target_lookup(&target->plans[(int) KeptPlan::KeyExists], target,
						 target->key_eq_operator, target->key_type, false);
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
	/* Only rows of the same scope: $5 ... hold the target row's values. */
	for (int i = 0; i < target->nscope; i++)
	{
		appendStringInfoString(sql, " AND ");
		generate_operator_clause(
			sql, psprintf("$%d", 5 + i), target->scope[i].type,
			target->scope[i].lookup_operator,
			psprintf("x.%s", column(a->source, a->scope_attnums[i])),
			a->scope_types[i]);
	}
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

Datum *
source_plan_params(TargetRef *target, const Datum *old_key,
				   const Datum *old_scope, const Datum *new_key,
				   const Datum *new_scope)
{
	Datum *values = mcxt_array0<Datum>(4 + 2 * target->nscope);
	values[0] = target->kind_values;
	values[1] = key_param(target, old_key);
	values[2] = target->kind_labels;
	/*
	 * An unused $4 still gets a valid datum of its type (a scoped plan
	 * declares it so that the scope is $5 ...).
	 */
	values[3] = new_key != nullptr ? key_param(target, new_key) : values[1];
	for (int i = 0; i < target->nscope; i++)
	{
		values[4 + i] = old_scope != nullptr ? old_scope[i] : (Datum) 0;
		values[4 + target->nscope + i] =
			new_scope != nullptr ? new_scope[i] : (Datum) 0;
	}
	return values;
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
			/*
			 * As a native composite key's cascade: the scope follows the
			 * target row's too.
			 */
			appendStringInfo(&sql, "SET %s = $4", id_column);
			for (int i = 0; i < a->nscope; i++)
				appendStringInfo(&sql, ", %s = $%d",
								 column(a->source, a->scope_attnums[i]),
								 5 + a->nscope + i);
			appendStringInfoChar(&sql, ' ');
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
	Oid *argtypes = mcxt_array<Oid>(4 + 2 * a->nscope);
	argtypes[0] = kinds_type;
	argtypes[1] = key_param;
	argtypes[2] = TEXTARRAYOID;
	argtypes[3] = key_param;
	for (int i = 0; i < a->nscope; i++)
		argtypes[4 + i] = argtypes[4 + a->nscope + i] = target->scope[i].type;
	int nargs = which == KeptPlan::CascadeUpdate
					? 4
					: (a->type_class == KindColumnClass::Citext ? 3 : 2);
	if (which == KeptPlan::TruncateProbe)
		nargs = a->type_class != KindColumnClass::Citext ? 1 : 3;
	else if (a->nscope > 0)
		/* $3 and $4 typed even where unused, so that the scope is $5 ... */
		nargs = which == KeptPlan::CascadeUpdate ? 4 + 2 * a->nscope
												 : 4 + a->nscope;
	return kept(slot, &sql, nargs, argtypes, a->source_owner);
}

} // namespace polyref
