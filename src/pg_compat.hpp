/*
 * pg_compat.hpp — the differences between the PostgreSQL majors polyref
 * builds against (15, 16, 17, 18, 19), each behind one name, so that the rest
 * of the core reads the same on every major.  Included by pg.hpp only.
 *
 * Every guard tests PG_VERSION_NUM against the release that made the change,
 * never against a major polyref happens to be tested on, so 16 (which Debian
 * does not ship) takes the same branches as the majors around it.
 */
#pragma once

/* PostgreSQL 16 renamed the ownership checks. */
#if PG_VERSION_NUM >= 160000
#define polyref_owns_relation(relid, role) \
	object_ownercheck(RelationRelationId, (relid), (role))
#else
#define polyref_owns_relation(relid, role) pg_class_ownercheck((relid), (role))
#endif

/* PostgreSQL 16 gave stringToQualifiedNameList a soft-error context; NULL
 * keeps the old behaviour of raising the error. */
#if PG_VERSION_NUM >= 160000
#define polyref_qualified_name_list(str) stringToQualifiedNameList((str), NULL)
#else
#define polyref_qualified_name_list(str) stringToQualifiedNameList(str)
#endif

/*
 * PostgreSQL 18 reports a RESTRICT violation apart from NO ACTION's: SQLSTATE
 * 23001 (restrict_violation) and "violates RESTRICT setting of foreign key
 * constraint"; 15 to 17 report both as 23503.  polyref reports as the server
 * it is built for does.
 */
#define POLYREF_RESTRICT_VIOLATION_IS_23001 (PG_VERSION_NUM >= 180000)

/*
 * PostgreSQL 18 lets RelationGetPrimaryKeyIndex leave out a deferrable primary
 * key.  polyref asks for the primary key whatever its timing, as 15 to 17
 * give it, and refuses a deferrable one where it picks a key index (as a
 * native foreign key does), so every major reports the same error.
 */
#if PG_VERSION_NUM >= 180000
#define polyref_primary_key_index(rel) RelationGetPrimaryKeyIndex((rel), true)
#else
#define polyref_primary_key_index(rel) RelationGetPrimaryKeyIndex(rel)
#endif

/*
 * index_beginscan: PostgreSQL 18 added an instrumentation argument (NULL: no
 * EXPLAIN here), 19 a flags argument (SO_NONE: a plain scan).
 * table_beginscan: 19 added the same flags argument.
 */
#if PG_VERSION_NUM >= 190000
#define polyref_index_beginscan(heap, index, snapshot, nkeys, norderbys)     \
	index_beginscan((heap), (index), (snapshot), NULL, (nkeys), (norderbys), \
					SO_NONE)
#define polyref_table_beginscan(rel, snapshot, nkeys, keys) \
	table_beginscan((rel), (snapshot), (nkeys), (keys), SO_NONE)
#elif PG_VERSION_NUM >= 180000
#define polyref_index_beginscan(heap, index, snapshot, nkeys, norderbys) \
	index_beginscan((heap), (index), (snapshot), NULL, (nkeys), (norderbys))
#define polyref_table_beginscan(rel, snapshot, nkeys, keys) \
	table_beginscan((rel), (snapshot), (nkeys), (keys))
#else
#define polyref_index_beginscan(heap, index, snapshot, nkeys, norderbys) \
	index_beginscan((heap), (index), (snapshot), (nkeys), (norderbys))
#define polyref_table_beginscan(rel, snapshot, nkeys, keys) \
	table_beginscan((rel), (snapshot), (nkeys), (keys))
#endif

/* PostgreSQL 19 types a syscache callback's cache id as SysCacheIdentifier. */
#if PG_VERSION_NUM >= 190000
typedef SysCacheIdentifier polyref_syscache_id;
#else
typedef int polyref_syscache_id;
#endif

/*
 * PostgreSQL 19 words a serialization failure on a row locked after a
 * concurrent delete "due to concurrent delete" (15 to 18: "update" for both),
 * in ExecLockRows and so in native foreign key checks.
 */
#define POLYREF_SERIALIZATION_FAILURE_NAMES_DELETE (PG_VERSION_NUM >= 190000)

/*
 * The descent to the leaf page a key belongs on, share-locked, for
 * leaf_walk.cpp.  16 adds the heap relation (used only by writers); 17
 * drops the snapshot (no more "snapshot too old"); 19 may skip the stack.
 */
#if PG_VERSION_NUM >= 190000
#define polyref_bt_search_leaf(index, key, bufp, snapshot) \
	((void) _bt_search((index), NULL, (key), (bufp), BT_READ, false))
#elif PG_VERSION_NUM >= 170000
#define polyref_bt_search_leaf(index, key, bufp, snapshot) \
	_bt_freestack(_bt_search((index), NULL, (key), (bufp), BT_READ))
#elif PG_VERSION_NUM >= 160000
#define polyref_bt_search_leaf(index, key, bufp, snapshot) \
	_bt_freestack(_bt_search((index), NULL, (key), (bufp), BT_READ, (snapshot)))
#else
#define polyref_bt_search_leaf(index, key, bufp, snapshot) \
	_bt_freestack(_bt_search((index), (key), (bufp), BT_READ, (snapshot)))
#endif

/* "snapshot too old" is tested on each page read before PostgreSQL 17. */
#if PG_VERSION_NUM >= 170000
#define polyref_test_for_old_snapshot(snapshot, rel, page) ((void) 0)
#else
#define polyref_test_for_old_snapshot(snapshot, rel, page) \
	TestForOldSnapshot((snapshot), (rel), (page))
#endif

/* PostgreSQL 19 gives table_index_fetch_begin scan flags. */
#if PG_VERSION_NUM >= 190000
#define polyref_index_fetch_begin(rel) table_index_fetch_begin((rel), SO_NONE)
#else
#define polyref_index_fetch_begin(rel) table_index_fetch_begin((rel))
#endif
