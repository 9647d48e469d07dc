/*
 * source_check.hpp — the check a new reference gets (RI_FKey_check's body,
 * after its skips): MATCH FULL, a declared kind, and the key's presence in
 * the kind's target.
 */
#pragma once

#include "catalog.hpp"

namespace polyref {

enum class KeyCheck
{
	/* the key lookup may wait in the pending batch (see pending_checks.hpp) */
	MayWait,
	/*
	 * re-checking a pending check under a new catalog: requeue it with its own
	 * subtransaction
	 */
	RequeueAsOf,
};

/*
 * Checks the reference a live row version makes; rel is the source table or
 * the partition the row is in.  Raises 23503 for a NULL mix, an undeclared
 * kind or a missing key.  The lookup of the key may be left to the pending
 * batch, tagged with subxact.
 */
void check_row_reference(Catalog *catalog, Association *a, Relation rel,
						 TupleTableSlot *row, KeyCheck when,
						 SubTransactionId subxact);

} // namespace polyref
