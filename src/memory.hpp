/*
 * memory.hpp — Boost.Container allocators that draw from a MemoryContext.
 *
 * A container built with McxtAllocator lives exactly as long as its
 * MemoryContext: polyref places the container object itself in the context
 * (new (palloc) ...) and never runs its destructor; deleting or resetting the
 * context frees everything at once.  That is what keeps a longjmp from
 * skipping a destructor, and what keeps a per-transaction batch from
 * outliving its transaction.
 */
#pragma once

#include "pg.hpp"

#include <boost/container/flat_map.hpp>
#include <boost/container/vector.hpp>

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace polyref {

/*
 * What lives in a MemoryContext is freed with it and never destroyed: a
 * destructor would not run (and a longjmp would skip it anyway).  So every
 * type placed there must be trivially destructible; the helpers below and
 * the allocator make the compiler refuse any other (a std::string member,
 * say) instead of leaking or corrupting at run time.
 */
template <class T>
constexpr void
assert_context_safe()
{
	static_assert(std::is_trivially_destructible<T>::value,
				  "objects in a MemoryContext are never destroyed: their type "
				  "must be trivially destructible");
}

/*
 * n objects of T, uninitialized, in context: palloc with the check above.
 * (Not named palloc_array: PostgreSQL's is a macro without it.)
 */
template <class T>
T *
mcxt_array(size_t n, MemoryContext context = CurrentMemoryContext)
{
	assert_context_safe<T>();
	return static_cast<T *>(MemoryContextAlloc(context, sizeof(T) * n));
}

/* n objects of T, zeroed, in context. */
template <class T>
T *
mcxt_array0(size_t n, MemoryContext context = CurrentMemoryContext)
{
	assert_context_safe<T>();
	return static_cast<T *>(MemoryContextAllocZero(context, sizeof(T) * n));
}

template <class T>
T *
mcxt_object(MemoryContext context = CurrentMemoryContext)
{
	return mcxt_array<T>(1, context);
}

template <class T>
T *
mcxt_object0(MemoryContext context = CurrentMemoryContext)
{
	return mcxt_array0<T>(1, context);
}

template <class T>
struct McxtAllocator
{
	/* The elements of a container in a context are never destroyed either. */
	static_assert(std::is_trivially_destructible<T>::value,
				  "a container in a MemoryContext never destroys its elements: "
				  "their type must be trivially destructible");

	using value_type = T;
	using propagate_on_container_copy_assignment = std::true_type;
	using propagate_on_container_move_assignment = std::true_type;
	using propagate_on_container_swap = std::true_type;

	MemoryContext context;

	explicit McxtAllocator(MemoryContext c) noexcept : context(c)
	{}
	template <class U>
	McxtAllocator(const McxtAllocator<U> &other) noexcept
		: context(other.context)
	{}

	/*
	 * palloc would longjmp out of a half-done reallocation inside the
	 * container; ask for NULL instead and throw, which the boundary turns
	 * into an ordinary "out of memory" ERROR.
	 */
	T *allocate(std::size_t n)
	{
		if (n > MaxAllocSize / sizeof(T))
			throw std::bad_alloc();
		void *p = MemoryContextAllocExtended(context, n * sizeof(T),
											 MCXT_ALLOC_NO_OOM);
		if (p == nullptr)
			throw std::bad_alloc();
		return static_cast<T *>(p);
	}
	void deallocate(T *p, std::size_t) noexcept
	{
		pfree(p);
	}

	template <class U>
	bool operator==(const McxtAllocator<U> &other) const noexcept
	{
		return context == other.context;
	}
	template <class U>
	bool operator!=(const McxtAllocator<U> &other) const noexcept
	{
		return context != other.context;
	}
};

template <class T>
using McxtVector = boost::container::vector<T, McxtAllocator<T>>;

template <class K, class V, class Less = std::less<K>>
using McxtFlatMap =
	boost::container::flat_map<K, V, Less, McxtAllocator<std::pair<K, V>>>;

/*
 * Builds a container object inside its own context; it is never destroyed
 * (its elements are checked by McxtAllocator, and what it owns is in the
 * context).
 */
template <class Container>
Container *
make_in_context(MemoryContext context)
{
	void *place = MemoryContextAlloc(context, sizeof(Container));
	return new (place) Container(typename Container::allocator_type(context));
}

} // namespace polyref
