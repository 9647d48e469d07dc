/*
 * join_views.hpp — the join views' upkeep, which the management functions
 * and DDL handling call (polyref.create_join_view itself is in
 * join_views.cpp).
 *
 * polyref.create_join_view records each view in polyref.config_join_view;
 * these keep the recorded views in step with their association.
 */
#pragma once

#include "pg.hpp"

namespace polyref {

/*
 * Rewrites every recorded join view of the association from its current
 * kinds (after add_target, drop_target / remove_kind, rename_kind).  A view
 * whose columns can no longer be replaced in place (the source's columns
 * changed since it was made) is dropped and made again, with its grants.
 */
void join_views_refresh(Oid source, const char *name);

/* Drops the association's recorded join views and forgets them (undeclare). */
void join_views_drop(Oid source, const char *name);

/* Forgets the recorded join views among these dropped relations (sql_drop). */
void join_views_forget(const Oid *relids, int n);

/* The association a recorded join view belongs to, or false. */
bool join_view_recorded_for(Oid view, Oid *source, char **name);

/* Records a join view of the association (create_join_view, a restore). */
void join_view_record(Oid view, Oid source, const char *name);

} // namespace polyref
