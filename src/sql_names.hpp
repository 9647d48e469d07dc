/*
 * sql_names.hpp — safe SQL text for catalog objects, and the small catalog
 * lookups every module needs.
 *
 * Everything polyref writes into SQL goes through here: tables
 * schema-qualified, identifiers quoted, operators OPERATOR(schema.name), so
 * that nothing a user puts on search_path can change what runs.
 */
#pragma once

#include "pg.hpp"

namespace polyref {

/* The role that owns a table. */
Oid relation_owner(Oid relid);

/* "schema"."table" (an ERROR if the table has gone). */
char *qualified_relation(Oid relid);

/*
 * [ONLY] "schema"."table": partitioned tables are read whole, the others alone
 * (as ri_triggers.c).
 */
char *scanned_relation(Oid relid);

/* alias."column" */
char *qualified_column(const char *alias, Oid relid, AttrNumber attnum);

/* Appends scanned_relation(relid). */
void append_scanned_relation(StringInfo sql, Oid relid);

/* "schema"."function" */
char *qualified_function(Oid function);

/* OPERATOR("schema".=) */
void append_operator(StringInfo sql, Oid operator_oid);

/*
 * text or varchar: the types whose values compare as their bytes, and which
 * hold a kind label or a key's canonical text form as written.
 */
bool is_text_type(Oid type);

/* A table (not partitioned, not a view...) stored by the heap access method. */
bool is_plain_heap(Oid relid);

} // namespace polyref
