/*
 * triggers.hpp — which polyref triggers a table needs, and making it so.
 *
 * On each table an association touches, polyref keeps (see the extension
 * script): a constraint trigger named after each association that touches
 * it, a polyref_actions row trigger where a target has immediate actions,
 * and a polyref_truncate statement trigger on every target.  They are
 * ordinary triggers, so pg_dump writes them after the data and a restored
 * database enforces its associations again.
 *
 * Associations of one name share the constraint trigger on a table they both
 * touch (SET CONSTRAINTS <name> acts on all of them, as for native foreign
 * keys of one name), so they must agree on deferral.
 */
#pragma once

#include "pg.hpp"

namespace polyref {

/*
 * Creates and drops polyref's triggers on relid until they match the
 * configuration.
 */
void reconcile_triggers(Oid relid);

/*
 * True while polyref itself is dropping one of its triggers (the DROP TRIGGER
 * guard lets it).
 */
bool polyref_is_dropping_its_trigger();

/* True while reconcile_triggers creates a trigger (whose arguments come from
 * the configuration). */
bool polyref_is_installing_trigger();

/* The OID of polyref.<name>() (one of the trigger functions). */
Oid polyref_function_oid(const char *name);

/*
 * After ENABLE TRIGGER ALL (or USER), which sets every trigger to fire in
 * origin mode: polyref_truncate on relid and its partitions fires ALWAYS
 * again, as polyref made it (a data-only dump made with --disable-triggers
 * ends each table's data with ENABLE TRIGGER ALL).
 */
void keep_truncate_guard_always(Oid relid);

/* Whether the configuration still needs a trigger of this name on relid. */
bool trigger_required(Oid relid, const char *trigger_name);

} // namespace polyref
