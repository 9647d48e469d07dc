/*
 * validation.hpp — checking every existing row of an association at once.
 *
 * As ALTER TABLE ... VALIDATE CONSTRAINT does (RI_Initial_Check): one query
 * for rows whose kind is NULL on one side only or not declared, then one
 * anti-join per target table, read with the latest snapshot.  The anti-join
 * runs as the source's owner when that role may read the whole target;
 * otherwise each row's key is probed as the target's owner.
 */
#pragma once

#include "catalog.hpp"

namespace polyref {

/*
 * Finds rows of the association that violate it (at most limit, 0 for all).
 * only_kind: restrict to the rows of one kind (add_target), or NULL.
 * Each violation is passed to found(tableoid, ctid, kind, id, target, context);
 * target is InvalidOid for rows with an undeclared kind or a half-NULL pair.
 */
using ViolationSink = void (*)(Datum tableoid, Datum ctid, const char *kind, const char *id, Oid target,
                               void *context);
uint64 find_violations(Association *a, const char *only_kind, long limit, ViolationSink found, void *context);

/* Raises the 23503 of the first violating row, if any (declare, add_target, validate). */
void validate_rows(Association *a, const char *only_kind);

} // namespace polyref
