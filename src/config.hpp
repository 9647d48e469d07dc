/*
 * config.hpp — reading and writing the configuration tables.
 *
 * Reads use the latest snapshot (after making this transaction's own work
 * visible), as catalog reads do, so that a declaration committed by another
 * session after this transaction began is never missed.  Writes run as the
 * configuration's owner: nobody else may write there.
 */
#pragma once

#include "catalog.hpp"

namespace polyref {

struct ConfigAssociation
{
	Oid source;
	char *name;
	char *type_column;
	char *id_column;
	Action on_delete;
	Action on_update;
	bool is_deferrable;
	bool initially_deferred;
	bool validated;
	char *created_index; /* NULL when declare made none */
	bool match_simple;   /* match_type 'simple' (see catalog.hpp) */
	Oid kind_registry;   /* InvalidOid: kinds are stored as they are */
	/* scope_columns, in declared order; nscope 0 when unscoped */
	char **scope_columns;
	int nscope;
	/*
	 * From config_associations_touching: whether a kind of the association
	 * points at the table asked about (false from the other readers).
	 */
	bool targets_relid;
};

struct ConfigKind
{
	char *kind;
	Oid target;
	char *key_column;
	Oid source;        /* of its association */
	char *association; /* its name */
};

/*
 * The association, or false.  lock: FOR UPDATE, serializing management calls.
 */
bool config_find_association(Oid source, const char *name,
							 ConfigAssociation *out, bool lock);

/* Its kinds, sorted by label. */
ConfigKind *config_kinds(Oid source, const char *name, int *count);

/* Every association, in one query. */
ConfigAssociation *config_all_associations(int *count);

/*
 * Every kind, in one query: grouped by association, each association's
 * sorted by label as config_kinds sorts them.
 */
ConfigKind *config_all_kinds(int *count);

/*
 * The kinds of every association that has relid as source or as a target,
 * in one query (ordered by source, association, kind); pick an association's
 * own with config_kind_of.
 */
ConfigKind *config_kinds_touching(Oid relid, int *count);
bool config_kind_of(const ConfigKind *k, const ConfigAssociation *a);

/*
 * Every association that has relid as source or as a target (targets_relid
 * tells which), sorted by name.
 */
ConfigAssociation *config_associations_touching(Oid relid, int *count);

/*
 * Deletes an association's configuration: its kinds, its join views'
 * records and itself.  (The tables have no foreign keys between them, so
 * that pg_restore --jobs can load them in any order.)
 */
void config_delete_association(Oid source, const char *name);

/*
 * Records an association's row (its targets_relid is not stored), and one
 * kind's row.  (The caller has opened SPI.)
 */
void config_insert_association(const ConfigAssociation *a);
void config_insert_kind(Oid source, const char *name, const char *kind,
						Oid target, const char *key_column);

/*
 * Whether the configuration has release 1.1's match_type column: the library
 * of 1.1 also runs on 1.0's tables, until ALTER EXTENSION polyref UPDATE
 * adds it, and reads every association there as MATCH FULL.
 */
bool config_has_match_type();

/* The same for kind_registry (an association of 1.0 has none). */
bool config_has_kind_registry();

/*
 * The associations whose kinds are labels of rows of registry (declared
 * with kind_registry => registry).
 */
ConfigAssociation *config_associations_of_registry(Oid registry, int *count);
/* The same for release 1.1's scope_columns (NULL for every association of 1.0).
 */
bool config_has_scope_columns();

/*
 * The elements of a name[] (or text[]) datum as C strings; *n = 0 for NULL.
 */
char **config_name_array(Datum array, bool isnull, int *n);

/* A name[] datum of n names. */
Datum config_make_name_array(char *const *names, int n);

/*
 * Runs a write as the configuration's owner; returns the rows it changed.
 * nulls: as SPI's, or none.
 */
uint64 config_write(const char *sql, int nargs, Oid *types, Datum *values,
					const char *nulls = nullptr);

/*
 * Runs a query with the latest snapshot as the given role; the result is in
 * SPI_tuptable.  (The caller has opened SPI.)
 */
uint64 query_latest(const char *sql, int nargs, Oid *types, Datum *values,
					Oid role, long limit);

} // namespace polyref
