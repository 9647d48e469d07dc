/*
 * canonical_id.hpp — SPEC's text-id rule.
 *
 * When the id column is text and a kind's key is not (bigint for posts, uuid
 * for videos), the id must be the key's canonical text form: '42', not '042'
 * nor ' 42'.  Then a lookup from either side agrees: the source parses the
 * id into a key, the target prints its key to find referencing ids.
 */
#pragma once

#include "catalog.hpp"

namespace polyref {

/*
 * Parses a text id into the target's key type.  False when the text is not
 * a key's canonical form (a reference that cannot be present): the key type's
 * input function rejected it with a data exception (class 22), or accepted
 * it but prints the key otherwise.  Any other error it raises goes on as is.
 */
bool canonical_key(TargetRef *target, Datum id_text, Datum *key);

/*
 * Key types whose canonical form canonical_key checks itself, without the
 * type's input function and its subtransaction: smallint, integer, bigint
 * and uuid.
 */
bool has_fast_canonical_form(Oid key_type);

} // namespace polyref
