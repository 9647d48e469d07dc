/*
 * catalog.hpp — the resolved image of polyref's configuration.
 *
 * The configuration tables (polyref.config_association, config_kind) name
 * tables and columns; enforcement needs attribute numbers, types, operators
 * and prepared plans.  A Catalog is one consistent, fully resolved image of
 * every declared association, built on first use in a backend and rebuilt
 * after any invalidation that touches a table it names (or the
 * configuration itself).  Everything in it lives in one MemoryContext.
 *
 * Lifetime: catalog_current() may hand out a new Catalog after an
 * invalidation, but a Catalog that frames up the stack may still use is
 * only freed at the end of the top-level transaction.
 */
#pragma once

#include "memory.hpp"

namespace polyref {

enum class Action : uint8
{
	NoAction,
	Restrict,
	Cascade,
	SetNull,
	SetDefault,
};

/* How the kind column's values compare with a kind's label. */
enum class KindColumnClass : uint8
{
	Text, /* text or varchar: bytes compare, pg_catalog.= is exact */
	Enum, /* enum: the datum is the label's pg_enum OID */
	/*
	 * citext (or another text-like type whose = is not exact): bytes compare,
	 * queries add an exact text test
	 */
	Citext,
	/*
	 * smallint, integer, bigint, "char" or char(n): kinds are given as text,
	 * read with the type's input function, and compared with its = (and a
	 * kind registry's keys are always of this class)
	 */
	Typed,
};

/* How a kind's key is found from the id column's value. */
enum class IdMatch : uint8
{
	/*
	 * key = id with the key's btree family operator (an implicit cast if
	 * needed)
	 */
	Operator,
	/* a text id holding the key's canonical text form ('42', not '042') */
	CanonicalText,
};

struct Association;

/*
 * One scope column of a scoped association, as a target holds it: the
 * target's column of the same name, and how the source's value finds it.
 * (SPEC, Scoped associations: the scope is part of the key.)
 */
struct ScopePart
{
	AttrNumber attnum; /* in the target */
	Oid type;          /* the target column's type */
	Oid collation;
	Oid eq_operator;       /* column = column, in its index's family */
	Oid lookup_operator;   /* column <op> source value */
	Oid lookup_param_type; /* the source column's base type */
	FmgrInfo output;       /* the target column's, for messages */
	int index_column;      /* its position in the target's key_index */

	/* For the direct probe (see probe.hpp), as TargetRef's own. */
	RegProcedure probe_function;
	Oid probe_subtype;
	Oid probe_collation;
	FmgrInfo probe_equal;
	bool by_value; /* of lookup_param_type: copying into a batch */
	int16 typlen;
	SortSupportData sort; /* orders source values: sorting a batch */
};

/*
 * The plans a target keeps, prepared on first use from the text queries.cpp
 * writes, re-prepared when PostgreSQL reports them stale, and freed with the
 * catalog image.  Lookups in the target table run as its owner, statements
 * on the source as the source's owner.
 */
enum class KeptPlan : uint8
{
	/* SELECT 1 FROM target WHERE key = $1 (id's type) FOR KEY SHARE */
	LookupKey,
	/* the same with a key-typed $1 (the NO ACTION re-check) */
	KeyExists,
	/* SELECT 1 FROM source WHERE type = ANY(kinds) AND id = $2 FOR KEY SHARE */
	Referencing,
	CascadeDelete, /* DELETE */
	CascadeUpdate, /* UPDATE SET id = new key */
	SetNull,       /* UPDATE SET type = NULL, id = NULL */
	SetDefault,    /* UPDATE SET type = DEFAULT, id = DEFAULT */
	TruncateProbe, /* SELECT 1 ... any row of these kinds at all? */
	Count
};

/*
 * A kind's target, resolved.  Several kinds of one association may share one.
 */
struct TargetRef
{
	Association *association;
	Oid relid;
	bool partitioned;
	Oid owner;
	AttrNumber key_attnum;
	Oid key_type;
	Oid key_collation;
	Oid key_eq_operator; /* key = key */
	IdMatch id_match;
	Oid lookup_operator; /* key <op> id, for IdMatch::Operator */
	Oid lookup_param_type;
	FmgrInfo key_input; /* canonical text: parse the id */
	Oid key_ioparam;
	FmgrInfo key_output; /* canonical text, and messages */
	Oid key_index;       /* the unique index the key uses */

	/*
	 * A scoped association's scope columns here, in scope_columns order
	 * (nscope 0 when unscoped): key_index is made of exactly them and the
	 * key, whose position in it is key_index_column.
	 */
	int nscope;
	ScopePart *scope;
	int key_index_column;
	/* what find_target_key found wrong: -1 the key, else a scope column */
	int problem_part;

