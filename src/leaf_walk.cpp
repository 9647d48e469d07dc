/*
 * leaf_walk.cpp — ascending keys found along a btree's leaf level (see
 * leaf_walk.hpp).
 *
 * The page-level rules are nbtsearch.c's: a key greater than a page's high
 * key lies to the right; entries equal to a key may continue on the right
 * sibling while the high key equals it; deleted and half-dead pages are
 * stepped over; a leaf is read under a share lock and predicate-locked as
 * _bt_readpage does.
 */
#include "leaf_walk.hpp"

#include "memory.hpp"

namespace polyref {

/*
 * The comparisons of the usual keys (integers, uuid), done in line on leaf
 * entries instead of through _bt_compare and the function manager: the same
 * results as the btree ORDER_PROC they stand for, named in the comment.
 */
enum class InlineOrder : uint8
{
	None,
	Int8,  /* btint8cmp */
	Int4,  /* btint4cmp */
	Int48, /* btint48cmp: int4 column, int8 key */
	Int84, /* btint84cmp: int8 column, int4 key */
	Uuid,  /* uuid_cmp */
};

struct LeafWalk
{
	Relation index;
	InlineOrder inline_order;
	Snapshot snapshot;
	Buffer leaf;           /* pinned, not locked, between seeks */
	BTScanInsertData key;  /* the insertion scan key of the sought key */
	ItemPointerData *tids; /* the last seek's results */
	int tids_capacity;
};

bool
leaf_walk_usable(Relation index)
{
	if (index->rd_rel->relam != BTREE_AM_OID ||
		(index->rd_indoption[0] & INDOPTION_DESC) != 0)
		return false;
	bool heapkeyspace, allequalimage;
	_bt_metaversion(index, &heapkeyspace, &allequalimage);
	return heapkeyspace;
}

LeafWalk *
leaf_walk_begin(Relation index, FmgrInfo *order, Oid subtype, Oid collation,
				Snapshot snapshot)
{
	auto *walk = mcxt_object0<LeafWalk>(CurrentMemoryContext);
	walk->index = index;
	walk->snapshot = snapshot;
	walk->leaf = InvalidBuffer;
	_bt_metaversion(index, &walk->key.heapkeyspace, &walk->key.allequalimage);
	walk->key.keysz = 1;
	int flags = index->rd_indoption[0] << SK_BT_INDOPTION_SHIFT;
	ScanKeyEntryInitializeWithInfo(&walk->key.scankeys[0], flags, 1,
								   InvalidStrategy, subtype, collation, order,
								   (Datum) 0);
	switch (order->fn_oid)
	{
		case F_BTINT8CMP:
			walk->inline_order = InlineOrder::Int8;
			break;
		case F_BTINT4CMP:
			walk->inline_order = InlineOrder::Int4;
			break;
		case F_BTINT48CMP:
			walk->inline_order = InlineOrder::Int48;
			break;
		case F_BTINT84CMP:
			walk->inline_order = InlineOrder::Int84;
			break;
		case F_UUID_CMP:
			walk->inline_order = InlineOrder::Uuid;
			break;
		default:
			walk->inline_order = InlineOrder::None;
			break;
	}
	walk->tids_capacity = 4;
	walk->tids = mcxt_array<ItemPointerData>(walk->tids_capacity);
	return walk;
}

namespace {

/* The leaf, share-locked, after the checks of a page newly arrived at. */
Page
arrive(LeafWalk *walk)
{
	Page page = BufferGetPage(walk->leaf);
	polyref_test_for_old_snapshot(walk->snapshot, walk->index, page);
	PredicateLockPage(walk->index, BufferGetBlockNumber(walk->leaf),
					  walk->snapshot);
	return page;
}

/* Does the sought key lie beyond the page (right of its high key)? */
bool
beyond(LeafWalk *walk, Page page)
{
	BTPageOpaque opaque = BTPageGetOpaque(page);
	return P_IGNORE(opaque) ||
		   (!P_RIGHTMOST(opaque) &&
			_bt_compare(walk->index, &walk->key, page, P_HIKEY) > 0);
}

/*
 * Share-locks the leaf the sought key belongs on: the one the last key was
 * on, its right sibling, or failing both, the one a descent from the root
 * finds.  False for an empty index.
 */
bool
lock_leaf(LeafWalk *walk)
{
	if (BufferIsValid(walk->leaf))
	{
		_bt_lockbuf(walk->index, walk->leaf, BT_READ);
		Page page = BufferGetPage(walk->leaf);
		if (!beyond(walk, page))
			return true;
		/* Sorted keys are dense more often than not: one step right. */
		BTPageOpaque opaque = BTPageGetOpaque(page);
		if (!P_RIGHTMOST(opaque))
		{
			walk->leaf = _bt_relandgetbuf(walk->index, walk->leaf,
										  opaque->btpo_next, BT_READ);
			page = arrive(walk);
			if (!beyond(walk, page))
				return true;
		}
		_bt_relbuf(walk->index, walk->leaf);
		walk->leaf = InvalidBuffer;
	}
	polyref_bt_search_leaf(walk->index, &walk->key, &walk->leaf,
						   walk->snapshot);
	if (!BufferIsValid(walk->leaf))
	{
		PredicateLockRelation(walk->index, walk->snapshot);
		return false;
	}
	arrive(walk);
	return true;
}

template <typename T>
int
order_of(T key, T entry)
{
	return key < entry ? -1 : key > entry ? 1 : 0;
}

/*
 * The sought key against the leaf entry at offset (not the high key), as
 * _bt_compare would give it.
 */
int
compare_entry(LeafWalk *walk, Page page, OffsetNumber offset)
{
	IndexTuple tuple =
		(IndexTuple) PageGetItem(page, PageGetItemId(page, offset));
	if (walk->inline_order == InlineOrder::None || IndexTupleHasNulls(tuple))
		return _bt_compare(walk->index, &walk->key, page, offset);
	const char *value =
		(const char *) tuple + IndexInfoFindDataOffset(tuple->t_info);
	Datum key = walk->key.scankeys[0].sk_argument;
	int64 entry8;
	int32 entry4;
	switch (walk->inline_order)
	{
		case InlineOrder::Int8:
			memcpy(&entry8, value, sizeof(entry8));
			return order_of<int64>(DatumGetInt64(key), entry8);
		case InlineOrder::Int84:
			memcpy(&entry8, value, sizeof(entry8));
			return order_of<int64>(DatumGetInt32(key), entry8);
		case InlineOrder::Int4:
			memcpy(&entry4, value, sizeof(entry4));
			return order_of<int32>(DatumGetInt32(key), entry4);
		case InlineOrder::Int48:
			memcpy(&entry4, value, sizeof(entry4));
			return order_of<int64>(DatumGetInt64(key), entry4);
		case InlineOrder::Uuid:
		{
			int order = memcmp(DatumGetPointer(key), value, UUID_LEN);
			return order < 0 ? -1 : order > 0 ? 1 : 0;
		}
		case InlineOrder::None:
			break;
	}
	pg_unreachable();
}

/* The first offset on the page whose entry is not below the sought key. */
OffsetNumber
first_not_below(LeafWalk *walk, Page page)
{
	OffsetNumber low = P_FIRSTDATAKEY(BTPageGetOpaque(page));
	OffsetNumber high = PageGetMaxOffsetNumber(page) + 1;
	while (low < high)
	{
		OffsetNumber middle = low + (high - low) / 2;
		if (compare_entry(walk, page, middle) > 0)
			low = middle + 1;
		else
			high = middle;
	}
	return low;
}

void
add_tid(LeafWalk *walk, int *n, ItemPointer tid)
{
	if (*n == walk->tids_capacity)
	{
		walk->tids_capacity *= 2;
		walk->tids = static_cast<ItemPointerData *>(repalloc(
			walk->tids, walk->tids_capacity * sizeof(ItemPointerData)));
	}
	walk->tids[(*n)++] = *tid;
}

/*
 * Adds the TIDs of the entries from offset on that equal the sought key;
 * true when they may go on past the page's last entry.
 */
bool
collect_equal(LeafWalk *walk, Page page, OffsetNumber offset, int *n)
{
	OffsetNumber last = PageGetMaxOffsetNumber(page);
	for (; offset <= last; offset++)
	{
		if (compare_entry(walk, page, offset) != 0)
			return false;
		ItemId item = PageGetItemId(page, offset);
		if (ItemIdIsDead(item))
			continue; /* known dead to every snapshot, as btgettuple skips */
		IndexTuple tuple = (IndexTuple) PageGetItem(page, item);
		if (BTreeTupleIsPosting(tuple))
			for (int i = 0; i < BTreeTupleGetNPosting(tuple); i++)
				add_tid(walk, n, BTreeTupleGetPostingN(tuple, i));
		else
			add_tid(walk, n, &tuple->t_tid);
	}
	BTPageOpaque opaque = BTPageGetOpaque(page);
	return !P_RIGHTMOST(opaque) &&
		   _bt_compare(walk->index, &walk->key, page, P_HIKEY) == 0;
}

} // namespace

int
leaf_walk_seek(LeafWalk *walk, Datum key, ItemPointer *tids)
{
	walk->key.scankeys[0].sk_argument = key;
	int n = 0;
	*tids = walk->tids;
	if (!lock_leaf(walk))
		return 0;
	Page page = BufferGetPage(walk->leaf);
	OffsetNumber offset = first_not_below(walk, page);
	/* Versions of one key may spread over several pages: go on right. */
	while (collect_equal(walk, page, offset, &n))
	{
		do
		{
			BTPageOpaque opaque = BTPageGetOpaque(page);
			walk->leaf = _bt_relandgetbuf(walk->index, walk->leaf,
										  opaque->btpo_next, BT_READ);
			page = arrive(walk);
			/* a deleted or half-dead page has nothing but its right link */
		} while (P_IGNORE(BTPageGetOpaque(page)) &&
				 !P_RIGHTMOST(BTPageGetOpaque(page)));
		if (P_IGNORE(BTPageGetOpaque(page)))
			break;
		offset = P_FIRSTDATAKEY(BTPageGetOpaque(page));
	}
	_bt_unlockbuf(walk->index, walk->leaf);
	*tids = walk->tids;
	return n;
}

void
leaf_walk_set_snapshot(LeafWalk *walk, Snapshot snapshot)
{
	walk->snapshot = snapshot;
}

void
leaf_walk_release(LeafWalk *walk)
{
	if (BufferIsValid(walk->leaf))
		ReleaseBuffer(walk->leaf);
	walk->leaf = InvalidBuffer;
}

void
leaf_walk_end(LeafWalk *walk)
{
	leaf_walk_release(walk);
	pfree(walk->tids);
	pfree(walk);
}

} // namespace polyref
