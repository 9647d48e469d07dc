/*
 * validation.hpp — checking every existing row of an association at once.
 *
 * As ALTER TABLE ... VALIDATE CONSTRAINT does (RI_Initial_Check): one query
 * for rows whose kind is NULL on one side only or not declared, then one
 * anti-join per target table, read with the latest snapshot.  Per target
 * rather than one anti-join against all targets at once: each then reads
 * its kinds' range of the (type, id) index, often without touching the
 * table, against the target's key.  The anti-join
 * runs as the source's owner when that role may read the whole target;
 * otherwise each row's key is probed as the target's owner.
 */
#pragma once

#include "catalog.hpp"

namespace polyref {

/* Which rows to look at; the default is every row of the association. */
struct ViolationScope
{
	const char *only_kind = nullptr; /* the rows of one kind (add_target) */
	/* the rows pointing at one target (TRUNCATE, DETACH) */
	TargetRef *only_target = nullptr;
	/* one partition of the source (ATTACH) */
	Oid scan_relid = InvalidOid;
	/* false: the sink ignores tableoid and ctid */
	bool need_row_address = true;
};

/*
 * Finds rows of the association that violate it (at most limit, 0 for all).
 * Each violation is passed to found(tableoid, ctid, kind, id, scope, target,
 * context), scope being the text of a scoped association's scope values
 * (a->nscope of them, each NULL when NULL; NULL when unscoped); target is
 * InvalidOid for rows with an undeclared kind or a NULL mix (a half-NULL
 * pair, or a set pair with a NULL scope).
 */
using ViolationSink = void (*)(Datum tableoid, Datum ctid, const char *kind,
							   const char *id, const char *const *scope,
							   Oid target, void *context);
uint64 find_violations(Association *a, const ViolationScope &scope, long limit,
					   ViolationSink found, void *context);

/*
 * Raises the 23503 of the first violating row, if any (declare, add_target,
 * validate, ATTACH).
 */
void validate_rows(Association *a, const ViolationScope &scope);

} // namespace polyref
