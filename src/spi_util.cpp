/*
 * spi_util.cpp — SPI as PostgreSQL's RI triggers use it (ri_triggers.c:
 * ri_PlanCheck and ri_PerformCheck).
 */
#include "spi_util.hpp"

namespace polyref {

void
spi_open()
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "polyref: SPI_connect failed");
}

void
spi_close()
{
	if (SPI_finish() != SPI_OK_FINISH)
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
	SPIPlanPtr plan =
		as_owner(owner, [&] { return SPI_prepare(sql, nargs, argtypes); });
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
	SPIPlanPtr plan = as_owner(owner, [&] {
		return SPI_prepare_cursor(sql, nargs, argtypes,
								  CURSOR_OPT_GENERIC_PLAN);
	});
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
	return execute_as(owner, plan, values, nulls, test_snapshot,
					  crosscheck_snapshot, false, false, limit,
					  "SPI_execute_snapshot");
}

uint64
execute_as(Oid owner, SPIPlanPtr plan, Datum *values, const char *nulls,
		   Snapshot snapshot, Snapshot crosscheck, bool read_only,
		   bool fire_triggers, long limit, const char *what)
{
	int rc = as_owner(owner, [&] {
		return SPI_execute_snapshot(plan, values, nulls, snapshot, crosscheck,
									read_only, fire_triggers, limit);
	});
	if (rc < 0)
		elog(ERROR, "polyref: %s failed: %s", what, SPI_result_code_string(rc));
	return SPI_processed;
}

uint64
run_sql_as(const char *sql, Oid user)
{
	/* As the user, row-level security and all: not become_owner. */
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
