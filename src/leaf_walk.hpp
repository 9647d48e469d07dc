/*
 * leaf_walk.hpp — the entries of ascending keys in a btree, found along its
 * leaf level.
 *
 * A batch of source checks probes a target's unique index for many keys,
 * sorted.  Looking each up from the root (an index scan rescanned per key)
 * spends most of a check's instructions descending the tree again to the
 * leaf page the last key was found on.  A walk instead stays on that leaf:
 * the next key is searched for on the same page, and the tree is descended
 * again only when the key lies beyond the page's high key.  PostgreSQL 17's
 * nbtree does the same for "= ANY" scans (array key advancement); this is
 * the single-column, equality-only case, for every major.
 *
 * What the walk gives is what btgettuple would: the heap TIDs of the live
 * index entries equal to the key (LP_DEAD entries skipped, posting lists
 * expanded), read under a share lock on the leaf, with the predicate lock
 * on each leaf page a serializable scan takes there.  The caller checks
 * the heap, as index_getnext_slot does after btgettuple.  Between calls the
 * walk keeps only a pin on its leaf, never a lock; leaf_walk_release drops
 * even that (before a row lock wait, so no VACUUM waits behind it).
 *
 * Usable for a btree whose first column is the key and whose tuples carry
 * heap TIDs as a key column (version 4, PostgreSQL 12 on: leaf_walk_usable).
 */
#pragma once

#include "pg.hpp"

namespace polyref {

struct LeafWalk;

/* Whether index (open) can be walked: a version 4 btree. */
bool leaf_walk_usable(Relation index);

/*
 * A walk over index's leaf level, comparing keys of type subtype with the
 * btree ordering function order (index column type, subtype), under
 * collation; allocated in the current memory context.
 */
LeafWalk *leaf_walk_begin(Relation index, FmgrInfo *order, Oid subtype,
						  Oid collation, Snapshot snapshot);

/*
 * The heap TIDs of the entries equal to key, into *tids (valid until the
 * next call); returns how many.  key must not be below the previous key.
 */
int leaf_walk_seek(LeafWalk *walk, Datum key, ItemPointer *tids);

/* A new snapshot for the predicate locks and the old-snapshot test. */
void leaf_walk_set_snapshot(LeafWalk *walk, Snapshot snapshot);

/* Drops the pin on the current leaf; the next seek descends from the root. */
void leaf_walk_release(LeafWalk *walk);

/* Releases the walk's buffer pin and memory. */
void leaf_walk_end(LeafWalk *walk);

} // namespace polyref
