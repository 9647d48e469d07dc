/*
 * report.cpp — native-shaped 23503 reports (after ri_ReportViolation).
 */
#include "report.hpp"

namespace polyref {

bool
may_see_values(Oid relid, const AttrNumber *attnums, int n)
{
	if (check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED)
		return false;
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) == ACLCHECK_OK)
		return true;
	for (int i = 0; i < n; i++)
		if (pg_attribute_aclcheck(relid, attnums[i], GetUserId(), ACL_SELECT) !=
			ACLCHECK_OK)
			return false;
	return true;
}

static const char *
value_text(TupleTableSlot *row, AttrNumber attnum)
{
	bool isnull;
	Datum value = slot_getattr(row, attnum, &isnull);
	if (isnull)
		return "null";
	Form_pg_attribute attribute =
		TupleDescAttr(row->tts_tupleDescriptor, attnum - 1);
	Oid output;
	bool is_varlena;
	getTypeOutputInfo(attribute->atttypid, &output, &is_varlena);
	return OidOutputFunctionCall(output, value);
}

/* "account_id, " ... and "7, " ...: the scope's part of a Key (...)=(...). */
static void
scope_texts(Association *a, const char *const *scope, const char **columns,
			const char **values)
{
	StringInfoData c, v;
	initStringInfo(&c);
	initStringInfo(&v);
	for (int i = 0; i < a->nscope; i++)
	{
		appendStringInfo(&c, "%s, ", a->scope_columns[i]);
		appendStringInfo(&v, "%s, ",
						 scope != nullptr && scope[i] != nullptr ? scope[i]
																 : "null");
	}
	*columns = c.data;
	*values = v.data;
}

/* The DETAIL of a source violation (called inside the ereport). */
static int
source_violation_detail(Association *a, SourceViolation why, const char *kind,
						const char *id, const char *const *scope, Oid target,
						bool show)
{
	switch (why)
	{
		case SourceViolation::MixedNulls:
			return errdetail("MATCH FULL does not allow mixing of null and "
							 "nonnull key values.");
		case SourceViolation::UnknownKind:
			if (show)
				return errdetail(
					"Kind \"%s\" is not a declared target of association "
					"\"%s\".",
					kind, a->name);
			return errdetail(
				"The kind is not a declared target of association \"%s\".",
				a->name);
		case SourceViolation::MissingKey:
			break;
	}
	const char *target_name = get_rel_name(target);
	const char *scope_columns, *scope_values;
	scope_texts(a, scope, &scope_columns, &scope_values);
	if (show)
		return errdetail("Key (%s%s, %s)=(%s%s, %s) is not present in table "
						 "\"%s\".",
						 scope_columns,
						 get_attname(a->source, a->type_attnum, false),
						 get_attname(a->source, a->id_attnum, false),
						 scope_values, kind, id, target_name);
	return errdetail("Key is not present in table \"%s\".", target_name);
}

void
report_source_violation_text(Association *a, Relation source,
							 SourceViolation why, const char *kind,
							 const char *id, const char *const *scope,
							 Oid target, bool show)
{
	ereport(ERROR,
			(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
			 errmsg("insert or update on table \"%s\" violates foreign key "
					"constraint \"%s\"",
					RelationGetRelationName(source), a->name),
			 source_violation_detail(a, why, kind, id, scope, target, show),
			 errtableconstraint(source, a->name)));
	pg_unreachable();
}

void
report_source_violation(Association *a, Relation source, TupleTableSlot *row,
						SourceColumns columns, Kind *kind, SourceViolation why)
{
	AttrNumber *attnums = mcxt_array<AttrNumber>(a->nscope + 2);
	attnums[0] = columns.type_attnum;
	attnums[1] = columns.id_attnum;
	for (int i = 0; i < a->nscope; i++)
		attnums[i + 2] = columns.scope_attnums[i];
	bool show =
		may_see_values(RelationGetRelid(source), attnums, a->nscope + 2);
	/* Printed only when DETAIL will show them. */
	const char *kind_text = nullptr;
	const char *id_text = nullptr;
	const char **scope_text = mcxt_array0<const char *>(a->nscope + 1);
	if (show && why != SourceViolation::MixedNulls)
		kind_text = value_text(row, columns.type_attnum);
	if (show && why == SourceViolation::MissingKey)
	{
		id_text = value_text(row, columns.id_attnum);
		for (int i = 0; i < a->nscope; i++)
			scope_text[i] = value_text(row, columns.scope_attnums[i]);
	}
	report_source_violation_text(
		a, source, why, kind_text, id_text, scope_text,
		kind != nullptr ? kind->target->relid : InvalidOid, show);
}

/* "(account_id, id)=(7, 42)": the target's key, scope first. */
static const char *
target_key_text(TargetRef *target, Datum key, const Datum *scope)
{
	StringInfoData columns, values;
	initStringInfo(&columns);
	initStringInfo(&values);
	for (int i = 0; i < target->nscope; i++)
	{
		appendStringInfo(
			&columns, "%s, ",
			get_attname(target->relid, target->scope[i].attnum, false));
		appendStringInfo(
			&values, "%s, ",
			OutputFunctionCall(&target->scope[i].output, scope[i]));
	}
	return psprintf("(%s%s)=(%s%s)", columns.data,
					get_attname(target->relid, target->key_attnum, false),
					values.data, OutputFunctionCall(&target->key_output, key));
}

void
report_still_referenced(TargetRef *target, Relation target_rel, Datum key,
						const Datum *scope, bool is_restrict)
{
	Association *a = target->association;
	Relation source = table_open(a->source, AccessShareLock);
	const char *source_name = RelationGetRelationName(source);
	const char *target_name = RelationGetRelationName(target_rel);
	AttrNumber *attnums = mcxt_array<AttrNumber>(target->nscope + 1);
	attnums[0] = target->key_attnum;
	for (int i = 0; i < target->nscope; i++)
		attnums[i + 1] = target->scope[i].attnum;
	const char *key_text = nullptr;
	if (may_see_values(target->relid, attnums, target->nscope + 1))
		key_text = target_key_text(target, key, scope);
#if POLYREF_RESTRICT_VIOLATION_IS_23001
	if (is_restrict)
		ereport(ERROR,
				(errcode(ERRCODE_RESTRICT_VIOLATION),
				 errmsg("update or delete on table \"%s\" violates RESTRICT "
						"setting of foreign key constraint \"%s\" on table "
						"\"%s\"",
						target_name, a->name, source_name),
				 key_text != nullptr
					 ? errdetail("Key %s is referenced from table \"%s\".",
								 key_text, source_name)
					 : errdetail("Key is referenced from table \"%s\".",
								 source_name),
				 errtableconstraint(source, a->name)));
#else
	(void) is_restrict;
#endif
	ereport(ERROR,
			(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
			 errmsg("update or delete on table \"%s\" violates foreign key "
					"constraint \"%s\" on table \"%s\"",
					target_name, a->name, source_name),
			 key_text != nullptr
				 ? errdetail("Key %s is still referenced from table \"%s\".",
							 key_text, source_name)
				 : errdetail("Key is still referenced from table \"%s\".",
							 source_name),
			 errtableconstraint(source, a->name)));
	pg_unreachable();
}

} // namespace polyref
