/*
 * module.cpp — what PostgreSQL loads: the module magic and _PG_init, which
 * only wires callbacks.
 */
#include "boundary.hpp"
#include "catalog.hpp"
#include "citus.hpp"
#include "locked_keys.hpp"
#include "pending_checks.hpp"

extern "C" {
PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);
}

void
_PG_init(void)
{
	polyref::catalog_init();
	polyref::citus_init();
	polyref::locked_keys_init();
	polyref::pending_checks_init();
}

/*
 * Statement trigger on the configuration tables: every write to them, the
 * management functions' or a pg_restore's COPY, makes every backend reload
 * its catalog image (at commit for the others, at the next command here).
 */
POLYREF_FUNCTION(polyref_invalidate_cache)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
						errmsg("function \"polyref.invalidate_cache\" was not "
							   "called by trigger manager")));
	polyref::catalog_invalidate_everywhere();
	return PointerGetDatum(NULL);
}