	/*
	 * Whether the source check may probe key_index directly instead of
	 * running lookup_key_plan (see probe.hpp), and what it needs to.
	 */
	bool direct_probe;
	RegProcedure probe_function; /* of lookup_operator */
	Oid probe_subtype;           /* its right-hand type */
	Oid probe_collation;         /* the index column's */
	/* lookup_operator, to re-check a row that moved */
	FmgrInfo probe_equal;
	/* the probed datum: may locked_keys remember it? */
	bool key_by_value;
	int16 key_typlen; /* and its length, to copy it into a batch */

	/*
	 * Whether checks of this target may wait in the pending batch and run
	 * as one sorted pass over key_index (see pending_checks.hpp).
	 */
	bool sorted_probe;
	/* orders ids among themselves: how a batch is sorted */
	SortSupportData id_sort;
	/*
	 * Whether a sorted pass walks key_index's leaf level (leaf_walk.hpp),
	 * comparing index keys with ids by probe_order (btree ORDER_PROC).
	 */
	bool leaf_walk;
	FmgrInfo probe_order;

	/*
	 * The kinds that point here, as arrays in the kind column's type (for =
	 * ANY).
	 */
	int nkinds;
	Datum kind_values; /* kind column type [] */
	Datum kind_labels; /* text[] */

	SPIPlanPtr plans[(int) KeptPlan::Count]; /* NULL until first used */
};

struct Kind
{
	const char *label; /* as declared, compared bytewise */
	int label_len;
	/*
	 * Whether rows can carry it: false for a label of a kind registry that
	 * no registry row has yet (value and stored are then unset).
	 */
	bool present;
	Datum value; /* the label in the kind column's type (a registry's key) */
	/* value as text, what the kind column reads as ::text in queries */
	const char *stored;
	TargetRef *target;
};

struct Association
{
	Oid source;
	bool source_partitioned;
	Oid source_owner;
	const char *name;

	AttrNumber type_attnum;
	AttrNumber id_attnum;
	Oid type_type; /* the kind column's type (base type of a domain) */
	KindColumnClass type_class;
	Oid type_eq_operator;
	Oid type_collation;
	int32 type_typmod;
	FmgrInfo type_equal; /* of type_eq_operator, for KindColumnClass::Typed */
	Oid id_type;

	/*
	 * kind_registry (see registry.hpp): the kind column holds the key of a
	 * row of this table, whose label is the kind.  registry describes that
	 * key as a target: the source check locks the row FOR KEY SHARE through
	 * it, and a refused DELETE names it.  InvalidOid / NULL otherwise.
	 */
	Oid kind_registry;
	TargetRef *registry;

	Action on_delete;
	Action on_update;
	bool is_deferrable;
	bool initially_deferred;
	/*
	 * MATCH SIMPLE: a row whose kind or id is NULL is not checked (MATCH
	 * FULL, the default, refuses one NULL without the other).
	 */
	bool match_simple;
	bool validated;

	/*
	 * scope_columns: columns of the source that must equal the target row's
	 * columns of the same names; nscope 0 when unscoped.
	 */
	int nscope;
	const char **scope_columns;
	AttrNumber *scope_attnums; /* in the source */
	Oid *scope_types;          /* their base types */

