/*
 * report.cpp — native-shaped 23503 reports (after ri_ReportViolation).
 */
#include "report.hpp"

namespace polyref {

/*
 * May the current user see these columns' values?  (ri_ReportViolation's rule.)
 */
static bool
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

void
report_source_violation(Association *a, Relation source, TupleTableSlot *row,
						SourceColumns columns, Kind *kind, SourceViolation why)
{
	const char *source_name = RelationGetRelationName(source);
	AttrNumber attnums[2] = { columns.type_attnum, columns.id_attnum };
	bool show = may_see_values(RelationGetRelid(source), attnums, 2);
	const char *type_column = get_attname(a->source, a->type_attnum, false);
	const char *id_column = get_attname(a->source, a->id_attnum, false);

	if (why == SourceViolation::MixedNulls)
		ereport(ERROR, (errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
						errmsg("insert or update on table \"%s\" violates "
							   "foreign key constraint \"%s\"",
							   source_name, a->name),
						errdetail("MATCH FULL does not allow mixing of null "
								  "and nonnull key values."),
						errtableconstraint(source, a->name)));
	if (why == SourceViolation::UnknownKind)
	{
		if (show)
			ereport(ERROR,
					(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
					 errmsg("insert or update on table \"%s\" violates foreign "
							"key constraint \"%s\"",
							source_name, a->name),
					 errdetail("Kind \"%s\" is not a declared target of "
							   "association \"%s\".",
							   value_text(row, columns.type_attnum), a->name),
					 errtableconstraint(source, a->name)));
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("insert or update on table \"%s\" violates foreign key "
						"constraint \"%s\"",
						source_name, a->name),
				 errdetail(
					 "The kind is not a declared target of association \"%s\".",
					 a->name),
				 errtableconstraint(source, a->name)));
	}
	const char *target_name = get_rel_name(kind->target->relid);
	if (show)
		ereport(
			ERROR,
			(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
			 errmsg("insert or update on table \"%s\" violates foreign key "
					"constraint \"%s\"",
					source_name, a->name),
			 errdetail("Key (%s, %s)=(%s, %s) is not present in table \"%s\".",
					   type_column, id_column,
					   value_text(row, columns.type_attnum),
					   value_text(row, columns.id_attnum), target_name),
			 errtableconstraint(source, a->name)));
	ereport(ERROR,
			(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
			 errmsg("insert or update on table \"%s\" violates foreign key "
					"constraint \"%s\"",
					source_name, a->name),
			 errdetail("Key is not present in table \"%s\".", target_name),
			 errtableconstraint(source, a->name)));
	pg_unreachable();
}

void
report_still_referenced(TargetRef *target, Relation target_rel, Datum key)
{
	Association *a = target->association;
	Relation source = table_open(a->source, AccessShareLock);
	const char *source_name = RelationGetRelationName(source);
	const char *target_name = RelationGetRelationName(target_rel);
	AttrNumber key_attnum = target->key_attnum;
	if (may_see_values(target->relid, &key_attnum, 1))
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("update or delete on table \"%s\" violates foreign key "
						"constraint \"%s\" on table \"%s\"",
						target_name, a->name, source_name),
				 errdetail(
					 "Key (%s)=(%s) is still referenced from table \"%s\".",
					 get_attname(target->relid, target->key_attnum, false),
					 OutputFunctionCall(&target->key_output, key), source_name),
				 errtableconstraint(source, a->name)));
	ereport(ERROR, (errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
					errmsg("update or delete on table \"%s\" violates foreign "
						   "key constraint \"%s\" on table \"%s\"",
						   target_name, a->name, source_name),
					errdetail("Key is still referenced from table \"%s\".",
							  source_name),
					errtableconstraint(source, a->name)));
	pg_unreachable();
}

} // namespace polyref
