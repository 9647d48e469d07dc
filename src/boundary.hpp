/*
 * boundary.hpp — where PostgreSQL's C world and polyref's C++ meet.
 *
 * PostgreSQL reports errors with siglongjmp; C++ reports them with
 * exceptions.  Neither may cross into the other's frames:
 *
 *  - An ereport(ERROR) must never jump over a C++ frame that owns an object
 *    with a destructor.  polyref's code keeps such objects out of every frame
 *    that calls PostgreSQL: its containers live in MemoryContexts and are
 *    reached through plain pointers (see memory.hpp), so a longjmp through
 *    polyref's frames skips nothing.
 *  - A C++ exception (bad_alloc from a container, say) must never reach
 *    PostgreSQL's C code.  Every SQL-callable function is defined with
 *    POLYREF_FUNCTION, whose body runs inside enter_cpp(): the exception is
 *    caught there, every C++ frame is gone, and only then is it raised as an
 *    ordinary PostgreSQL ERROR.
 *
 * Hooks that run polyref's work (the end of a statement, of a utility
 * command, of a transaction: see pending_checks.cpp) go through the same
 * guard with enter_cpp(body).  Callbacks that only reset state (cache
 * invalidation, transaction end) are declared noexcept and do nothing that
 * can throw.
 */
#pragma once

#include "pg.hpp"

namespace polyref {

/* Runs body(fcinfo); a C++ exception that escapes it becomes an ERROR. */
Datum enter_cpp(PGFunction body, FunctionCallInfo fcinfo);

/*
 * The same for a hook's work: runs body(); an escaping C++ exception becomes an
 * ERROR.
 */
void enter_cpp(void (*body)());

} // namespace polyref

/*
 * POLYREF_FUNCTION(polyref_declare) { ... } defines the C entry point
 * polyref_declare (found by dlsym, so C linkage) and a C++ body that runs
 * behind the boundary.
 */
#define POLYREF_FUNCTION(c_name)                          \
	extern "C" {                                          \
	PG_FUNCTION_INFO_V1(c_name);                          \
	}                                                     \
	static Datum c_name##_body(PG_FUNCTION_ARGS);         \
	Datum c_name(PG_FUNCTION_ARGS)                        \
	{                                                     \
		return polyref::enter_cpp(c_name##_body, fcinfo); \
	}                                                     \
	static Datum c_name##_body(PG_FUNCTION_ARGS)
