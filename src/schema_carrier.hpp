/*
 * schema_carrier.hpp — declarations carried by the schema (SPEC, "Declarations
 * are schema").
 *
 * The configuration tables are what polyref reads at run time, and they are
 * authoritative.  pg_dump --schema-only does not carry them, so each
 * association's declaration is also written, as key=value arguments, into
 * the constraint trigger named after it on its source table:
 *
 *   CREATE CONSTRAINT TRIGGER commentable AFTER INSERT OR UPDATE ON
 * public.comments DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION
 * polyref.constraint_trigger('polyref=1', 'type_column=commentable_type',
 *       'id_column=commentable_id', 'on_delete=cascade', 'on_update=no action',
 *       'validated=true',
 * 'created_index=comments_commentable_type_commentable_id_idx', 'kind=Post',
 * 'target=public.posts', 'key_column=id', ...)
 *
 * The arguments are a projection of the configuration, rewritten (in place,
 * so that events already queued for the trigger still find it) by
 * carry_declaration() after every change to it: nothing else writes them.
 * Deferral is the trigger's own.  A restore creates the trigger from the
 * dump; the ddl_command_end event trigger then reads its arguments back into
 * the configuration (restore_declaration).
 */
#pragma once

#include "catalog.hpp"

namespace polyref {

/* Rewrites the arguments of association (source, name)'s constraint trigger
 * from the configuration. */
void carry_declaration(Oid source, const char *name);

/* The same for every association whose source or one of whose targets is relid;
 * InvalidOid: every one. */
void carry_declarations_touching(Oid relid);

/*
 * After RENAME of a table, column or schema, or ALTER TABLE ... SET SCHEMA
 * (ddl_command_end): the declarations that name it carry its new name.
 */
void carry_after_rename(Node *parsetree);

/*
 * The arguments that carry association (source, name), from the
 * configuration; *nargs = 0 when no association of that name has this source.
 */
char **declaration_arguments(Oid source, const char *name, int *nargs);

/*
 * After CREATE TRIGGER: a polyref constraint trigger carrying a declaration
 * records it in the configuration (a restore); a malformed one, or one naming
 * what does not exist, fails the command with an error naming the trigger.
 */
void restore_declaration(CreateTrigStmt *stmt);

/*
 * A declaration as a trigger carries it, read without looking up what it
 * names (a Citus shard's copy names the logical tables, see citus.hpp).
 */
struct CarriedKindText
{
	const char *kind;
	const char *target; /* schema-qualified, as carried */
	const char *key_column;
};
struct CarriedText
{
	const char *trigger_name;
	const char *type_column;
	const char *id_column;
	Action on_delete;
	Action on_update;
	bool deferrable;
	bool initially_deferred;
	bool validated;
	bool match_simple;
	CarriedKindText *kinds;
	int nkinds;
};

/*
 * Reads the declaration trigger carries; false when the trigger has gone or
 * carries none.  A malformed one is an ERROR naming the trigger.
 */
bool read_carried_text(Oid trigger, CarriedText *out);

} // namespace polyref
