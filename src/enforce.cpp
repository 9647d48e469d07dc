/*
 * enforce.cpp — the trigger functions that enforce associations.
 *
 *   polyref.constraint_trigger()  the deferrable constraint trigger named
 *       after the association: checks new references (source side) and the
 *       NO ACTION rule (target side).  Follows SET CONSTRAINTS.
 *   polyref.action_trigger()      RESTRICT, CASCADE, SET NULL and SET
 *       DEFAULT on the target side, at the end of the statement.
 *   polyref.truncate_trigger()    refuses TRUNCATE of a referenced target.
 *
 * Each follows the matching function of ri_triggers.c: the same skips, the
 * same queries, snapshots, row locks and owner switch.
 */
#include "boundary.hpp"
#include "catalog.hpp"
#include "citus.hpp"
#include "pending_checks.hpp"
#include "queries.hpp"
#include "report.hpp"
#include "source_check.hpp"
#include "spi_util.hpp"
#include "validation.hpp"

#include <cstring>

namespace polyref {

static TriggerData *
row_trigger_data(FunctionCallInfo fcinfo, const char *function)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by trigger manager",
						function)));
	TriggerData *td = (TriggerData *) fcinfo->context;
	if (!TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired AFTER ROW", function)));
	return td;
}

static bool
column_unchanged(Relation rel, TupleTableSlot *old_row, TupleTableSlot *new_row,
				 AttrNumber attnum)
{
	bool old_null, new_null;
	Datum old_value = slot_getattr(old_row, attnum, &old_null);
	Datum new_value = slot_getattr(new_row, attnum, &new_null);
	if (old_null || new_null)
		return old_null && new_null;
	/*
	 * Bytewise, as RI_FKey_pk_upd_check_required: a change a cascade must carry
	 * counts.
	 */
	Form_pg_attribute attribute =
		TupleDescAttr(RelationGetDescr(rel), attnum - 1);
	return datum_image_eq(old_value, new_value, attribute->attbyval,
						  attribute->attlen);
}

static bool
inserted_by_this_transaction(TupleTableSlot *row)
{
#if PG_VERSION_NUM >= 170000
	return slot_is_current_xact_tuple(row);
#else
	bool isnull;
	Datum xmin = slot_getsysattr(row, MinTransactionIdAttributeNumber, &isnull);
	return !isnull &&
		   TransactionIdIsCurrentTransactionId(DatumGetTransactionId(xmin));
#endif
}

/* ------------------------------------------------------------------------
 * Source side: is the new (kind, id) present?  (RI_FKey_check)
 */

/* Whether an UPDATE left the kind, the id and every scope column as they were.
 */
static bool
reference_unchanged(Catalog *catalog, Association *a, Relation rel,
					TupleTableSlot *old_row, TupleTableSlot *new_row)
{
	SourceColumns columns =
		source_columns_in(catalog, a, RelationGetRelid(rel));
	if (!column_unchanged(rel, old_row, new_row, columns.type_attnum) ||
		!column_unchanged(rel, old_row, new_row, columns.id_attnum))
		return false;
	for (int i = 0; i < a->nscope; i++)
		if (!column_unchanged(rel, old_row, new_row, columns.scope_attnums[i]))
			return false;
	return true;
}

static void
check_new_reference(Catalog *catalog, Association *a, TriggerData *td)
{
	Relation rel = td->tg_relation;
	TupleTableSlot *row = td->tg_trigslot;
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
	{
		row = td->tg_newslot;
		/*
		 * An unchanged reference needs no check, unless the old version was
		 * inserted by this transaction: its INSERT check will find that
		 * version dead and pass, so this one must look.
		 */
		if (!inserted_by_this_transaction(td->tg_trigslot) &&
			reference_unchanged(catalog, a, rel, td->tg_trigslot, row))
			return;
	}
	/*
	 * A version deleted or updated since is checked by its successor's event,
	 * if any.
	 */
	if (!table_tuple_satisfies_snapshot(rel, row, SnapshotSelf))
		return;
	check_row_reference(catalog, a, rel, row, KeyCheck::MayWait,
						GetCurrentSubTransactionId());
}

/* ------------------------------------------------------------------------
 * Target side
 */

/*
 * Where the target's key column is in the relation the event is on (the table
 * or a partition).
 */
static AttrNumber
key_attnum_in(Catalog *catalog, TargetRef *target, TriggerData *td)
{
	return catalog_attnum_in(catalog, target->relid, target->key_attnum,
							 RelationGetRelid(td->tg_relation));
}

/*
 * The key a target row holds, and its scope values (target->nscope of them,
 * in scope_columns order), from a row of the relation the event is on.
 * False when one is NULL: such a row is referenced by nothing.
 */
