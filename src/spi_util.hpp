/*
 * spi_util.hpp — running SQL the way PostgreSQL's RI triggers do.
 *
 * Every helper here is plain data in, plain data out: nothing with a
 * destructor, so an ereport from inside SPI unwinds through them safely.
 * A failed statement aborts the (sub)transaction, which restores the user
 * and closes SPI, exactly as for native RI triggers.
 */
#pragma once

#include "pg.hpp"

namespace polyref {

/* SPI_connect and SPI_finish, raising an ERROR if either fails. */
void spi_open();
void spi_close();

/* The user and security context to come back to. */
struct UserSwitch
{
	Oid saved_user;
	int saved_context;
};

/*
 * Acts as the owner of the table a statement reads or writes: the owner's
 * rights, and every row whatever row-level security says (as ri_PerformCheck).
 */
UserSwitch become_owner(Oid owner);
void restore_user(UserSwitch saved);

/*
 * Returns body() run as owner (become_owner): the one shape every statement
 * run as a table's owner takes.  An ERROR inside body leaves the user to the
 * (sub)transaction's abort to restore, as for native RI triggers.
 */
template <typename Body>
auto
as_owner(Oid owner, Body body) -> decltype(body())
{
	UserSwitch saved = become_owner(owner);
	auto result = body();
	restore_user(saved);
	return result;
}

/*
 * SPI_execute_snapshot as owner, raising an ERROR that names what if it
 * fails; returns SPI_processed.
 */
uint64 execute_as(Oid owner, SPIPlanPtr plan, Datum *values, const char *nulls,
				  Snapshot snapshot, Snapshot crosscheck, bool read_only,
				  bool fire_triggers, long limit, const char *what);

/*
 * Prepares sql as owner, with row-level security as the owner will run it
 * (SECURITY_NOFORCE_RLS): policies are applied when a statement is
 * rewritten, so a statement must be prepared as it will be run.
 */
SPIPlanPtr prepare_as(const char *sql, int nargs, Oid *argtypes, Oid owner);

/*
 * Prepares sql as owner and keeps the plan for the backend's life (it is
 * freed with the catalog image that holds it).
 */
SPIPlanPtr prepare_kept_plan(const char *sql, int nargs, Oid *argtypes,
							 Oid owner);

/*
 * Runs a kept plan as owner and returns the number of rows it processed.
 * detect_new_rows: under REPEATABLE READ and SERIALIZABLE, read with a fresh
 * snapshot and use the transaction snapshot as crosscheck, so that a row
 * committed after the transaction began is still found and an update of a
 * row the transaction cannot see fails with a serialization error.
 * Statements it runs queue their AFTER triggers into the outer statement's
 * list (as cascades do natively).
 */
uint64 run_plan(SPIPlanPtr plan, Oid owner, Datum *values, const char *nulls,
				bool detect_new_rows, long limit);

/*
 * Runs one utility or DML statement as the given user (management functions).
 */
uint64 run_sql_as(const char *sql, Oid user);

} // namespace polyref
