/*
 * source_check.cpp — the check of one new reference (see source_check.hpp).
 */
#include "source_check.hpp"

#include "canonical_id.hpp"
#include "pending_checks.hpp"
#include "probe.hpp"
#include "registry.hpp"
#include "report.hpp"

namespace polyref {

/*
 * Raises a violation found now.  Checks still waiting in the batch were
 * fired before this one: run them first, so that the report names the first
 * bad row in firing order, as a native check would.
 */
[[noreturn]] static void
report_now(Association *a, Relation rel, TupleTableSlot *row,
		   SourceColumns columns, Kind *kind, SourceViolation why,
		   KeyCheck when)
{
	if (when == KeyCheck::MayWait)
		pending_checks_run();
	report_source_violation(a, rel, row, columns, kind, why);
}

void
check_row_reference(Catalog *catalog, Association *a, Relation rel,
					TupleTableSlot *row, KeyCheck when,
					SubTransactionId subxact)
{
	SourceColumns columns =
		source_columns_in(catalog, a, RelationGetRelid(rel));
	bool kind_null, id_null;
	Datum kind_value = slot_getattr(row, columns.type_attnum, &kind_null);
	Datum id = slot_getattr(row, columns.id_attnum, &id_null);
	if (kind_null && id_null)
		return;
	if (kind_null || id_null)
	{
		if (a->match_simple)
			return;
		report_now(a, rel, row, columns, nullptr, SourceViolation::MixedNulls,
				   when);
	}
	/*
	 * A reference that is set needs its scope set too: MATCH FULL refuses a
	 * NULL there, MATCH SIMPLE checks nothing.
	 */
	Datum *scope = nullptr;
	if (a->nscope > 0)
	{
		scope = mcxt_array<Datum>(a->nscope);
		for (int i = 0; i < a->nscope; i++)
		{
			bool isnull;
			scope[i] = slot_getattr(row, columns.scope_attnums[i], &isnull);
			if (isnull && a->match_simple)
				return;
			if (isnull)
				report_now(a, rel, row, columns, nullptr,
						   SourceViolation::MixedNulls, when);
		}
	}
	Kind *kind = association_kind_of(a, kind_value);
	if (kind == nullptr && OidIsValid(a->kind_registry))
	{
		/* A registry row committed since the image was built? */
		Association *fresh = registry_refresh(a, &catalog);
		if (fresh != nullptr)
		{
			check_row_reference(catalog, fresh, rel, row, when, subxact);
			return;
		}
	}
	if (kind == nullptr)
		report_now(a, rel, row, columns, nullptr, SourceViolation::UnknownKind,
				   when);
	/*
	 * The registry row stays, with its label, until this transaction ends,
	 * as a native foreign key from the kind column would keep it.
	 */
	if (a->registry != nullptr && !target_has_key(a->registry, kind_value, nullptr))
	{
		Association *fresh = registry_refresh(a, &catalog);
		if (fresh != nullptr && fresh != a)
		{
			check_row_reference(catalog, fresh, rel, row, when, subxact);
			return;
		}
		report_now(a, rel, row, columns, nullptr, SourceViolation::UnknownKind,
				   when);
	}

	TargetRef *target = kind->target;
	Datum key = id;
	if (target->id_match == IdMatch::CanonicalText &&
		!canonical_key(target, id, &key))
		report_now(a, rel, row, columns, kind, SourceViolation::MissingKey,
				   when);

	if (pending_checks_add(catalog, kind, key, scope, rel, &row->tts_tid,
						   subxact))
		return;
	if (!target_has_key(target, key, scope))
		report_now(a, rel, row, columns, kind, SourceViolation::MissingKey,
				   when);
}

} // namespace polyref