static bool
row_key(Catalog *catalog, TargetRef *target, TriggerData *td,
		TupleTableSlot *row, Datum *key, Datum **scope)
{
	bool isnull;
	*key = slot_getattr(row, key_attnum_in(catalog, target, td), &isnull);
	if (isnull)
		return false;
	*scope = target->nscope > 0 ? mcxt_array<Datum>(target->nscope) : nullptr;
	Oid relid = RelationGetRelid(td->tg_relation);
	for (int i = 0; i < target->nscope; i++)
	{
		AttrNumber attnum = catalog_attnum_in(catalog, target->relid,
											  target->scope[i].attnum, relid);
		(*scope)[i] = slot_getattr(row, attnum, &isnull);
		if (isnull)
			return false;
	}
	return true;
}

/*
 * Whether an UPDATE left the key and every scope column's bytes as they
 * were.
 */
static bool
key_unchanged(Catalog *catalog, TargetRef *target, TriggerData *td)
{
	Relation rel = td->tg_relation;
	if (!column_unchanged(rel, td->tg_trigslot, td->tg_newslot,
						  key_attnum_in(catalog, target, td)))
		return false;
	for (int i = 0; i < target->nscope; i++)
		if (!column_unchanged(rel, td->tg_trigslot, td->tg_newslot,
							  catalog_attnum_in(catalog, target->relid,
												target->scope[i].attnum,
												RelationGetRelid(rel))))
			return false;
	return true;
}

/*
 * The old key (and scope) when this event removes it from the target, or
 * false.
 */
static bool
removed_key(Catalog *catalog, TargetRef *target, TriggerData *td, Datum *key,
			Datum **scope)
{
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event) &&
		key_unchanged(catalog, target, td))
		return false;
	return row_key(catalog, target, td, td->tg_trigslot, key, scope);
}

static bool
still_referenced(TargetRef *target, Datum key, const Datum *scope)
{
	Datum *values = source_plan_params(target, &key, scope, nullptr, nullptr);
	return run_plan(source_plan(target, KeptPlan::Referencing),
					target->association->source_owner, values, nullptr, true,
					1) > 0;
}

/*
 * NO ACTION (ri_restrict with is_no_action): passes when the key was created
 * again before the check ran, or when nothing references it any more.
 */
static void
check_key_removal(TargetRef *target, TriggerData *td, Datum key,
				  const Datum *scope)
{
	Datum *values = mcxt_array<Datum>(target->nscope + 1);
	values[0] = key;
	for (int i = 0; i < target->nscope; i++)
		values[i + 1] = scope[i];
	spi_open();
	if (run_plan(key_exists_plan(target), target->owner, values, nullptr, true,
				 1) == 0 &&
		still_referenced(target, key, scope))
		report_still_referenced(target, td->tg_relation, key, scope, false);
	spi_close();
}

/* RESTRICT, CASCADE, SET NULL, SET DEFAULT: at the end of the statement. */
static void
apply_action(Catalog *catalog, TargetRef *target, TriggerData *td,
			 Action action, Datum key, const Datum *scope)
{
	bool is_delete = TRIGGER_FIRED_BY_DELETE(td->tg_event);
	Oid source_owner = target->association->source_owner;
	Datum new_key = (Datum) 0;
	Datum *new_scope = nullptr;
	if (action == Action::Cascade && !is_delete &&
		!row_key(catalog, target, td, td->tg_newslot, &new_key, &new_scope))
		action = Action::SetNull; /* a NULL key references nothing */
	Datum *values = source_plan_params(
		target, &key, scope,
		action == Action::Cascade && !is_delete ? &new_key : nullptr,
		new_scope);

	spi_open();
	switch (action)
	{
		case Action::NoAction:
			break;
		case Action::Restrict:
			if (still_referenced(target, key, scope))
				report_still_referenced(target, td->tg_relation, key, scope,
										true);
			break;
		case Action::Cascade:
			run_plan(source_plan(target, is_delete ? KeptPlan::CascadeDelete
												   : KeptPlan::CascadeUpdate),
					 source_owner, values, nullptr, true, 0);
			break;
		case Action::SetNull:
			run_plan(source_plan(target, KeptPlan::SetNull), source_owner,
					 values, nullptr, true, 0);
			break;
		case Action::SetDefault:
			run_plan(source_plan(target, KeptPlan::SetDefault), source_owner,
					 values, nullptr, true, 0);
			/*
			 * A row whose defaults are this very key was "updated" to what it
			 * had, so its own check is skipped: look now (as ri_set does).
			 */
			spi_close();
			check_key_removal(target, td, key, scope);
			return;
	}
	spi_close();
}

static void
ignore_violation(Datum, Datum, const char *, const char *, const char *const *,
				 Oid, void *)
{}

} // namespace polyref

using namespace polyref;

