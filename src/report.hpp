/*
 * report.hpp — violations, raised in the words of native foreign keys.
 *
 * ORMs parse these: SQLSTATE 23503, "violates foreign key constraint "<name>"",
 * and the schema/table/constraint error fields (errtableconstraint), with
 * the referencing table as the table and the association as the constraint.
 * As natively, key values are left out of DETAIL when the user may not
 * SELECT them.
 */
#pragma once

#include "catalog.hpp"

namespace polyref {

enum class SourceViolation
{
	/* one of kind and id is NULL, or a scope column of a set reference */
	MixedNulls,
	UnknownKind, /* the kind is not declared */
	MissingKey,  /* the kind's target has no row with that key */
};

/*
 * May the current user see these columns' values?  (ri_ReportViolation's
 * rule: no row-level security on the table, and SELECT on it or on each of
 * the columns.)
 */
bool may_see_values(Oid relid, const AttrNumber *attnums, int n);

/*
 * INSERT or UPDATE on the source (the table or a partition, columns as found
 * there) left a dangling reference.
 */
[[noreturn]] void report_source_violation(Association *a, Relation source,
										  TupleTableSlot *row,
										  SourceColumns columns, Kind *kind,
										  SourceViolation why);

/*
 * The same from the text of the row's kind, id and scope values (a->nscope
 * of them, in scope_columns order; NULL when unscoped), as validation reads
 * them (any NULL for MixedNulls); target names the kind's table for
 * MissingKey; show: whether DETAIL may name the values.
 */
[[noreturn]] void report_source_violation_text(Association *a, Relation source,
											   SourceViolation why,
											   const char *kind, const char *id,
											   const char *const *scope,
											   Oid target, bool show);

/*
 * DELETE or UPDATE of a target key (with its scope values, target->nscope of
 * them) that rows of the source still reference.
 */
[[noreturn]] void report_still_referenced(TargetRef *target,
										  Relation target_rel, Datum key,
										  const Datum *scope, bool is_restrict);

} // namespace polyref
