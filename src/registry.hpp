/*
 * registry.hpp — kind registries (SPEC, Kind registries).
 *
 * Django's GenericForeignKey stores the kind as content_type_id, the key of a
 * row of django_content_type, whose natural key (app_label, model) is what
 * the application means.  An association declared with kind_registry =>
 * 'django_content_type' has labels ('shop.article') for kinds; its image
 * (catalog.hpp) maps each label to the key of the registry row carrying it,
 * read once per build, so a source check compares the stored key with a few
 * cached values as it compares a stored label.
 *
 * The map follows the registry: polyref_registry, a row trigger on the
 * registry table, invalidates the relcache entry of the registry (watched
 * by every image), so each session rebuilds at its next use after the
 * change commits, and the changing session at its next command.  A check
 * that finds no kind for a key looks again after taking in pending
 * invalidations (registry_refresh_kind), so a registry row committed since
 * the image was built is never refused.
 *
 * Concurrency is native: the source check locks the registry row FOR KEY
 * SHARE (as a native foreign key from the kind column to the registry does),
 * so a concurrent delete or relabel of that row (a key update: its label
 * columns form a unique key) waits for the check's transaction, and the
 * trigger's check of a deleted key reads with a crosscheck snapshot.
 */
#pragma once

#include "catalog.hpp"

namespace polyref {

/* The registry's labels and keys as one image read them (sorted by label). */
struct RegistryMap;

/*
 * The registry's key as a target of the kind column (NULL with a WARNING when
 * the registry no longer has a usable key); for the FOR KEY SHARE lock.
 */
TargetRef *registry_target(Association *a);

/* Reads every label and key of a's registry, as its owner, latest snapshot. */
const RegistryMap *registry_read(Association *a);

/* The key (as text) of the registry row labelled label; NULL when none. */
const char *registry_key_text(const RegistryMap *map, const char *label);

/*
 * SELECT key FROM registry WHERE <label> = 'label': the key of the registry
 * row labelled so, as a scalar subquery for SQL that is kept (join views).
 */
char *registry_key_query(Association *a, const char *label);

/*
 * A registry's key column and its label as SQL over alias r (false when it
 * has no single-column primary key and one other unique key): discover.
 */
bool registry_label_sql(Oid registry, const char **key_column,
						const char **label);

/*
 * Checks what declare needs of a registry and of the kind column (42830: no
 * single-column primary key, or not exactly one other unique key; 42804: a
 * kind column that is not an integer type comparable with the key).
 */
void check_kind_registry(Oid registry, Oid source, const char *type_column);

/*
 * A source check found no kind for the value it holds: takes in the
 * invalidations that arrived since (a registry row committed by another
 * session) and, if the image changed, the association in the new image;
 * NULL when nothing changed.
 */
Association *registry_refresh(Association *a, Catalog **catalog);

} // namespace polyref
