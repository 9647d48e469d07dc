/*
 * locked_keys.cpp — an open-addressing table of locked keys (see
 * locked_keys.hpp).
 */
#include "locked_keys.hpp"

#include "memory.hpp"


namespace polyref {

namespace {

struct LockedKey
{
	Oid target; /* InvalidOid: an empty slot */
	ItemPointerData tid;
	Datum key;
};

/*
 * Starts at 256 slots (a single-row transaction pays for 6 kB) and doubles
 * at three quarters full, up to 2^17 slots of 24 bytes (3 MB, 98304 keys),
 * but only while it earns its memory: when fewer than one lookup in four
 * found its key since the table last grew, it stays as it is.  A load
 * whose keys rarely repeat within reach (uniformly random over more targets
 * than the table could hold) then keeps a few kB, and its peak memory stays
 * that of the trigger queue PostgreSQL keeps anyway.
 */
constexpr size_t initial_slots = 256;
constexpr size_t max_slots = size_t(1) << 17;

struct LockedKeyTable
{
	McxtVector<LockedKey> *slots; /* a power of two */
	size_t used;
	size_t lookups_since_growth;
	size_t hits_since_growth;
	/* keys do not repeat here: stop looking for the rest of the transaction */
	bool useless;
};

/*
 * NULL until the first use in a transaction; its memory goes with the
 * transaction.
 */
LockedKeyTable *table = nullptr;

size_t
slot_of(Oid target, Datum key, size_t nslots)
{
	uint64 hash = hash_bytes_uint32_extended(target, (uint64) key);
	return (size_t) hash & (nslots - 1);
}

/* Where (target, key) is, or the empty slot where it would go. */
LockedKey &
find_slot(McxtVector<LockedKey> &slots, Oid target, Datum key)
{
	size_t mask = slots.size() - 1;
	for (size_t i = slot_of(target, key, slots.size());; i = (i + 1) & mask)
	{
		LockedKey &slot = slots[i];
		if (slot.target == InvalidOid ||
			(slot.target == target && slot.key == key))
			return slot;
	}
}

/*
 * Doubles the table, re-inserting every key; false when it is at its largest.
 */
bool
grow(LockedKeyTable *t)
{
	size_t size = t->slots->size();
	if (size >= max_slots || t->hits_since_growth * 4 < t->lookups_since_growth)
		return false;
	t->hits_since_growth = 0;
	t->lookups_since_growth = 0;
	McxtVector<LockedKey> *bigger =
		make_in_context<McxtVector<LockedKey>>(GetMemoryChunkContext(t->slots));
	bigger->resize(size * 2, LockedKey{ InvalidOid, {}, 0 });
	for (const LockedKey &slot : *t->slots)
		if (slot.target != InvalidOid)
			find_slot(*bigger, slot.target, slot.key) = slot;
	t->slots->clear();
	t->slots->shrink_to_fit();
	t->slots = bigger;
	return true;
}

LockedKeyTable *
table_for_transaction()
{
	if (table != nullptr)
		return table;
	MemoryContext memory = AllocSetContextCreate(
		TopTransactionContext, "polyref locked keys", ALLOCSET_DEFAULT_SIZES);
	LockedKeyTable *fresh = mcxt_object0<LockedKeyTable>(memory);
	fresh->slots = make_in_context<McxtVector<LockedKey>>(memory);
	fresh->slots->resize(initial_slots, LockedKey{ InvalidOid, {}, 0 });
	table = fresh;
	return table;
}

void
forget_on_subtransaction_abort(SubXactEvent event, SubTransactionId,
							   SubTransactionId, void *) noexcept
{
	/*
	 * The aborted subtransaction's row locks are gone; which ones is not
	 * recorded, so forget all.
	 */
	if (event == SUBXACT_EVENT_ABORT_SUB && table != nullptr)
	{
		for (LockedKey &slot : *table->slots)
			slot.target = InvalidOid;
		table->used = 0;
		table->hits_since_growth = 0;
		table->lookups_since_growth = 0;
		table->useless = false;
	}
}

void
forget_at_transaction_end(XactEvent event, void *) noexcept
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PREPARE || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PARALLEL_ABORT)
		table = nullptr; /* its context is freed with TopTransactionContext */
}

} // namespace

bool
locked_keys_usable(bool key_by_value)
{
	return key_by_value && !IsolationUsesXactSnapshot();
}

bool
locked_keys_find(Oid target, Datum key, ItemPointer tid)
{
	if (table == nullptr || table->useless)
		return false;
	/*
	 * Thousands of lookups and hardly a hit: the keys of this load do not
	 * repeat within reach, and looking costs more than it saves.
	 */
	if (table->lookups_since_growth >= 4096 &&
		table->hits_since_growth * 64 < table->lookups_since_growth)
	{
		table->useless = true;
		return false;
	}
	table->lookups_since_growth++;
	const LockedKey &slot = find_slot(*table->slots, target, key);
	if (slot.target == InvalidOid)
		return false;
	table->hits_since_growth++;
	*tid = slot.tid;
	return true;
}

void
locked_keys_remember(Oid target, Datum key, ItemPointer tid)
{
	LockedKeyTable *t = table_for_transaction();
	if (t->useless)
		return;
	LockedKey *slot = &find_slot(*t->slots, target, key);
	if (slot->target == InvalidOid)
	{
		if ((t->used + 1) * 4 > t->slots->size() * 3)
		{
			if (!grow(t))
				return; /* full: stop remembering */
			slot = &find_slot(*t->slots, target, key);
		}
		t->used++;
	}
	/* A new key, or a newer version of a remembered one. */
	*slot = LockedKey{ target, *tid, key };
}

void
locked_keys_init()
{
	RegisterSubXactCallback(forget_on_subtransaction_abort, nullptr);
	RegisterXactCallback(forget_at_transaction_end, nullptr);
}

} // namespace polyref
