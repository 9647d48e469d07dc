/*
 * locked_keys.hpp — keys this transaction has already found and locked.
 *
 * A bulk load references the same targets again and again.  Once a check has
 * locked a target row FOR KEY SHARE, no other transaction can delete it or
 * change its key until this one ends; so a later check of the same key only
 * needs to see that the row it locked is still there.  That is a fetch by
 * TID instead of an index descent.
 *
 * Kept exact, never weaker than a fresh probe:
 *  - READ COMMITTED only.  Under REPEATABLE READ a fresh probe of a row that
 *    another transaction updated (even a non-key column) raises a
 *    serialization failure, as a native check does; a remembered key would not.
 *  - A hit is re-verified: the remembered version must be visible to the
 *    statement's snapshot and still hold the key, so this transaction's own
 *    deletes and key updates (even with the target's triggers disabled) fall
 *    back to a full probe.
 *  - A subtransaction abort releases the locks it took: everything is
 *    forgotten then.  Transaction end frees the table with its context.
 *  - Bounded: it starts small and grows to at most 98304 keys (3 MB), and
 *    only while keys are found again often enough to pay for the memory.
 *    Only keys of pass-by-value types (integers, the usual ids) are kept.
 *
 * The table lives in a Boost.Container vector drawn from a child of
 * TopTransactionContext, so nothing outlives the transaction.
 */
#pragma once

#include "pg.hpp"

namespace polyref {

/* May keys of this type be remembered now? */
bool locked_keys_usable(bool key_by_value);

/*
 * The TID of the row version that was locked for (target, key), if remembered.
 */
bool locked_keys_find(Oid target, Datum key, ItemPointer tid);

void locked_keys_remember(Oid target, Datum key, ItemPointer tid);

/* Registers the transaction callbacks (from _PG_init). */
void locked_keys_init();

} // namespace polyref
