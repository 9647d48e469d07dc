/*
 * boundary.cpp — the one guard every entry point (SQL-callable function or
 * hook) goes through.
 */
#include "boundary.hpp"

#include <exception>
#include <new>

namespace polyref {

template <class Body>
static auto
guarded(Body body) -> decltype(body())
{
	/*
	 * A C++ exception that flew past a PG_TRY block (in PostgreSQL code that
	 * called back into ours) would leave these pointing into dead frames.
	 */
	sigjmp_buf *saved_exception_stack = PG_exception_stack;
	ErrorContextCallback *saved_context_stack = error_context_stack;
	MemoryContext saved_memory = CurrentMemoryContext;

	/*
	 * Filled inside a catch block without allocating: nothing there may
	 * longjmp.
	 */
	static char message[256];
	bool out_of_memory = false;

	try
	{
		return body();
	}
	catch (const std::bad_alloc &)
	{
		out_of_memory = true;
	}
	catch (const std::exception &e)
	{
		strlcpy(message, e.what(), sizeof(message));
	}
	catch (...)
	{
		strlcpy(message, "unknown C++ exception", sizeof(message));
	}

	/* No C++ frame of ours is alive below this line: ereport may jump. */
	PG_exception_stack = saved_exception_stack;
	error_context_stack = saved_context_stack;
	MemoryContextSwitchTo(saved_memory);
	if (out_of_memory)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
					errmsg("polyref internal error: %s", message)));
	pg_unreachable();
}

Datum
enter_cpp(PGFunction body, FunctionCallInfo fcinfo)
{
	return guarded([=] { return body(fcinfo); });
}

void
enter_cpp(void (*body)())
{
	guarded(body);
}

} // namespace polyref
