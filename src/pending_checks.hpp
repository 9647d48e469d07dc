/*
 * pending_checks.hpp — checks of new references that wait for the end of
 * the trigger firing cycle, then run together.
 *
 * A bulk INSERT or COPY fires one check per row, and each alone opens the
 * target and its key index, takes a snapshot and descends the index.  Held
 * back, sorted and de-duplicated, a batch of them becomes one pass over
 * the index (probe_sorted_keys): the same snapshot rules and FOR KEY SHARE
 * locks, one setup per batch, each repeated key probed once, and each
 * descent finding the pages of the one before in the CPU's caches.
 *
 * When a batch runs: always after the triggers that queued its checks have
 * fired, and before anything could observe the difference.
 *  - when it is full (batch_capacity checks);
 *  - at the end of each statement: after ExecutorFinish, which fires the
 *    statement's AFTER triggers, and after every utility command (COPY, SET
 *    CONSTRAINTS ... IMMEDIATE);
 *  - before polyref acts on the target side (NO ACTION, RESTRICT, the
 *    cascades) and before it raises a violation found at once, so that the
 *    checks keep native firing order;
 *  - at the latest at PRE_COMMIT or PRE_PREPARE, which come right after
 *    PostgreSQL fired the deferred triggers;
 *  - in the transaction that loaded polyref, also at every ExecutorEnd: the
 *    statement that loaded it began before the hooks above existed (a
 *    utility statement that loaded it checks at once instead).
 *
 * The defects that had batching pulled from PostgreSQL 19 are designed out:
 *  - Subtransactions.  Each check carries the subtransaction that fired it.
 *    A run takes only the current subtransaction's checks and those of the
 *    subtransactions it committed, never an ancestor's, so a violation is
 *    raised where the firing statement's exception handler sees it.  An
 *    aborted subtransaction takes its checks with it (PostgreSQL fires
 *    those events again if they are still due).
 *  - Re-entry.  While a batch runs, nothing joins it: a check fired then
 *    (only possible through user code in an SPI lookup) runs at once, and a
 *    statement ending inside the run does not start another.
 *  - Loss.  A check leaves the batch only once it ran, or when its
 *    subtransaction aborted; PRE_COMMIT runs whatever is left.
 *  - Staleness.  A check carries the catalog image it was made under; if
 *    the configuration changed since, it is made again from its row under
 *    the current image.
 * Under READ COMMITTED a lock wait during the run refreshes the snapshot for
 * the keys after it, as the next native check would take its own
 * (probe_sorted_keys).  A key still missing is reported only if the row that
 * needs it is still the live version, as the trigger tested when it fired;
 * the first such row in firing order is the one named.
 *
 * The batch is a Boost.Container vector in a child of TopTransactionContext.
 */
#pragma once

#include "catalog.hpp"

namespace polyref {

/*
 * Adds the check that key (with the scope values of a scoped association,
 * else NULL) is present in kind's target, for the row version
 * at tid in source (the table or a partition), fired in subtransaction
 * subxact.  False when the check must run now instead: the target cannot
 * be probed in a batch, a batch is running, or this is the utility statement
 * (COPY) that loaded polyref, whose end no hook sees.
 */
bool pending_checks_add(Catalog *catalog, Kind *kind, Datum key,
						const Datum *scope, Relation source, ItemPointer tid,
						SubTransactionId subxact);

/*
 * Runs the pending checks of the current subtransaction and of those it
 * committed.
 */
void pending_checks_run();

/* Installs the hooks and transaction callbacks (from _PG_init). */
void pending_checks_init();

} // namespace polyref
