/*
 * arguments.hpp — checking the arguments of SQL-callable functions.
 *
 * polyref's functions are not STRICT: a NULL where a value is required is
 * answered with 22004 naming the argument, and a table that no longer
 * exists with 42P01.
 */
#pragma once

#include "pg.hpp"

namespace polyref {

/* 22004 when argument argno is NULL. */
void require_argument(FunctionCallInfo fcinfo, int argno, const char *argname);

char *text_argument(FunctionCallInfo fcinfo, int argno);
char *name_argument(FunctionCallInfo fcinfo, int argno);

/*
 * 25006 in a read-only transaction or on a hot standby, as for the ALTER
 * TABLE a declaration stands for; called before any lock is taken.
 */
void require_writable_transaction(FunctionCallInfo fcinfo);

/*
 * The elements of a one-dimensional array (22023 for more dimensions);
 * nulls[i] tells which are NULL.
 */
Datum *array_elements(ArrayType *array, const char *argname, Oid element_type,
					  bool **nulls, int *n);

/*
 * A one-dimensional array of values of element_type (a query parameter, say).
 */
Datum make_array(const Datum *values, int n, Oid element_type);

/*
 * 42P01 unless relid names an existing relation (a regclass may outlive its
 * table).
 */
Oid existing_relation(Oid relid);

} // namespace polyref
