/*
 * management.hpp — the parts of the management functions that DDL handling
 * reuses (see management.cpp).
 */
#pragma once

#include "pg.hpp"

namespace polyref {

/* Removes an association and everything it installed (undeclare). */
void remove_association(Oid source, const char *name);

/*
 * Removes one kind, with a NOTICE; marks the association not validated if rows
 * of it remain.
 */
void remove_kind(Oid source, const char *name, const char *kind, Oid target);

} // namespace polyref
