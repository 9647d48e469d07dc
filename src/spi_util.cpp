/*
 * spi_util.cpp — SPI as PostgreSQL's RI triggers use it (ri_triggers.c:
 * ri_PlanCheck and ri_PerformCheck).
 */
#include "spi_util.hpp"

namespace polyref {

SpiSession
spi_open()
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "polyref: SPI_connect failed");
	return SpiSession{ true };
}

void
spi_close(SpiSession session)
{
	if (session.connected && SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "polyref: SPI_finish failed");
}

UserSwitch
become_owner(Oid owner)
{
	UserSwitch saved;
	GetUserIdAndSecContext(&saved.saved_user, &saved.saved_context);
	SetUserIdAndSecContext(owner, saved.saved_context |
									  SECURITY_LOCAL_USERID_CHANGE |
									  SECURITY_NOFORCE_RLS);
	return saved;
}

void
restore_user(UserSwitch saved)
{
	SetUserIdAndSecContext(saved.saved_user, saved.saved_context);
}

SPIPlanPtr
prepare_as(const char *sql, int nargs, Oid *argtypes, Oid owner)
{
	UserSwitch saved = become_owner(owner);
	SPIPlanPtr plan = SPI_prepare(sql, nargs, argtypes);
	restore_user(saved);
	if (plan == NULL)
		elog(ERROR, "polyref: SPI_prepare failed for \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	return plan;
}

SPIPlanPtr
prepare_kept_plan(const char *sql, int nargs, Oid *argtypes, Oid owner)
{
	/*
	 * A generic plan, always: these statements look rows up by key through
	 * an index whatever the values.  Left to choose, the plan cache keeps
	 * re-planning statements with "= ANY ($1)" for every execution, because
	 * it cannot cost the array's size.
	 */
	UserSwitch saved = become_owner(owner);
	SPIPlanPtr plan =
		SPI_prepare_cursor(sql, nargs, argtypes, CURSOR_OPT_GENERIC_PLAN);
	restore_user(saved);
	if (plan == NULL)
		elog(ERROR, "polyref: SPI_prepare failed for \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "polyref: SPI_keepplan failed");
	return plan;
}

uint64
run_plan(SPIPlanPtr plan, Oid owner, Datum *values, const char *nulls,
		 bool detect_new_rows, long limit)
{
	Snapshot test_snapshot = InvalidSnapshot;
	Snapshot crosscheck_snapshot = InvalidSnapshot;
	if (detect_new_rows && IsolationUsesXactSnapshot())
	{
		CommandCounterIncrement(); /* be sure all my own work is visible */
		test_snapshot = GetLatestSnapshot();
		crosscheck_snapshot = GetTransactionSnapshot();
	}
	UserSwitch saved = become_owner(owner);
	int rc = SPI_execute_snapshot(plan, values, nulls, test_snapshot,
								  crosscheck_snapshot, false, false, limit);
	restore_user(saved);
	if (rc < 0)
		elog(ERROR, "polyref: SPI_execute_snapshot failed: %s",
			 SPI_result_code_string(rc));
	return SPI_processed;
}

uint64
run_sql_as(const char *sql, Oid user)
{
	UserSwitch saved;
	GetUserIdAndSecContext(&saved.saved_user, &saved.saved_context);
	SetUserIdAndSecContext(user,
						   saved.saved_context | SECURITY_LOCAL_USERID_CHANGE);
	int rc = SPI_execute(sql, false, 0);
	restore_user(saved);
	if (rc < 0)
		elog(ERROR, "polyref: \"%s\" failed: %s", sql,
			 SPI_result_code_string(rc));
	return SPI_processed;
}

} // namespace polyref
