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
		SourceColumns columns =
			source_columns_in(catalog, a, RelationGetRelid(rel));
		if (!inserted_by_this_transaction(td->tg_trigslot) &&
			column_unchanged(rel, td->tg_trigslot, row, columns.type_attnum) &&
			column_unchanged(rel, td->tg_trigslot, row, columns.id_attnum))
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

/* The old key when this event removes it from the target, or false. */
static bool
removed_key(Catalog *catalog, TargetRef *target, TriggerData *td, Datum *key)
{
	Relation rel = td->tg_relation;
	AttrNumber key_attnum = key_attnum_in(catalog, target, td);
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event) &&
		column_unchanged(rel, td->tg_trigslot, td->tg_newslot, key_attnum))
		return false;
	bool isnull;
	*key = slot_getattr(td->tg_trigslot, key_attnum, &isnull);
	return !isnull;
}

static bool
still_referenced(TargetRef *target, Datum key)
{
	Datum values[4];
	source_plan_params(target, &key, nullptr, values);
	return run_plan(source_plan(target, KeptPlan::Referencing),
					target->association->source_owner, values, nullptr, true,
					1) > 0;
}

/*
 * NO ACTION (ri_restrict with is_no_action): passes when the key was created
 * again before the check ran, or when nothing references it any more.
 */
static void
check_key_removal(TargetRef *target, TriggerData *td, Datum key)
{
	spi_open();
	if (run_plan(key_exists_plan(target), target->owner, &key, nullptr, true,
				 1) == 0 &&
		still_referenced(target, key))
		report_still_referenced(target, td->tg_relation, key, false);
	spi_close();
}

/* RESTRICT, CASCADE, SET NULL, SET DEFAULT: at the end of the statement. */
static void
apply_action(Catalog *catalog, TargetRef *target, TriggerData *td,
			 Action action, Datum key)
{
	bool is_delete = TRIGGER_FIRED_BY_DELETE(td->tg_event);
	Oid source_owner = target->association->source_owner;
	Datum new_key = (Datum) 0;
	if (action == Action::Cascade && !is_delete)
	{
		bool isnull;
		new_key = slot_getattr(td->tg_newslot,
							   key_attnum_in(catalog, target, td), &isnull);
		if (isnull)
			action = Action::SetNull; /* a NULL key references nothing */
	}
	Datum values[4];
	source_plan_params(
		target, &key,
		action == Action::Cascade && !is_delete ? &new_key : nullptr, values);

	spi_open();
	switch (action)
	{
		case Action::NoAction:
			break;
		case Action::Restrict:
			if (still_referenced(target, key))
				report_still_referenced(target, td->tg_relation, key, true);
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
			check_key_removal(target, td, key);
			return;
	}
	spi_close();
}

static void
ignore_violation(Datum, Datum, const char *, const char *, Oid, void *)
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
				if (association_action(target->association, is_delete) ==
						Action::NoAction &&
					removed_key(catalog, target, td, &key))
					check_key_removal(target, td, key);
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
			if (action != Action::NoAction &&
				removed_key(catalog, target, td, &key))
				apply_action(catalog, target, td, action, key);
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
			Datum values[4];
			source_plan_params(target, nullptr, nullptr, values);
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
