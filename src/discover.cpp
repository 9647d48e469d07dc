/*
 * discover.cpp — polyref.discover(): proposes declarations for the kind/id
 * column pairs an ORM left behind.
 *
 * A pair is <x>_type, <x>_kind or <x>_model beside <x>_id (Rails, Laravel,
 * Django with a CharField), or Sequelize's camelCase <x>Type beside <x>Id.
 * For each kind found in the data, the target table is looked for in the
 * source's schema first, then on search_path, under the names the ORMs give
 * it (see table_name_candidates).  Everything runs as the caller, reads only
 * tables the caller may SELECT, and goes through SPI in read-only mode: it
 * changes nothing, and works on a hot standby.
 */
#include "boundary.hpp"
#include "catalog.hpp"
#include "registry.hpp"
#include "spi_util.hpp"
#include "sql_names.hpp"

#include <cctype>
#include <cstring>

namespace polyref {

/* ------------------------------------------------------------------------
 * ORM naming rules (plain string work)
 */

static bool
is_vowel(char c)
{
	return strchr("aeiouAEIOU", c) != nullptr;
}

/*
 * English plural as Rails' and Laravel's inflectors give it for ordinary nouns.
 */
static void
append_plural(StringInfo out, const char *word)
{
	static const char *const irregular[][2] = {
		{ "person", "people" },  { "Person", "People" },
		{ "child", "children" }, { "Child", "Children" },
		{ "man", "men" },        { "woman", "women" }
	};
	size_t len = strlen(word);
	for (const auto &pair : irregular)
	{
		size_t n = strlen(pair[0]);
		if (len >= n && strcmp(word + len - n, pair[0]) == 0)
		{
			appendBinaryStringInfo(out, word, (int) (len - n));
			appendStringInfoString(out, pair[1]);
			return;
		}
	}
	char last = len > 0 ? word[len - 1] : '\0';
	char before = len > 1 ? word[len - 2] : '\0';
	if ((last == 'y' || last == 'Y') && len > 1 && !is_vowel(before))
	{
		appendBinaryStringInfo(out, word, (int) (len - 1));
		appendStringInfoString(out, "ies");
	}
	else if (last == 's' || last == 'x' || last == 'z' ||
			 (last == 'h' && (before == 'c' || before == 's')))
	{
		appendStringInfoString(out, word);
		appendStringInfoString(out, "es");
	}
	else
	{
		appendStringInfoString(out, word);
		appendStringInfoChar(out, 's');
	}
}

/*
 * BlogPost -> blog_post, HTMLPage -> html_page, Admin::BlogPost ->
 * admin_blog_post.
 */
static char *
underscore(const char *name)
{
	StringInfoData out;
	initStringInfo(&out);
	for (const char *p = name; *p; p++)
	{
		unsigned char c = (unsigned char) *p;
		if (p[0] == ':' && p[1] == ':')
		{
			appendStringInfoChar(&out, '_');
			p++;
			continue;
		}
		if (isupper(c) && p != name)
		{
			unsigned char prev = (unsigned char) p[-1];
			unsigned char next = (unsigned char) p[1];
			if (islower(prev) || isdigit(prev) ||
				(isupper(prev) && islower(next)))
				appendStringInfoChar(&out, '_');
		}
		appendStringInfoChar(&out, (char) tolower(c));
	}
	return out.data;
}

/*
 * The part after the last separator ("App\Models\Post" -> "Post", "Admin::Post"
 * -> "Post").
 */
static const char *
basename_of(const char *name, const char *separator)
{
	const char *base = name;
	for (const char *p = strstr(name, separator); p;
		 p = strstr(p + 1, separator))
		base = p + strlen(separator);
	return base;
}

static char *
plural(const char *word)
{
	StringInfoData out;
	initStringInfo(&out);
	append_plural(&out, word);
	return out.data;
}

/*
 * The table names an ORM would give the model behind a kind, most likely
 * first: the kind as is (tables named like their kinds, morph-map aliases);
 * Rails and Laravel (BlogPost, Admin::BlogPost, App\Models\BlogPost ->
 * blog_posts, also admin_blog_posts); Django (app_label.model ->
 * app_label_model); Sequelize (Post -> Posts).
 */
static List *
table_name_candidates(const char *kind)
{
	List *names = list_make1(pstrdup(kind));
	const char *base = basename_of(basename_of(kind, "\\"), "::");
	names = lappend(names, plural(underscore(base)));
	if (strstr(kind, "::") != nullptr)
		names = lappend(names, plural(underscore(kind)));
	if (strchr(kind, '.') != nullptr)
	{
		char *django = pstrdup(kind);
		for (char *p = django; *p; p++)
			*p = *p == '.' ? '_' : (char) tolower((unsigned char) *p);
		names = lappend(names, django);
	}
	names = lappend(names, plural(base));
	return names;
}

/* ------------------------------------------------------------------------
 * Reading the database
 */

struct ColumnPair
{
	Oid source;
	char *association;
	char *type_column;
	char *id_column;
	/*
	 * Django's GenericForeignKey: the registry the kind column's native
	 * foreign key references (django_content_type), or InvalidOid.
	 */
	Oid registry;
};

/*
 * Tables the caller may read, with a kind/id pair no association declares yet.
 */
static const char *const pairs_query =
	"SELECT c.oid, m.association, t.attname::pg_catalog.text, "
	"i.attname::pg_catalog.text"
	"  FROM pg_catalog.pg_class c"
	"  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) "
	"c.relnamespace"
	"  JOIN pg_catalog.pg_attribute t ON t.attrelid OPERATOR(pg_catalog.=) "
	"c.oid"
	"   AND t.attnum OPERATOR(pg_catalog.>) 0 AND NOT t.attisdropped"
	" CROSS JOIN LATERAL (SELECT "
	"pg_catalog.substring(t.attname::pg_catalog.text, "
	"'^(.+)_(?:type|kind|model)$'),"
	"                            '_id'"
	"                     UNION ALL"
	"                     SELECT "
	"pg_catalog.substring(t.attname::pg_catalog.text, '^(.+[^_])Type$'), 'Id')"
	"       AS m(association, id_suffix)"
	"  JOIN pg_catalog.pg_attribute i ON i.attrelid OPERATOR(pg_catalog.=) "
	"c.oid"
	"   AND i.attnum OPERATOR(pg_catalog.>) 0 AND NOT i.attisdropped"
	"   AND i.attname::pg_catalog.text OPERATOR(pg_catalog.=) (m.association "
	"OPERATOR(pg_catalog.||) m.id_suffix)"
	" WHERE m.association IS NOT NULL"
	"   AND c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p}') AND NOT "
	"c.relispartition"
	"   AND ($1 IS NULL AND n.nspname OPERATOR(pg_catalog.<>) ALL "
	"('{pg_catalog,information_schema,polyref}')"
	"        AND n.nspname::pg_catalog.text NOT LIKE 'pg\\_toast%' AND "
	"n.nspname::pg_catalog.text NOT LIKE 'pg\\_temp%'"
	"        OR n.nspname::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($1))"
	"   AND pg_catalog.has_table_privilege(c.oid, 'SELECT')"
	"   AND NOT EXISTS (SELECT 1 FROM polyref.associations a"
	"                    WHERE a.source OPERATOR(pg_catalog.=) "
	"c.oid::pg_catalog.regclass"
	"                      AND a.type_column OPERATOR(pg_catalog.=) t.attname)"
	" ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\", m.association "
	"COLLATE \"C\"";

/*
 * Django's GenericForeignKey: an integer column with a native foreign key to
 * a table named django_content_type, beside object_id (the association
 * named content_object, as Django's documentation names it) or, for a kind
 * column <x>_type_id or <x>_content_type_id, beside <x>_id (named x).
 */
static const char *const django_pairs_query =
	"SELECT c.oid, CASE WHEN i.attname OPERATOR(pg_catalog.=) 'object_id'"
	"  THEN 'content_object' ELSE m.x END,"
	"  t.attname::pg_catalog.text, i.attname::pg_catalog.text,"
	"  f.confrelid::pg_catalog.oid"
	"  FROM pg_catalog.pg_constraint f"
	"  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) f.conrelid"
	"  JOIN pg_catalog.pg_namespace n"
	"    ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
	"  JOIN pg_catalog.pg_class r ON r.oid OPERATOR(pg_catalog.=) f.confrelid"
	"   AND r.relname OPERATOR(pg_catalog.=) 'django_content_type'"
	"  JOIN pg_catalog.pg_attribute t ON t.attrelid OPERATOR(pg_catalog.=) "
	"c.oid"
	"   AND t.attnum OPERATOR(pg_catalog.=) f.conkey[1]"
	" CROSS JOIN LATERAL (SELECT pg_catalog.substring("
	"t.attname::pg_catalog.text, '^(.+?)_(?:content_)?type_id$')) m(x)"
	"  JOIN pg_catalog.pg_attribute i ON i.attrelid OPERATOR(pg_catalog.=) "
	"c.oid"
	"   AND i.attnum OPERATOR(pg_catalog.>) 0 AND NOT i.attisdropped"
	"   AND (i.attname OPERATOR(pg_catalog.=) 'object_id'"
	"        OR i.attname::pg_catalog.text OPERATOR(pg_catalog.=) "
	"(m.x OPERATOR(pg_catalog.||) '_id'))"
	" WHERE f.contype OPERATOR(pg_catalog.=) 'f'"
	"   AND pg_catalog.array_length(f.conkey, 1) OPERATOR(pg_catalog.=) 1"
	"   AND t.atttypid OPERATOR(pg_catalog.=) ANY "
	"('{int2,int4,int8}'::pg_catalog.regtype[])"
	"   AND c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p}') AND NOT "
	"c.relispartition"
	"   AND ($1 IS NULL AND n.nspname OPERATOR(pg_catalog.<>) ALL "
	"('{pg_catalog,information_schema,polyref}')"
	"        AND n.nspname::pg_catalog.text NOT LIKE 'pg\\_toast%' AND "
	"n.nspname::pg_catalog.text NOT LIKE 'pg\\_temp%'"
	"        OR n.nspname::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($1))"
	"   AND pg_catalog.has_table_privilege(c.oid, 'SELECT')"
	"   AND pg_catalog.has_table_privilege(r.oid, 'SELECT')"
	"   AND NOT EXISTS (SELECT 1 FROM polyref.associations a"
	"                    WHERE a.source OPERATOR(pg_catalog.=) "
	"c.oid::pg_catalog.regclass"
	"                      AND a.type_column OPERATOR(pg_catalog.=) t.attname)"
	" ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\", "
	"t.attname COLLATE \"C\"";

/* Appends the n rows (pairs_query's columns, or django_pairs_query's) that
 * fit. */
static int
add_pairs(ColumnPair *pairs, int kept, SPITupleTable *rows, uint64 n,
		  bool django)
{
	for (uint64 i = 0; i < n; i++)
	{
		bool isnull;
		ColumnPair *pair = &pairs[kept];
		pair->source = DatumGetObjectId(
			SPI_getbinval(rows->vals[i], rows->tupdesc, 1, &isnull));
		pair->association = SPI_getvalue(rows->vals[i], rows->tupdesc, 2);
		pair->type_column = SPI_getvalue(rows->vals[i], rows->tupdesc, 3);
		pair->id_column = SPI_getvalue(rows->vals[i], rows->tupdesc, 4);
		if (django)
		{
			pair->registry = DatumGetObjectId(
				SPI_getbinval(rows->vals[i], rows->tupdesc, 5, &isnull));
			kept++;
			continue;
		}
		/* Only kind columns polyref can enforce as they are. */
		Oid type = getBaseType(get_atttype(
			pair->source, get_attnum(pair->source, pair->type_column)));
		if (is_text_type(type) || type_is_enum(type) ||
			IsBinaryCoercible(type, TEXTOID))
			kept++;
	}
	return kept;
}

static ColumnPair *
find_pairs(Datum schemas, bool schemas_null, int *count)
{
	MemoryContext caller_memory = CurrentMemoryContext;
	Oid types[1] = { TEXTARRAYOID };
	Datum values[1] = { schemas };
	char nulls[1] = { schemas_null ? 'n' : ' ' };
	if (SPI_execute_with_args(django_pairs_query, 1, types, values, nulls, true,
							  0) != SPI_OK_SELECT)
		elog(ERROR, "polyref: reading column pairs failed");
	SPITupleTable *django = SPI_tuptable;
	uint64 ndjango = SPI_processed;
	if (SPI_execute_with_args(pairs_query, 1, types, values, nulls, true, 0) !=
		SPI_OK_SELECT)
		elog(ERROR, "polyref: reading column pairs failed");
	MemoryContext spi_memory = MemoryContextSwitchTo(caller_memory);
	ColumnPair *pairs = mcxt_array0<ColumnPair>(SPI_processed + ndjango + 1);
	int kept = add_pairs(pairs, 0, SPI_tuptable, SPI_processed, false);
	kept = add_pairs(pairs, kept, django, ndjango, true);
	MemoryContextSwitchTo(spi_memory);
	*count = kept;
	return pairs;
}

/*
 * A target's key as a proposal reads it: a single-column primary key, or a
 * primary key whose other columns the source has too, by name (a tenant:
 * posts(account_id, id) beside comments.account_id).  The key is then the
 * column the source lacks, or, when it has them all (its own id), the last
 * one, as Rails 7.1 lists [:account_id, :id].
 */
struct ProposedKey
{
	const char *key_column;
	char **scope_columns; /* in the primary key's order; NULL if none */
	int nscope;
};

static bool
proposed_key(Oid relid, Oid source, ProposedKey *out)
{
	Relation rel = table_open(relid, AccessShareLock);
	Oid pk_index = polyref_primary_key_index(rel);
	table_close(rel, AccessShareLock);
	if (!OidIsValid(pk_index))
		return false;
	HeapTuple tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(pk_index));
	if (!HeapTupleIsValid(tuple))
		return false;
	Form_pg_index index = (Form_pg_index) GETSTRUCT(tuple);
	int n = index->indnkeyatts;
	char **names = mcxt_array0<char *>(n + 1);
	int key = -1;
	for (int c = 0; c < n; c++)
	{
		names[c] = get_attname(relid, index->indkey.values[c], false);
		if (get_attnum(source, names[c]) == InvalidAttrNumber)
			key = key < 0 ? c : -2; /* two the source lacks: no scope */
	}
	ReleaseSysCache(tuple);
	if (n == 1)
		key = 0;
	else if (key == -1)
		key = n - 1;
	if (key < 0)
		return false;
	out->key_column = names[key];
	out->scope_columns = n > 1 ? mcxt_array0<char *>(n) : nullptr;
	out->nscope = 0;
	for (int c = 0; c < n; c++)
		if (c != key)
			out->scope_columns[out->nscope++] = names[c];
	return true;
}