POLYREF_FUNCTION(polyref_constraint_trigger)
{
	TriggerData *td = row_trigger_data(fcinfo, "polyref.constraint_trigger");
	Catalog *catalog = catalog_current();
	Oid relid =
		catalog_declared_table(catalog, RelationGetRelid(td->tg_relation));
	const char *name =
		catalog_association_name(catalog, relid, td->tg_trigger->tgname);
	bool serves_an_association = false;

	if (TRIGGER_FIRED_BY_INSERT(td->tg_event) ||
		TRIGGER_FIRED_BY_UPDATE(td->tg_event))
	{
		Association *a = catalog_find(catalog, relid, name);
		if (a != nullptr)
		{
			serves_an_association = true;
			check_new_reference(catalog, a, td);
		}
	}
	if (TRIGGER_FIRED_BY_DELETE(td->tg_event) ||
		TRIGGER_FIRED_BY_UPDATE(td->tg_event))
	{
		bool is_delete = TRIGGER_FIRED_BY_DELETE(td->tg_event);
		/* Source checks fired before this event run before it, as natively. */
		pending_checks_run();
		if (const McxtVector<TargetRef *> *targets =
				catalog_targets_on(catalog, relid))
			for (TargetRef *target : *targets)
			{
				if (strcmp(target->association->name, name) != 0)
					continue;
				serves_an_association = true;
				Datum key;
				Datum *scope;
				if (association_action(target->association, is_delete) ==
						Action::NoAction &&
					removed_key(catalog, target, td, &key, &scope))
					check_key_removal(target, td, key, scope);
			}
	}
	/*
	 * A target's trigger (it carries no declaration) that Citus copied onto a
	 * shard of a node holding no shard of the source: nothing here refers
	 * to the row.
	 */
	if (!serves_an_association && td->tg_trigger->tgnargs == 0 &&
		!TRIGGER_FIRED_BY_INSERT(td->tg_event) &&
		citus_copied_trigger(td->tg_relation, td->tg_trigger->tgname))
		return PointerGetDatum(NULL);
	if (!serves_an_association)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("trigger \"%s\" on table \"%s\" enforces no "
							   "declared association",
							   td->tg_trigger->tgname,
							   RelationGetRelationName(td->tg_relation)),
						errhint("Drop the trigger, or declare the association "
								"with polyref.declare().")));
	return PointerGetDatum(NULL);
}

POLYREF_FUNCTION(polyref_action_trigger)
{
	TriggerData *td = row_trigger_data(fcinfo, "polyref.action_trigger");
	if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
		return PointerGetDatum(NULL);
	bool is_delete = TRIGGER_FIRED_BY_DELETE(td->tg_event);
	Catalog *catalog = catalog_current();
	Oid relid =
		catalog_declared_table(catalog, RelationGetRelid(td->tg_relation));
	/* Source checks fired before this event run before it, as natively. */
	pending_checks_run();
	if (const McxtVector<TargetRef *> *targets =
			catalog_targets_on(catalog, relid))
		for (TargetRef *target : *targets)
		{
			Action action = association_action(target->association, is_delete);
			Datum key;
			Datum *scope;
			if (action != Action::NoAction &&
				removed_key(catalog, target, td, &key, &scope))
				apply_action(catalog, target, td, action, key, scope);
		}
	return PointerGetDatum(NULL);
}

POLYREF_FUNCTION(polyref_truncate_trigger)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
						errmsg("function \"polyref.truncate_trigger\" was not "
							   "called by trigger manager")));
	TriggerData *td = (TriggerData *) fcinfo->context;
	Catalog *catalog = catalog_current();
	Oid relid =
		catalog_declared_table(catalog, RelationGetRelid(td->tg_relation));
	const McxtVector<TargetRef *> *targets = catalog_targets_on(catalog, relid);
	if (targets == nullptr)
		return PointerGetDatum(NULL);
	/*
	 * TRUNCATE of a Citus table on the coordinator: each shard's copy of
	 * this trigger looks at the shards of its node (citus.hpp).
	 */
	if (citus_has_shards(relid))
		return PointerGetDatum(NULL);
	/*
	 * Fired after every table of the command was truncated: a source
	 * truncated with its target is empty by now.  A whole plain target has
	 * no keys left, so any row of its kinds is a reference to a missing key;
	 * a partition takes only some keys with it, so look for those.
	 */
	bool whole_plain_table =
		relid == RelationGetRelid(td->tg_relation) &&
		td->tg_relation->rd_rel->relkind == RELKIND_RELATION;
	spi_open();
	for (TargetRef *target : *targets)
	{
		bool referenced;
		if (whole_plain_table)
		{
			Datum *values =
				source_plan_params(target, nullptr, nullptr, nullptr, nullptr);
			referenced = run_plan(source_plan(target, KeptPlan::TruncateProbe),
								  target->association->source_owner, values,
								  nullptr, true, 1) > 0;
		}
		else
		{
			ViolationScope scope;
			scope.only_target = target;
			referenced = find_violations(target->association, scope, 1,
										 ignore_violation, nullptr) > 0;
		}
		if (referenced)
		{
			const char *source_name = get_rel_name(target->association->source);
			ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							errmsg("cannot truncate a table referenced in a "
								   "foreign key constraint"),
							errdetail("Table \"%s\" references \"%s\" through "
									  "association \"%s\".",
									  source_name,
									  RelationGetRelationName(td->tg_relation),
									  target->association->name),
							errhint("Truncate table \"%s\" at the same time.",
									source_name)));
		}
	}
	spi_close();
	return PointerGetDatum(NULL);
}
