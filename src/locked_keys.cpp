/*
 * locked_keys.cpp — an open-addressing table of locked keys (see locked_keys.hpp).
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

/* 2^17 slots of 24 bytes: 3 MB, filled to three quarters at most. */
constexpr size_t slot_count = size_t(1) << 17;
constexpr size_t max_remembered = slot_count / 4 * 3;

struct LockedKeyTable
{
	McxtVector<LockedKey> *slots;
	size_t used;
};

/* NULL until the first use in a transaction; its memory goes with the transaction. */
LockedKeyTable *table = nullptr;

size_t
slot_of(Oid target, Datum key)
{
	uint64 hash = hash_bytes_uint32_extended(target, (uint64) key);
	return (size_t) hash & (slot_count - 1);
}

LockedKeyTable *
table_for_transaction()
{
	if (table != nullptr)
		return table;
	MemoryContext memory = AllocSetContextCreate(TopTransactionContext, "polyref locked keys", ALLOCSET_DEFAULT_SIZES);
	LockedKeyTable *fresh = (LockedKeyTable *) MemoryContextAllocZero(memory, sizeof(LockedKeyTable));
	fresh->slots = make_in_context<McxtVector<LockedKey>>(memory);
	fresh->slots->resize(slot_count, LockedKey{InvalidOid, {}, 0});
	table = fresh;
	return table;
}

void
forget_on_subtransaction_abort(SubXactEvent event, SubTransactionId, SubTransactionId, void *) noexcept
{
	/* The aborted subtransaction's row locks are gone; which ones is not recorded, so forget all. */
	if (event == SUBXACT_EVENT_ABORT_SUB && table != nullptr)
	{
		for (LockedKey &slot : *table->slots)
			slot.target = InvalidOid;
		table->used = 0;
	}
}

void
forget_at_transaction_end(XactEvent event, void *) noexcept
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT || event == XACT_EVENT_PREPARE ||
	    event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT)
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
	if (table == nullptr)
		return false;
	const McxtVector<LockedKey> &slots = *table->slots;
	for (size_t i = slot_of(target, key);; i = (i + 1) & (slot_count - 1))
	{
		const LockedKey &slot = slots[i];
		if (slot.target == InvalidOid)
			return false;
		if (slot.target == target && slot.key == key)
		{
			*tid = slot.tid;
			return true;
		}
	}
}

void
locked_keys_remember(Oid target, Datum key, ItemPointer tid)
{
	LockedKeyTable *t = table_for_transaction();
	McxtVector<LockedKey> &slots = *t->slots;
	for (size_t i = slot_of(target, key);; i = (i + 1) & (slot_count - 1))
	{
		LockedKey &slot = slots[i];
		if (slot.target == target && slot.key == key)
		{
			slot.tid = *tid; /* a newer version was locked */
			return;
		}
		if (slot.target == InvalidOid)
		{
			if (t->used >= max_remembered)
				return;
			slot = LockedKey{target, *tid, key};
			t->used++;
			return;
		}
	}
}

void
locked_keys_init()
{
	RegisterSubXactCallback(forget_on_subtransaction_abort, nullptr);
	RegisterXactCallback(forget_at_transaction_end, nullptr);
}

} // namespace polyref