/*
 * A table the caller may read, whose primary key polyref can use (see
 * proposed_key), for this kind; InvalidOid if none.
 */
static Oid
find_target(const char *kind, Oid source, ProposedKey *key)
{
	Oid schema = get_rel_namespace(source);
	ListCell *cell;
	foreach (cell, table_name_candidates(kind))
	{
		const char *name = (const char *) lfirst(cell);
		Oid relid = get_relname_relid(name, schema);
		if (!OidIsValid(relid))
			relid = RelnameGetRelid(name);
		if (!OidIsValid(relid))
			continue;
		char relkind = get_rel_relkind(relid);
		if ((relkind != RELKIND_RELATION &&
			 relkind != RELKIND_PARTITIONED_TABLE) ||
			pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
			continue;
		if (proposed_key(relid, source, key))
			return relid;
	}
	return InvalidOid;
}

/* Whether two proposed keys have the same scope columns, in order. */
static bool
same_scope(const ProposedKey &x, const ProposedKey &y)
{
	if (x.nscope != y.nscope)
		return false;
	for (int i = 0; i < x.nscope; i++)
		if (strcmp(x.scope_columns[i], y.scope_columns[i]) != 0)
			return false;
	return true;
}

static int64
count_query(const char *sql, const char *kind)
{
	Oid types[1] = { TEXTOID };
	Datum values[1] = { CStringGetTextDatum(kind) };
	if (SPI_execute_with_args(sql, 1, types, values, NULL, true, 0) !=
			SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "polyref: counting rows failed");
	bool isnull;
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1, &isnull));
}