	/* Sorted by label bytes, for binary search from the source check. */
	Kind *kinds;
	int nkinds;
	/* One per distinct (target table, key column). */
	TargetRef **targets;
	int ntargets;
};

struct Catalog
{
	MemoryContext memory;
	/* (source relid, association name) -> association */
	McxtVector<Association *> *associations; /* sorted by (source, name) */
	/* target relid -> every TargetRef on it, of every association */
	McxtFlatMap<Oid, McxtVector<TargetRef *> *> *by_target;
	/* every relid this image depends on: an invalidation of one discards it */
	McxtVector<Oid> *watched; /* sorted */
	/*
	 * relid -> the declared table it belongs to (itself, or a partition's
	 * ancestor)
	 */
	McxtFlatMap<Oid, Oid> *declared_table_memo;
	/*
	 * (partition relid << 16 | declared attnum) -> that column's attnum in the
	 * partition
	 */
	McxtFlatMap<uint64, AttrNumber> *partition_attnum_memo;
	/*
	 * Citus shards this image enforces (citus.hpp) -> the length of the
	 * "_<shard id>" Citus appends to the names of their triggers
	 */
	McxtFlatMap<Oid, int> *shard_suffixes;
	/*
	 * images replaced while still possibly in use wait here for transaction end
	 */
	Catalog *retired_next;
};

/*
 * One kind of an association as the image is built from it: a row of the
 * configuration, or of a declaration a Citus shard's trigger carries
 * (citus.hpp).
 */
struct ConfigRow
{
	Oid source;
	char *association;
	char *type_column;
	char *id_column;
	char *on_delete;
	char *on_update;
	bool is_deferrable;
	bool initially_deferred;
	bool validated;
	char *kind; /* NULL: an association without kinds yet */
	Oid target;
	char *key_column;
	bool match_simple;
	Oid kind_registry;    /* InvalidOid: kinds stored as they are */
	char **scope_columns; /* NULL when unscoped */
	int nscope;
};

/* The current image, rebuilt first if an invalidation made it stale. */
Catalog *catalog_current();

/* The association declared on exactly this source, or NULL. */
Association *catalog_find(Catalog *catalog, Oid source, const char *name);

/*
 * The declared table a (possibly partition) relid stands for: relid itself if
 * the catalog names it, else its nearest ancestor that the catalog names,
 * else InvalidOid.
 */
Oid catalog_declared_table(Catalog *catalog, Oid relid);

/*
 * A column of a declared table, numbered as in relid: the table itself or
 * one of its partitions, whose columns sit elsewhere when it was made with
 * another layout (dropped columns, another column order) and attached.
 */
AttrNumber catalog_attnum_in(Catalog *catalog, Oid declared, AttrNumber attnum,
							 Oid relid);

/*
 * Where an association's kind, id and scope columns are in one source
 * relation (the table or a partition).
 */
struct SourceColumns
{
	AttrNumber type_attnum;
	AttrNumber id_attnum;
	const AttrNumber *scope_attnums; /* a->nscope of them; NULL if unscoped */
};

/* The scope columns' attnums in relid (a palloc'd array for a partition). */
const AttrNumber *source_scope_attnums_in(Catalog *catalog,
										  const Association *a, Oid relid);

inline SourceColumns
source_columns_in(Catalog *catalog, const Association *a, Oid relid)
{
	return { catalog_attnum_in(catalog, a->source, a->type_attnum, relid),
			 catalog_attnum_in(catalog, a->source, a->id_attnum, relid),
			 a->nscope == 0 ? nullptr
							: source_scope_attnums_in(catalog, a, relid) };
}

/*
 * The association a polyref trigger of this name on relid stands for: its
 * own name, less what Citus appended when it copied it onto a shard.
 */
const char *catalog_association_name(Catalog *catalog, Oid relid,
									 const char *trigger_name);

/* The TargetRefs on a declared target table (NULL when none). */
const McxtVector<TargetRef *> *catalog_targets_on(Catalog *catalog, Oid target);

/*
 * Looks a kind up by its label's bytes; NULL when it is not declared.  (A
 * registry's label that no row has yet is found, with present false.)
 */
Kind *association_find_kind(Association *association, const char *label,
							int len);

/* The kind a non-NULL value of the kind column names; NULL if undeclared. */
Kind *association_kind_of(Association *association, Datum kind_value);

/* The action an association takes for a DELETE (or UPDATE) of a key. */
inline Action
association_action(const Association *a, bool is_delete)
{
	return is_delete ? a->on_delete : a->on_update;
}

enum class KeyProblem
{
	None,
	NoColumn,     /* 42703 */
	NotUnique,    /* 42830 */
	Incomparable, /* 42804 (target->problem_part says which column) */
};

/*
 * The scope of an association as find_target_key needs it: the columns'
 * names and their (base) types in the source.  n 0: unscoped.
 */
struct ScopeSpec
{
	int n = 0;
	const char *const *columns = nullptr;
	const Oid *source_types = nullptr;
};

/* The ScopeSpec of n columns of source (42703 for a missing one). */
ScopeSpec scope_spec_of(Oid source, char *const *columns, int n);

/*
 * Resolves a kind's key into *target without raising; what is wrong, if
 * anything.
 */
KeyProblem find_target_key(TargetRef *target, Oid relid, const char *key_column,
						   Oid id_type, const ScopeSpec &scope = ScopeSpec{});

/*
 * Resolves how rows of a kind find their key in target(key_column) from an id
 * column of type id_type: the key must carry a unique index (42830) and be
 * comparable with the id (42804).  Fills the key fields of *target.
 */
void resolve_target_key(TargetRef *target, Oid relid, const char *key_column,
						Oid id_type, const char *association_name,
						const ScopeSpec &scope = ScopeSpec{});

/*
 * How a kind column's type (a domain's base type) compares kinds; 42804 for a
 * type that cannot hold them.
 */
KindColumnClass classify_kind_column(Oid type, const char *column, Oid source);

/*
 * Reads a kind's label in the type of source's kind column, as the catalog
 * will (22P02 and the like when that type cannot read it: 'Post' for an
 * integer column); nothing to read for text-like and enum columns.
 */
void check_kind_readable(Oid source, const char *type_column,
						 const char *label);

/*
 * The single-column primary key of a table, or for a scoped association the
 * column of a primary key made of the scope columns and that one (42830
 * when there is none).
 */
const char *primary_key_column(Oid relid, const ScopeSpec &scope = ScopeSpec{});

/* Registers the invalidation and transaction-end callbacks (from _PG_init). */
void catalog_init();

/* Tells every backend to rebuild its image at its next use (transactional). */
void catalog_invalidate_everywhere();

/*
 * The OID of polyref.config_association, and the role that owns the
 * configuration.
 */
Oid config_association_relid();
Oid config_owner();

const char *action_name(Action action);
bool parse_action(const char *text, Action *action);

} // namespace polyref
