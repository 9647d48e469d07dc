/*
 * diagram.cpp — polyref.diagram(format): every association as a Mermaid
 * erDiagram or as AML (Azimutt Markup Language), one relation per kind.
 */
#include "arguments.hpp"
#include "boundary.hpp"
#include "spi_util.hpp"

#include <cstring>

using namespace polyref;

namespace {

bool
is_word_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool
is_word_char(char c)
{
	return is_word_start(c) || (c >= '0' && c <= '9');
}

/* Text inside a Mermaid double-quoted string: no quote, no line break. */
char *
mermaid_text(const char *text)
{
	StringInfoData out;
	initStringInfo(&out);
	for (const char *p = text; *p; p++)
	{
		if (*p == '"')
			appendStringInfoString(&out, "#quot;");
		else if (*p == '\n' || *p == '\r')
			appendStringInfoChar(&out, ' ');
		else
			appendStringInfoChar(&out, *p);
	}
	return out.data;
}

/*
 * A Mermaid entity name: a word (hyphens allowed), else double-quoted, where
 * Mermaid takes anything but a double quote, %, a backslash or a line break
 * (those become ' and _).
 */
const char *
mermaid_name(const char *name)
{
	bool plain = is_word_start(name[0]);
	for (const char *p = name; *p && plain; p++)
		plain = is_word_char(*p) || *p == '-';
	if (plain)
		return name;
	StringInfoData out;
	initStringInfo(&out);
	appendStringInfoChar(&out, '"');
	for (const char *p = name; *p; p++)
	{
		if (*p == '"')
			appendStringInfoChar(&out, '\'');
		else if (*p == '%' || *p == '\\' || (unsigned char) *p < ' ')
			appendStringInfoChar(&out, '_');
		else
			appendStringInfoChar(&out, *p);
	}
	appendStringInfoChar(&out, '"');
	return out.data;
}

/*
 * An AML identifier: [a-zA-Z_][a-zA-Z0-9_#]* and no keyword, else "..." with \
 * and " escaped.
 */
const char *
aml_identifier(const char *name)
{
	static const char *const keywords[] = {
		"namespace", "as",   "nullable", "pk",   "index", "unique", "check",
		"rel",       "type", "fk",       "null", "true",  "false"
	};
	bool plain = is_word_start(name[0]);
	for (const char *p = name; *p && plain; p++)
		plain = is_word_char(*p) || *p == '#';
	for (const char *keyword : keywords)
		plain = plain && pg_strcasecmp(name, keyword) != 0;
	if (plain)
		return name;
	StringInfoData out;
	initStringInfo(&out);
	appendStringInfoChar(&out, '"');
	for (const char *p = name; *p; p++)
	{
		if (*p == '"' || *p == '\\')
			appendStringInfoChar(&out, '\\');
		appendStringInfoChar(&out, *p);
	}
	appendStringInfoChar(&out, '"');
	return out.data;
}

/* Tables of schema public by their name alone, others as schema.table. */
const char *
mermaid_table(const char *schema, const char *table)
{
	return mermaid_name(strcmp(schema, "public") == 0
							? table
							: psprintf("%s.%s", schema, table));
}

const char *
aml_table(const char *schema, const char *table)
{
	if (strcmp(schema, "public") == 0)
		return aml_identifier(table);
	return psprintf("%s.%s", aml_identifier(schema), aml_identifier(table));
}

const char *const diagram_query =
	"SELECT sn.nspname::pg_catalog.text, sc.relname::pg_catalog.text, "
	"a.association,"
	"       a.type_column::pg_catalog.text, a.id_column::pg_catalog.text, "
	"t.kind,"
	"       tn.nspname::pg_catalog.text, tc.relname::pg_catalog.text, "
	"t.key_column::pg_catalog.text"
	"  FROM polyref.associations a"
	"  JOIN polyref.targets t ON t.source OPERATOR(pg_catalog.=) a.source"
	"                        AND t.association OPERATOR(pg_catalog.=) "
	"a.association"
	"  JOIN pg_catalog.pg_class sc ON sc.oid OPERATOR(pg_catalog.=) "
	"a.source::pg_catalog.oid"
	"  JOIN pg_catalog.pg_namespace sn ON sn.oid OPERATOR(pg_catalog.=) "
	"sc.relnamespace"
	"  JOIN pg_catalog.pg_class tc ON tc.oid OPERATOR(pg_catalog.=) "
	"t.target::pg_catalog.oid"
	"  JOIN pg_catalog.pg_namespace tn ON tn.oid OPERATOR(pg_catalog.=) "
	"tc.relnamespace"
	" ORDER BY CASE WHEN sn.nspname OPERATOR(pg_catalog.=) 'public' THEN "
	"sc.relname::pg_catalog.text"
	"               ELSE pg_catalog.concat(sn.nspname, '.', sc.relname) END "
	"COLLATE \"C\","
	"          a.association COLLATE \"C\", t.kind COLLATE \"C\","
	"          CASE WHEN tn.nspname OPERATOR(pg_catalog.=) 'public' THEN "
	"tc.relname::pg_catalog.text"
	"               ELSE pg_catalog.concat(tn.nspname, '.', tc.relname) END "
	"COLLATE \"C\"";

} // namespace

POLYREF_FUNCTION(polyref_diagram)
{
	require_argument(fcinfo, 0, "format");
	const char *format = text_argument(fcinfo, 0);
	bool mermaid = pg_strcasecmp(format, "mermaid") == 0;
	if (!mermaid && pg_strcasecmp(format, "aml") != 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("unknown diagram format \"%s\"", format),
						errhint("Use 'mermaid' or 'aml'.")));

	StringInfoData diagram;
	initStringInfo(&diagram);
	if (mermaid)
		appendStringInfoString(&diagram, "erDiagram");
	spi_open();
	int rc = SPI_execute(diagram_query, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "polyref: reading the associations failed: %s",
			 SPI_result_code_string(rc));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple tuple = SPI_tuptable->vals[i];
		TupleDesc desc = SPI_tuptable->tupdesc;
		char *field[9];
		for (int f = 0; f < 9; f++)
			field[f] = SPI_getvalue(tuple, desc, f + 1);
		if (mermaid)
			/* comments }o--|| posts : "commentable (Post)" */
			appendStringInfo(
				&diagram, "\n    %s }o--|| %s : \"%s\"",
				mermaid_table(field[0], field[1]),
				mermaid_table(field[6], field[7]),
				mermaid_text(psprintf("%s (%s)", field[2], field[5])));
		else
			/* rel comments(commentable_id) -commentable_type=Post> posts(id) */
			appendStringInfo(
				&diagram, "%srel %s(%s) -%s=%s> %s(%s)", i > 0 ? "\n" : "",
				aml_table(field[0], field[1]), aml_identifier(field[4]),
				aml_identifier(field[3]), aml_identifier(field[5]),
				aml_table(field[6], field[7]), aml_identifier(field[8]));
	}
	spi_close();
	PG_RETURN_TEXT_P(cstring_to_text(diagram.data));
}