struct KindFound
{
	char *kind;
	Oid target;
	ProposedKey key;
	int64 rows;
	int64 null_ids; /* rows of the kind whose id is NULL */
	int64 orphans;  /* rows that would dangle (NULL ids never do: see below) */
};

/* The kinds in the data, with their targets and counts. */
static KindFound *
read_kinds(const ColumnPair *pair, int *count)
{
	MemoryContext caller_memory = CurrentMemoryContext;
	const char *source = qualified_relation(pair->source);
	const char *type_column = quote_identifier(pair->type_column);
	const char *id_column = quote_identifier(pair->id_column);
	/*
	 * The kind as the data says it: the column's text, or the label of the
	 * registry row its key names (rows whose key names none have no kind).
	 */
	const char *kind = psprintf("x.%s::pg_catalog.text", type_column);
	const char *registry_key;
	const char *label;
	if (OidIsValid(pair->registry) &&
		registry_label_sql(pair->registry, &registry_key, &label))
	{
		kind = label;
		source = psprintf("%s x JOIN %s r ON r.%s OPERATOR(pg_catalog.=) x.%s",
						  source, qualified_relation(pair->registry),
						  registry_key, type_column);
	}
	else
		source = psprintf("%s x", source);
	char *sql = psprintf("SELECT DISTINCT %s COLLATE \"C\" "
						 "FROM %s WHERE x.%s IS NOT NULL ORDER BY 1",
						 kind, source, type_column);
	if (SPI_execute(sql, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "polyref: reading kinds failed");
	uint64 n = SPI_processed;
	SPITupleTable *rows = SPI_tuptable;
	MemoryContext spi_memory = MemoryContextSwitchTo(caller_memory);
	KindFound *kinds = mcxt_array0<KindFound>(n + 1);
	for (uint64 i = 0; i < n; i++)
		kinds[i].kind = SPI_getvalue(rows->vals[i], rows->tupdesc, 1);
	MemoryContextSwitchTo(spi_memory);

	const char *of_kind =
		psprintf("FROM %s WHERE %s OPERATOR(pg_catalog.=) $1", source, kind);
	const ProposedKey *scope = nullptr; /* the first target's */
	for (uint64 i = 0; i < n; i++)
	{
		KindFound *k = &kinds[i];
		k->target = find_target(k->kind, pair->source, &k->key);
		/*
		 * One association has one scope: a target scoped otherwise than the
		 * first one found is proposed as no target.
		 */
		if (OidIsValid(k->target) && scope != nullptr &&
			!same_scope(*scope, k->key))
			k->target = InvalidOid;
		if (OidIsValid(k->target) && scope == nullptr)
			scope = &k->key;
		k->rows = count_query(
			psprintf("SELECT pg_catalog.count(*) %s", of_kind), k->kind);
		/*
		 * A kind stored with a NULL id (GitLab's notes on commits) makes the
		 * proposal MATCH SIMPLE, which checks no such row: so they are no
		 * orphans, whether the kind names a table or not.
		 */
		k->null_ids = count_query(
			psprintf("SELECT pg_catalog.count(*) %s AND x.%s IS NULL", of_kind,
					 id_column),
			k->kind);
		if (!OidIsValid(k->target))
		{
			k->orphans = k->rows - k->null_ids;
			continue;
		}
		/*
		 * Compared as text: what the types are does not matter for a proposal.
		 * A NULL scope matches nothing: such a row is an orphan (MATCH FULL).
		 */
		const char *key = quote_identifier(k->key.key_column);
		StringInfoData same_scope_test;
		initStringInfo(&same_scope_test);
		for (int c = 0; c < k->key.nscope; c++)
		{
			const char *column = quote_identifier(k->key.scope_columns[c]);
			appendStringInfo(&same_scope_test,
							 " AND t.%s::pg_catalog.text "
							 "OPERATOR(pg_catalog.=) x.%s::pg_catalog.text",
							 column, column);
		}
		k->orphans = count_query(
			psprintf("SELECT pg_catalog.count(*) %s AND x.%s IS "
					 "NOT NULL AND NOT EXISTS"
					 " (SELECT 1 FROM %s t WHERE "
					 "t.%s::pg_catalog.text OPERATOR(pg_catalog.=)"
					 " x.%s::pg_catalog.text%s)",
					 of_kind, id_column, qualified_relation(k->target), key,
					 id_column, same_scope_test.data),
			k->kind);
	}
	*count = (int) n;
	return kinds;
}

/*
 * The polyref.declare(...) call for the kinds that found a table; MATCH
 * SIMPLE when some kind is stored with a NULL id.
 */
static char *
declaration(const ColumnPair *pair, const KindFound *kinds, int n)
{
	StringInfoData targets, labels;
	initStringInfo(&targets);
	initStringInfo(&labels);
	bool orphans = false;
	bool null_ids = false;
	int mapped = 0;
	const ProposedKey *scope = nullptr;
	for (int i = 0; i < n; i++)
	{
		orphans |= kinds[i].orphans > 0;
		null_ids |= kinds[i].null_ids > 0;
		if (!OidIsValid(kinds[i].target))
			continue;
		scope = &kinds[i].key;
		appendStringInfo(
			&targets, "%s%s", mapped ? ", " : "",
			quote_literal_cstr(qualified_relation(kinds[i].target)));
		appendStringInfo(&labels, "%s%s", mapped ? ", " : "",
						 quote_literal_cstr(kinds[i].kind));
		mapped++;
	}
	StringInfoData call;
	initStringInfo(&call);
	appendStringInfo(&call, "SELECT polyref.declare(%s, %s",
					 quote_literal_cstr(qualified_relation(pair->source)),
					 quote_literal_cstr(pair->association));
	if (mapped > 0)
		appendStringInfo(
			&call, ", targets => ARRAY[%s]::regclass[], kinds => ARRAY[%s]",
			targets.data, labels.data);
	char *default_type = psprintf("%s_type", pair->association);
	char *default_id = psprintf("%s_id", pair->association);
	if (strcmp(pair->type_column, default_type) != 0)
		appendStringInfo(&call, ", type_column => %s",
						 quote_literal_cstr(pair->type_column));
	if (strcmp(pair->id_column, default_id) != 0)
		appendStringInfo(&call, ", id_column => %s",
						 quote_literal_cstr(pair->id_column));
	if (orphans)
		appendStringInfoString(&call, ", validate => false");
	if (null_ids)
		appendStringInfoString(&call, ", match_type => 'simple'");
	if (OidIsValid(pair->registry))
		appendStringInfo(
			&call, ", kind_registry => %s",
			quote_literal_cstr(qualified_relation(pair->registry)));
	if (scope != nullptr && scope->nscope > 0)
	{
		appendStringInfoString(&call, ", scope_columns => ARRAY[");
		for (int c = 0; c < scope->nscope; c++)
			appendStringInfo(&call, "%s%s", c > 0 ? ", " : "",
							 quote_literal_cstr(scope->scope_columns[c]));
		appendStringInfoString(&call, "]::name[]");
	}
	appendStringInfoString(&call, ");");
	return call.data;
}

} // namespace polyref

