/*
 * sql_names.cpp — safe SQL text for catalog objects (see sql_names.hpp).
 */
#include "sql_names.hpp"

namespace polyref {

Oid
relation_owner(Oid relid)
{
	HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	Oid owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

char *
qualified_relation(Oid relid)
{
	char *name = get_rel_name(relid);
	char *schema =
		name ? get_namespace_name(get_rel_namespace(relid)) : nullptr;
	if (name == nullptr || schema == nullptr)
		elog(ERROR, "polyref: relation %u has gone", relid);
	return (char *) quote_qualified_identifier(schema, name);
}

char *
scanned_relation(Oid relid)
{
	bool partitioned = get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE;
	return psprintf("%s%s", partitioned ? "" : "ONLY ",
					qualified_relation(relid));
}

void
append_scanned_relation(StringInfo sql, Oid relid)
{
	appendStringInfoString(sql, scanned_relation(relid));
}

char *
qualified_function(Oid function)
{
	return quote_qualified_identifier(
		get_namespace_name(get_func_namespace(function)),
		get_func_name(function));
}

char *
qualified_column(const char *alias, Oid relid, AttrNumber attnum)
{
	return psprintf("%s.%s", alias,
					quote_identifier(get_attname(relid, attnum, false)));
}

void
append_operator(StringInfo sql, Oid operator_oid)
{
	HeapTuple tuple = SearchSysCache1(OPEROID, ObjectIdGetDatum(operator_oid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for operator %u", operator_oid);
	Form_pg_operator op = (Form_pg_operator) GETSTRUCT(tuple);
	appendStringInfo(sql, "OPERATOR(%s.%s)",
					 quote_identifier(get_namespace_name(op->oprnamespace)),
					 NameStr(op->oprname));
	ReleaseSysCache(tuple);
}

bool
is_text_type(Oid type)
{
	return type == TEXTOID || type == VARCHAROID;
}

bool
is_plain_heap(Oid relid)
{
	if (get_rel_relkind(relid) != RELKIND_RELATION)
		return false;
	Relation rel = table_open(relid, AccessShareLock);
	bool heap = rel->rd_rel->relam == HEAP_TABLE_AM_OID;
	table_close(rel, AccessShareLock);
	return heap;
}

} // namespace polyref
