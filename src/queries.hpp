/*
 * queries.hpp — the SQL polyref runs to enforce an association, and the
 * kept plans for it.
 *
 * Like ri_triggers.c, every table is schema-qualified, every identifier
 * quoted and every operator written OPERATOR(schema.name), so nothing a user
 * puts on search_path can change what runs.  A plan is prepared on first use
 * and re-prepared, from freshly built text, when PostgreSQL reports it stale
 * (a table or schema was renamed, say).
 */
#pragma once

#include "catalog.hpp"

namespace polyref {

/*
 * Plans on the target table (KeptPlan::LookupKey, KeyExists).  $1: the id
 * (or the parsed key), then a scoped association's scope values, as the
 * source holds them (LookupKey) or as the target does (KeyExists).
 */
SPIPlanPtr lookup_key_plan(TargetRef *target);
SPIPlanPtr key_exists_plan(TargetRef *target); /* $1: a key */

/*
 * Statements on the source table: which is KeptPlan::Referencing or one of
 * the kept plans after it.  Parameters: $1 the kinds that point at this target
 * (in the kind column's type), $2 the old key (CanonicalText: its text form),
 * $3 the kind labels as text[] (used by Citext kind columns), $4 the new key
 * (CascadeUpdate); for a scoped association, $5 ... the old row's scope
 * values, then (CascadeUpdate) the new row's.
 */
SPIPlanPtr source_plan(TargetRef *target, KeptPlan which);

/*
 * The values for source_plan; keys and scopes may be NULL when unused.
 */
Datum *source_plan_params(TargetRef *target, const Datum *old_key,
						  const Datum *old_scope, const Datum *new_key,
						  const Datum *new_scope);

} // namespace polyref