using namespace polyref;

POLYREF_FUNCTION(polyref_discover)
{
	InitMaterializedSRF(fcinfo, 0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	spi_open();
	int npairs;
	ColumnPair *pairs =
		find_pairs(PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0),
				   PG_ARGISNULL(0), &npairs);
	for (int p = 0; p < npairs; p++)
	{
		int nkinds;
		KindFound *kinds = read_kinds(&pairs[p], &nkinds);
		char *call = declaration(&pairs[p], kinds, nkinds);
		for (int k = 0; k < nkinds; k++)
		{
			Datum values[9] = {
				ObjectIdGetDatum(pairs[p].source),
				CStringGetTextDatum(pairs[p].association),
				DirectFunctionCall1(namein,
									CStringGetDatum(pairs[p].type_column)),
				DirectFunctionCall1(namein,
									CStringGetDatum(pairs[p].id_column)),
				CStringGetTextDatum(kinds[k].kind),
				ObjectIdGetDatum(kinds[k].target),
				Int64GetDatum(kinds[k].rows),
				Int64GetDatum(kinds[k].orphans),
				CStringGetTextDatum(call)
			};
			bool nulls[9] = { false, false, false,
							  false, false, !OidIsValid(kinds[k].target),
							  false, false, false };
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values,
								 nulls);
		}
	}
	spi_close();
	return (Datum) 0;
}
