"""Every write and every workflow transition of a campaign (DESIGN.md, "Workflow").

Each public function is one transition or edit: it runs in a transaction, locks
the campaign row, asks the workflow's table (`campaigns.workflow.ensure_allowed`)
whether the actor may take that action from the current state, changes the
campaign with `save(update_fields=...)`, writes reservations or releases them,
writes one audit event, tells `mopsync.versions` that the data changed, and queues
notifications after commit.

Whatever the door (web form, API, admin action, scheduled task), it comes here.
Refusals are `mopsync.errors` exceptions; nothing is changed when one is raised.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from campaigns import metrics, notifications, plan_changes, selectors, workflow
from campaigns.models import (
    VALID_FROM,
    AuditEvent,
    Campaign,
    CampaignRegion,
    CampaignSku,
    Channel,
    Comment,
    Delegation,
    Notification,
    PostCampaignReview,
    Preference,
    PromoWindow,
    Status,
)
from campaigns.notifications import queue_notification
from campaigns.validation import clean_plan
from campaigns.workflow import BOTH_TEAMS, DIMENSIONS, needed_dimensions
from capacity import checks
from capacity.models import CourierLane, Dimension, Reservation, SignOff, SignOffLine, Sku, SupportTeam, Warehouse
from capacity.selectors import load_snapshot
from mopsync import versions
from mopsync.errors import CapacityTaken, InvalidInput, NotPermitted, Rule, TransitionNotAllowed
from mopsync.roles import ALL_ROLES, MARKETING, OPS_LEAD, can_read, keeps
from mopsync.validation import FieldErrors, clean_date, clean_text

# Fields of a plan and the sign-off dimensions a change to them touches (rule 3).
COSMETIC_FIELDS = ("name", "brief", "channel", "budget", "expected_order_value", "auto_pause_on_stockout")
PLAN_MODEL_FIELDS = (
    "name", "brief", "channel", "starts_on", "ends_on", "forecast_basis", "sessions_per_day", "conversion_rate",
    "orders_per_day", "units_per_order", "cod_share", "delivery_promise_days", "budget", "expected_order_value",
    "auto_pause_on_stockout",
)  # fmt: skip


# --------------------------------------------------------------------------- helpers


def _lock(campaign: Campaign) -> Campaign:
    """Re-read the campaign under a row lock: the state we act on is the state in the database.
    NO KEY UPDATE (see `_lock_resources`): rows that merely refer to it are not blocked."""
    return selectors.campaign_list().select_for_update(of=("self",), no_key=True).get(pk=campaign.pk)


def _audit(campaign: Campaign, actor, action: str, from_status: str, *, comment: str = "", changes=None) -> None:
    """Rule 5: every change of state, edit and sign-off is an append-only audit event."""
    AuditEvent.objects.create(
        campaign=campaign,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=campaign.status,
        plan_version=campaign.plan_version,
        comment=comment,
        changes=changes or {},
    )


def _clean_comment(comment: Any, *, required: bool = False) -> str:
    errors = FieldErrors()
    value = clean_text(comment, field="comment", errors=errors, max_length=5000, required=required, multiline=True)
    if errors:
        raise InvalidInput(dict(errors))
    return value or ""


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _plan_values(campaign: Campaign) -> dict[str, Any]:
    values = {name: getattr(campaign, name) for name in PLAN_MODEL_FIELDS}
    values["skus"] = [(line.sku, line.share) for line in campaign.sku_lines.all()]
    values["regions"] = [(line.region, line.share) for line in campaign.region_lines.all()]
    return values


_jsonable = plan_changes.jsonable  # a plan value as the audit trail records it


def _mark_signed_off(campaign: Campaign) -> list[str]:
    """What ops decided on is now the plan to compare with: no changes since (the fields
    `save` must write)."""
    campaign.signed_off_plan = plan_changes.snapshot(_plan_values(campaign))
    campaign.changes_since_signoff = []
    return ["signed_off_plan", "changes_since_signoff"]


def _note_changes(campaign: Campaign, plan: dict[str, Any]) -> list[str]:
    """The changes from the plan ops last decided on to `plan` (`_plan_values`), kept on
    the campaign for the queue, its page and the API (the fields `save` must write).
    A plan never submitted has nothing to compare with."""
    if not campaign.signed_off_plan:
        return []
    campaign.changes_since_signoff = plan_changes.diff(campaign.signed_off_plan, plan_changes.snapshot(plan))
    return ["changes_since_signoff"]


def _lines_key(lines) -> dict[int, Decimal]:
    return {obj.pk: Decimal(share) for obj, share in lines}


def ships_from(region_lines) -> dict[int | None, Decimal]:
    """Where a plan's units ship from: each warehouse's share of the orders (None: regions
    without a warehouse, which draw on the whole network), from (region, share) lines.
    The inventory dimension holds stock per SKU at exactly these pools
    (`capacity.checks.plan_reservations`)."""
    pools: dict[int | None, Decimal] = {}
    for region, share in region_lines:
        share = Decimal(share)
        if share > 0:
            pools[region.warehouse_id] = pools.get(region.warehouse_id, Decimal(0)) + share
    return pools


def _write_lines(campaign: Campaign, cleaned: dict[str, Any]) -> None:
    if cleaned.get("skus") is not None:
        campaign.sku_lines.all().delete()
        CampaignSku.objects.bulk_create(
            [CampaignSku(campaign=campaign, sku=sku, share=share) for sku, share in cleaned["skus"]]
        )
    if cleaned.get("regions") is not None:
        campaign.region_lines.all().delete()
        CampaignRegion.objects.bulk_create(
            [CampaignRegion(campaign=campaign, region=region, share=share) for region, share in cleaned["regions"]]
        )


def _approved_dimensions(campaign: Campaign) -> dict[str, SignOff]:
    """Current approvals, read afresh (the prefetched sign-offs may predate a write)."""
    getattr(campaign, "_prefetched_objects_cache", {}).pop("signoffs", None)
    return campaign.current_approvals()


def _volume_of(signoff: SignOff, campaign: Campaign) -> int:
    """The orders/day an approval lets the campaign run: its cap, and for an inventory
    approval with refused or capped SKUs the approved plan's orders/day
    (`capacity.checks.approved_plan`: the orders of dropped units do not happen)."""
    base = campaign.orders_per_day
    if signoff.dimension == Dimension.INVENTORY and selectors.line_caps(signoff):
        base = selectors.approved_plan_for(campaign, signoff).orders_per_day
    cap = signoff.approved_orders_per_day
    return base if cap is None else min(cap, base)


def _effective_plan(campaign: Campaign, approvals: dict[str, SignOff] | None = None) -> checks.Plan:
    """What the campaign's holds follow: its plan with only the SKUs the covering inventory
    approval let through (capped ones at their cap)."""
    approvals = _approved_dimensions(campaign) if approvals is None else approvals
    return selectors.approved_plan_for(campaign, approvals.get(Dimension.INVENTORY))


def _lock_resources(plan: checks.Plan, dimension: str) -> None:
    """Lock the capacity a dimension draws on, always in the same order (SKUs, then
    warehouses, then lanes; each by id) so that concurrent approvals queue instead
    of deadlocking. `select_for_update` is a no-op on SQLite, where IMMEDIATE
    transactions already serialise writers.

    The locks are FOR NO KEY UPDATE: approvals of the same resources still queue, but
    the foreign-key checks of another transaction's reservations (FOR KEY SHARE on the
    same SKU, warehouse or lane, taken at its COMMIT since the keys are deferred) do
    not wait for them. With FOR UPDATE an inventory and a courier approval deadlocked
    at commit under the soak (each held what the other's reservations refer to)."""
    if dimension == Dimension.INVENTORY:
        skus = Sku.objects.filter(id__in=sorted(line.sku_id for line in plan.skus)).order_by("id")
        list(skus.select_for_update(no_key=True))
    elif dimension == Dimension.SUPPORT:
        list(SupportTeam.objects.order_by("id").select_for_update(no_key=True))
    else:
        list(Warehouse.objects.order_by("id").select_for_update(no_key=True))
        region_ids = sorted(line.region_id for line in plan.regions)
        list(CourierLane.objects.filter(region_id__in=region_ids).order_by("id").select_for_update(no_key=True))


def _release(campaign: Campaign, dimensions=DIMENSIONS) -> int:
    deleted, _ = Reservation.objects.filter(campaign=campaign, dimension__in=list(dimensions)).delete()
    return deleted


def _reserve(campaign: Campaign, plan: checks.Plan, snap: checks.Snapshot, dimension: str, volume: int) -> None:
    _release(campaign, [dimension])
    Reservation.objects.bulk_create(
        [
            Reservation(
                campaign=campaign,
                dimension=dimension,
                kind=row.kind,
                day=row.day,
                quantity=row.quantity,
                sku_id=row.sku_id,
                warehouse_id=row.warehouse_id,
                lane_id=row.lane_id,
            )
            for row in checks.plan_reservations(plan, snap, dimension, volume)
        ],
        batch_size=1000,
    )


def _shrink(campaign: Campaign, volume: int, dimensions, *, today: dt.date) -> None:
    """Re-write the reservations of `dimensions` at a lower volume (always safe: it frees capacity)."""
    if not dimensions:
        return
    plan = _effective_plan(campaign)
    snap = load_snapshot(plan, today=today, exclude_campaign_id=campaign.pk)
    for dimension in dimensions:
        _reserve(campaign, plan, snap, dimension, volume)


# --------------------------------------------------------------------------- create and edit


@transaction.atomic
def campaign_create(*, actor, data: dict[str, Any]) -> Campaign:
    """Marketing creates a draft plan. Rule: only marketing plans campaigns."""
    step = workflow.ensure_allowed(actor, None, "create")
    cleaned = clean_plan(data)
    fields = {name: cleaned[name] for name in PLAN_MODEL_FIELDS if name in cleaned}
    campaign = Campaign.objects.create(owner=actor, status=step.to_state, **fields)
    _write_lines(campaign, cleaned)
    _audit(campaign, actor, "create", "", changes={k: _jsonable(v) for k, v in cleaned.items()})
    versions.changed(versions.DATA)
    return campaign


@transaction.atomic
def campaign_clone(*, actor, campaign: Campaign) -> Campaign:
    """A new draft owned by `actor` with the source's plan fields and lines ("Copy of …"),
    whatever the source's state (a cancelled plan is a fine start). Its sign-offs,
    reservations and events stay with the source: the copy starts the workflow afresh."""
    step = workflow.ensure_allowed(actor, None, "create")
    source = Campaign.objects.get(pk=campaign.pk)
    fields = {name: getattr(source, name) for name in PLAN_MODEL_FIELDS}
    fields["name"] = f"Copy of {source.name}"[: Campaign._meta.get_field("name").max_length]
    clone = Campaign.objects.create(owner=actor, status=step.to_state, **fields)
    CampaignSku.objects.bulk_create(
        [CampaignSku(campaign=clone, sku_id=line.sku_id, share=line.share) for line in source.sku_lines.all()]
    )
    CampaignRegion.objects.bulk_create(
        [
            CampaignRegion(campaign=clone, region_id=line.region_id, share=line.share)
            for line in source.region_lines.all()
        ]
    )
    _audit(
        clone, actor, "create", "", comment=f"Cloned from “{source.name}” (#{source.pk}).",
        changes={"cloned_from": source.pk},
    )  # fmt: skip
    versions.changed(versions.DATA)
    return clone


# Rule 3, per plan field: the dimensions a change of it voids (SKU and region lines have
# their own rules below). A new dimension says here what moves it.
VOIDED_BY_CHANGE = {
    "starts_on": DIMENSIONS,
    "ends_on": DIMENSIONS,
    "cod_share": (Dimension.COURIER,),
    "delivery_promise_days": (Dimension.COURIER,),
}
VOIDED_BY_INCREASE = {
    "orders_per_day": DIMENSIONS,
    "units_per_order": (Dimension.INVENTORY,),
}


def touched_dimensions(before: dict[str, Any], after: dict[str, Any]) -> tuple[set[str], bool]:
    """Rule 3: which sign-off dimensions a change touches, and whether volume went down.

    SKUs or their shares → inventory; regions, their shares, COD share or the
    delivery promise → courier; dates or volume up → every dimension (customer support
    too: its tickets follow the orders and their days). Units per order up →
    inventory (`VOIDED_BY_CHANGE`, `VOIDED_BY_INCREASE`). Regions that move units to
    other warehouses (a warehouse added or dropped, or a different share shipped from
    one) → inventory too: its stock is held per warehouse, and holds at a warehouse
    the plan no longer ships from are wrong.
    A change of regions served by the same warehouses in the same shares keeps the
    inventory sign-off. Cosmetic fields touch nothing; volume down keeps the sign-offs.
    """
    touched: set[str] = set()
    if _lines_key(before["skus"]) != _lines_key(after["skus"]):
        touched.add(Dimension.INVENTORY)
    if _lines_key(before["regions"]) != _lines_key(after["regions"]):
        touched.add(Dimension.COURIER)
        if ships_from(before["regions"]) != ships_from(after["regions"]):
            touched.add(Dimension.INVENTORY)
    for name, dimensions in VOIDED_BY_CHANGE.items():
        if before[name] != after[name]:
            touched.update(dimensions)
    for name, dimensions in VOIDED_BY_INCREASE.items():
        if after[name] > before[name]:
            touched.update(dimensions)
    went_down = (
        after["orders_per_day"] < before["orders_per_day"] or after["units_per_order"] < before["units_per_order"]
    )
    return touched, went_down


@transaction.atomic
def campaign_update(*, campaign: Campaign, actor, data: dict[str, Any], today: dt.date | None = None) -> Campaign:
    """The owner edits a plan (rule 3).

    A material change after submission bumps the plan version, sends the campaign
    back to `submitted`, and voids the sign-offs and releases the reservations of
    only the dimensions it touches. Cosmetic edits keep everything; volume down
    keeps the sign-offs and shrinks the reservations. A live or paused campaign
    takes only cosmetic edits and volume down (volume up is a scale-up).
    """
    today = _today(today)
    campaign = _lock(campaign)
    workflow.ensure_allowed(actor, campaign, "edit")
    before = _plan_values(campaign)
    cleaned = clean_plan(data, current=before)
    after = {**before, **{k: v for k, v in cleaned.items() if k in before}}
    changes = {
        name: [_jsonable(before[name]), _jsonable(after[name])]
        for name in before
        if (
            _lines_key(before[name]) != _lines_key(after[name])
            if name in ("skus", "regions")
            else before[name] != after[name]
        )
    }
    if not changes:
        return campaign
    touched, went_down = touched_dimensions(before, after)
    touched &= set(needed_dimensions())  # a switched-off dimension has nothing to void
    from_status = campaign.status
    if campaign.status in Status.running() and touched:
        raise TransitionNotAllowed(
            "A live campaign's SKUs, regions, dates and promise are fixed; volume up is a scale-up.",
            code="live_plan_fixed",
        )

    for name in PLAN_MODEL_FIELDS:
        setattr(campaign, name, after[name])
    update_fields = [*PLAN_MODEL_FIELDS, "updated_at", *_note_changes(campaign, after)]
    _write_lines(campaign, cleaned)
    submitted_before = campaign.status != Status.DRAFT
    voided: list[str] = []
    if submitted_before and touched:
        campaign.plan_version += 1
        for dimension in sorted(touched):
            setattr(campaign, f"{dimension}_valid_from", campaign.plan_version)
            voided.append(dimension)
        _release(campaign, voided)
        if campaign.status == Status.APPROVED:
            campaign.status = Status.SUBMITTED
        campaign.approved_orders_per_day = None
        update_fields += [
            "plan_version",
            *VALID_FROM.values(),
            "status",
            "approved_orders_per_day",
        ]
    campaign.save(update_fields=update_fields)

    if submitted_before and went_down:
        # Volume down: keep the sign-offs, shrink what the still-valid ones hold.
        approvals = _approved_dimensions(campaign)
        keep = [d for d in approvals if d not in voided]
        if keep:
            volume = min(_volume_of(approvals[d], campaign) for d in keep)
            _shrink(campaign, volume, keep, today=today)
            if campaign.approved_orders_per_day is not None:
                campaign.approved_orders_per_day = min(campaign.approved_orders_per_day, campaign.orders_per_day)
                campaign.save(update_fields=["approved_orders_per_day", "updated_at"])

    names = {
        field: {obj.code: obj.name for obj, _ in [*before[field], *after[field]]}
        for field in plan_changes.LINES
        if field in changes
    }
    _audit(
        campaign, actor, "edit", from_status,
        changes={"changed": changes, "voided": voided, **({"names": names} if names else {})},
    )  # fmt: skip
    versions.changed(versions.DATA)
    if voided:
        queue_notification(
            kind="plan_changed",
            campaign=campaign,
            subject=f"{campaign.name} changed: {', '.join(voided)} sign-off needed again (v{campaign.plan_version})",
            roles=workflow.signers(voided),
            routed=True,  # an approver away: to their delegate
        )
    return campaign


# --------------------------------------------------------------------------- submit and sign off


@transaction.atomic
def campaign_submit(*, campaign: Campaign, actor, now: dt.datetime | None = None) -> Campaign:
    """The owner submits a plan for ops sign-off.

    Rule 6: a plan submitted less than the lead time before its start is marked
    late notice and escalated to ops leads; the sign-off deadline is worked back
    from the start date. A resubmission after changes were requested is a new plan
    version for the dimensions that still need a decision.
    """
    now = now or timezone.now()
    campaign = _lock(campaign)
    step = workflow.ensure_allowed(actor, campaign, "submit")
    today = timezone.localtime(now).date()
    if campaign.ends_on < today:
        raise InvalidInput({"ends_on": ["The campaign has already ended; plan new dates before submitting."]})
    if campaign.starts_on < today:
        raise InvalidInput({"starts_on": ["The start date has passed; move it to today or later."]})
    if not campaign.sku_lines.all() or not campaign.region_lines.all():
        raise InvalidInput("A plan needs at least one SKU and one region before it can be submitted.")

    approvals = _approved_dimensions(campaign)
    pending = [d for d in needed_dimensions() if d not in approvals]
    decided_here = {s.dimension for s in campaign.signoffs.all() if s.plan_version == campaign.plan_version}
    if any(d in decided_here for d in pending):
        campaign.plan_version += 1
        for dimension in pending:
            setattr(campaign, f"{dimension}_valid_from", campaign.plan_version)

    start = _start_of(campaign.starts_on)
    lead = dt.timedelta(hours=settings.MOPSYNC_LEAD_TIME_HOURS)
    buffer = dt.timedelta(hours=settings.MOPSYNC_SIGNOFF_BUFFER_HOURS)
    campaign.late_notice = start - now < lead
    campaign.signoff_due_at = max(start - buffer, min(now + buffer, start))
    from_status = campaign.status
    campaign.status = step.to_state
    campaign.submitted_at = now
    # Before any sign-off, what changes are counted from is the plan as submitted.
    baseline = [] if campaign.signoffs.all() else _mark_signed_off(campaign)
    campaign.save(
        update_fields=[
            "status", "plan_version", *VALID_FROM.values(),
            "late_notice", "signoff_due_at", "submitted_at", "updated_at", *baseline,
        ]
    )  # fmt: skip
    _audit(
        campaign, actor, "submit", from_status,
        changes={"late_notice": campaign.late_notice, "needs": pending,
                 "signoff_due_at": campaign.signoff_due_at.isoformat()},
    )  # fmt: skip
    versions.changed(versions.DATA)
    # One event, one message per person: the late flag is part of the submission's
    # message, and the ops leads it escalates to are among the signers already.
    subject = f"Sign-off needed: {campaign.name} starts {campaign.starts_on:%d %b}"
    body = ""
    if campaign.late_notice:
        subject = f"Late notice — sign-off needed: {campaign.name} starts {campaign.starts_on:%d %b}"
        body = (
            f"Submitted less than {settings.MOPSYNC_LEAD_TIME_HOURS} hours before it starts: late notice, "
            "escalated to the ops leads."
        )
    queue_notification(
        kind="submitted",
        campaign=campaign,
        subject=subject,
        body=body,
        roles=sorted({*workflow.signers(pending), *([OPS_LEAD] if campaign.late_notice else [])}),
        routed=True,  # an approver away: to their delegate
    )
    return campaign


def _clean_signoff_input(campaign: Campaign, dimension, decision, approved_orders_per_day, comment) -> tuple:
    errors: dict[str, list[str]] = {}
    if dimension not in Dimension.values:
        errors["dimension"] = [f"Must be one of: {', '.join(needed_dimensions())}."]
    if decision not in SignOff.Decision.values:
        errors["decision"] = [f"Must be one of: {', '.join(SignOff.Decision.values)}."]
    cap = approved_orders_per_day
    if cap in ("", None):
        cap = None
    elif isinstance(cap, bool) or not isinstance(cap, int | str):
        errors["approved_orders_per_day"] = ["A whole number is required."]
    else:
        try:
            cap = int(cap)
        except ValueError:
            errors["approved_orders_per_day"] = ["A whole number is required."]
        else:
            if decision != SignOff.Decision.APPROVED:
                errors["approved_orders_per_day"] = ["A cap goes only with an approval."]
            elif not 1 <= cap <= campaign.orders_per_day:
                errors["approved_orders_per_day"] = [f"Must be between 1 and the plan's {campaign.orders_per_day}."]
    try:
        comment = _clean_comment(comment, required=decision in ("changes_requested", "rejected"))
    except InvalidInput as exc:
        errors.update(exc.errors)
    if errors:
        raise InvalidInput(errors)
    return cap, comment


def _clean_sku_lines(campaign: Campaign, plan: checks.Plan, dimension, decision, lines) -> list[dict] | None:
    """Per-SKU decisions of an inventory approval (issue 19), checked against the plan.

    `lines`: [{sku: code, decision: approved | capped | refused, approved_units_per_day?,
    comment?}], or None/empty for none. Rules: only an inventory approval takes lines;
    each names a SKU of the plan, once; a capped line takes approved_units_per_day from 1
    to below the plan's units/day for that SKU, the others take none; SKUs of the plan
    not listed are approved; refusing every SKU is not an approval (request changes or
    reject instead). Errors per line and field: {"lines": [{"sku": [...]}, {}, ...]}.
    """
    if lines in (None, "", []):
        return None
    if dimension != Dimension.INVENTORY:
        raise InvalidInput({"lines": ["Per-SKU decisions go only with the inventory sign-off."]})
    if decision != SignOff.Decision.APPROVED:
        raise InvalidInput({"lines": ["Per-SKU decisions go only with an approval."]})
    if not isinstance(lines, list | tuple) or not all(isinstance(line, dict) for line in lines):
        raise InvalidInput({"lines": ["A list of {sku, decision, approved_units_per_day?, comment?} is required."]})
    by_code = {line.sku.code: line for line in campaign.sku_lines.all()}
    shares = {line.sku_id: line.share for line in plan.skus}
    cleaned: list[dict] = []
    problems: list[dict[str, list[str]]] = []
    seen: set[str] = set()
    for raw in lines:
        errors: dict[str, list[str]] = {}
        code = raw.get("sku")
        line = by_code.get(code) if isinstance(code, str) else None
        if line is None:
            errors["sku"] = [f"“{code}” is not a SKU of this plan; choose from: {', '.join(sorted(by_code))}."]
        elif code in seen:
            errors["sku"] = [f"{code} is listed twice."]
        else:
            seen.add(code)
        choice = raw.get("decision")
        if choice not in SignOffLine.Decision.values:
            errors["decision"] = [f"Must be one of: {', '.join(SignOffLine.Decision.values)}."]
        units = raw.get("approved_units_per_day")
        if units in ("", None):
            units = None
            if choice == SignOffLine.Decision.CAPPED:
                errors["approved_units_per_day"] = ["A capped line needs the units/day ops approve."]
        elif choice != SignOffLine.Decision.CAPPED:
            errors["approved_units_per_day"] = ["Only a capped line takes units/day."]
        else:
            try:
                units = int(units) if not isinstance(units, bool | float) else None
            except (TypeError, ValueError):
                units = None
            if units is None:
                errors["approved_units_per_day"] = ["A whole number is required."]
            elif line is not None:
                planned = checks.planned_units(plan, shares[line.sku_id])
                if not 1 <= units < planned:
                    errors["approved_units_per_day"] = [
                        f"Must be from 1 to below the plan's {planned} units/day of {code}."
                    ]
        comment = raw.get("comment") or ""
        line_errors = FieldErrors()
        comment = (
            clean_text(comment, field="comment", errors=line_errors, max_length=2000, required=False, multiline=True)
            or ""
        )
        errors.update(dict(line_errors))
        problems.append(errors)
        if not errors:
            cleaned.append({"sku": line.sku, "decision": choice, "approved_units_per_day": units, "comment": comment})
    if any(problems):
        raise InvalidInput({"lines": problems})
    refused = {entry["sku"].code for entry in cleaned if entry["decision"] == SignOffLine.Decision.REFUSED}
    if refused == set(by_code):
        raise InvalidInput(
            {"lines": ["Every SKU is refused: that is not an approval. Request changes (or reject) instead."]}
        )
    return cleaned


def _line_caps(cleaned: list[dict] | None) -> dict[int, int]:
    return {
        entry["sku"].pk: entry["approved_units_per_day"] or 0
        for entry in cleaned or ()
        if entry["decision"] != SignOffLine.Decision.APPROVED
    }


def _lines_words(cleaned: list[dict] | None) -> str:
    """The dropped and capped lines in a sentence for marketing: "C refused (stock-out on the 14th)"."""
    parts = []
    for entry in cleaned or ():
        if entry["decision"] == SignOffLine.Decision.APPROVED:
            continue
        what = (
            "refused"
            if entry["decision"] == SignOffLine.Decision.REFUSED
            else (f"capped at {entry['approved_units_per_day']} units/day")
        )
        why = f" ({entry['comment']})" if entry["comment"] else ""
        parts.append(f"{entry['sku'].code} {what}{why}")
    return "; ".join(parts)


def _regrow(campaign: Campaign, volume: int, decided: str, approvals: dict[str, SignOff], *, today) -> int:
    """When the last dimension is approved, the other approvals that outlived a void of
    this one (an earlier plan version: e.g. courier kept while inventory was asked again
    for dropped lines) may hold less than `volume`: the voided approval had shrunk them.
    Hold them at `volume` again if it fits under locks, else at what fits; returns the
    volume the campaign runs at."""
    older = [d for d, s in approvals.items() if d != decided and s.plan_version < campaign.plan_version]
    if not older:
        return volume
    plan = _effective_plan(campaign, approvals)
    for dimension in sorted(older):
        _lock_resources(plan, dimension)
        snap = load_snapshot(plan, today=today, exclude_campaign_id=campaign.pk)
        result = checks.run_check(plan.at_volume(volume), snap, dimensions=[dimension])
        if result.errors(dimension):
            volume = min(volume, result.max_by_dimension[dimension])
    if volume > 0:
        snap = load_snapshot(plan, today=today, exclude_campaign_id=campaign.pk)
        for dimension in sorted(approvals):
            _reserve(campaign, plan, snap, dimension, volume)
    return volume


@transaction.atomic
def campaign_sign_off(
    *,
    campaign: Campaign,
    actor,
    dimension: str,
    decision: str,
    approved_orders_per_day: int | None = None,
    comment: str = "",
    today: dt.date | None = None,
    lines: list[dict] | None = None,
) -> SignOff:
    """Ops decide one dimension of the current plan version.

    Per-SKU decisions (issue 19, `_clean_sku_lines`): an inventory approval may approve
    some SKUs and refuse or cap others (`lines`). It is a partial approval: the check,
    the reservations and the campaign's approved orders/day follow only the approved
    lines, capped ones at their cap (`capacity.checks.approved_plan`); the owner sees
    which lines were dropped and why, and may ask for them again
    (`campaign_resubmit_dropped_lines`).

    Segregation of duties: marketing never signs off and nobody signs off their own
    campaign; inventory needs ops_inventory, courier needs ops_logistics, support needs
    ops_support (ops_lead may do each; support only while it is a sign-off dimension).
    Rule 2: an approval re-runs that dimension's check under row locks and writes its
    reservations in the same transaction, or is refused with the current findings.
    Every needed dimension approved → the campaign is approved. Changes requested or
    rejected on a scale-up withdraw only the pending delta.
    """
    today = _today(today)
    campaign = _lock(campaign)
    # Who may decide comes first: a refusal for role or ownership is the same whatever the input.
    workflow.ensure_permitted(actor, campaign, "sign_off", dimension=dimension)
    cap, comment = _clean_signoff_input(campaign, dimension, decision, approved_orders_per_day, comment)
    workflow.ensure_state(campaign, "sign_off")  # live or paused only for the scale-up that waits
    scale_up = campaign.status in Status.running()
    approvals = _approved_dimensions(campaign)
    if any(s.dimension == dimension and s.plan_version == campaign.plan_version for s in campaign.signoffs.all()):
        raise TransitionNotAllowed(
            f"{dimension.capitalize()} was already decided for plan version {campaign.plan_version}.",
            code="already_signed_off",
        )
    if not scale_up and dimension in approvals:
        raise TransitionNotAllowed(
            f"{dimension.capitalize()} is already approved for this plan.", code="already_signed_off"
        )

    plan = selectors.plan_for(campaign)
    sku_lines = _clean_sku_lines(campaign, plan, dimension, decision, lines)
    plan = checks.approved_plan(plan, _line_caps(sku_lines))
    verdict = ""
    if decision == SignOff.Decision.APPROVED:
        volume = plan.orders_per_day if cap is None else min(cap, plan.orders_per_day)
        _lock_resources(plan, dimension)
        snap = load_snapshot(plan, today=today, exclude_campaign_id=campaign.pk)
        result = checks.run_check(plan.at_volume(volume), snap, dimensions=[dimension])
        errors = result.errors(dimension)
        if errors:
            raise CapacityTaken(
                f"Not enough {dimension} capacity for {volume} orders/day: at most "
                f"{result.max_by_dimension[dimension]} fit now.",
                findings=[f.as_dict() for f in result.findings if f.severity == checks.ERROR],
                max_orders_per_day=result.max_by_dimension[dimension],
            )
        verdict = result.verdict
        _reserve(campaign, plan, snap, dimension, volume)

    # Signing for an approver who is away today (delegation): the record names both.
    behalf = workflow.signing_for(actor, dimension, selectors.away_covered_by(actor, day=today))
    signoff = SignOff.objects.create(
        campaign=campaign,
        dimension=dimension,
        decision=decision,
        approved_orders_per_day=cap,
        comment=comment,
        actor=actor,
        on_behalf_of=behalf,
        plan_version=campaign.plan_version,
        verdict=verdict,
    )
    if sku_lines:
        SignOffLine.objects.bulk_create([SignOffLine(signoff=signoff, **entry) for entry in sku_lines])
    from_status = campaign.status
    approvals = _approved_dimensions(campaign)
    if scale_up:
        _settle_scale_up(campaign, approvals, decision, today=today)
    elif decision == SignOff.Decision.APPROVED:
        needed = needed_dimensions()
        if all(d in approvals for d in needed):
            volume = min(_volume_of(approvals[d], campaign) for d in needed)
            _shrink(campaign, volume, [d for d in needed if _volume_of(approvals[d], campaign) > volume], today=today)
            volume = _regrow(campaign, volume, dimension, approvals, today=today)
            campaign.status = Status.APPROVED
            campaign.approved_orders_per_day = volume
    elif decision == SignOff.Decision.CHANGES_REQUESTED:
        campaign.status = Status.CHANGES_REQUESTED
    else:
        campaign.status = Status.REJECTED
        _release(campaign)
    campaign.save(
        update_fields=[
            "status", "approved_orders_per_day", "orders_per_day", "scale_up_pending", "updated_at",
            *_mark_signed_off(campaign),  # any decision: ops have seen this plan
        ]
    )  # fmt: skip
    _audit(
        campaign, actor, "sign_off", from_status, comment=comment,
        changes={
            "dimension": dimension, "decision": decision, "approved_orders_per_day": cap, "verdict": verdict,
            **({"lines": [
                {"sku": e["sku"].code, "decision": e["decision"],
                 "approved_units_per_day": e["approved_units_per_day"], "comment": e["comment"]}
                for e in sku_lines
            ]} if sku_lines else {}),
            **({"on_behalf_of": behalf.get_username(), "on_behalf_of_id": behalf.pk} if behalf else {}),
        },
    )  # fmt: skip
    versions.changed(versions.DATA)
    capped = f" at {cap} orders/day" if cap else ""
    by = actor.get_username() + (f" on behalf of {behalf.get_username()}" if behalf else "")
    dropped = _lines_words(sku_lines)
    partly = " (partly)" if dropped else ""
    subject = f"{campaign.name}: {dimension} {decision.replace('_', ' ')}{partly}{capped} by {by}"
    if dropped:
        # Marketing hears which lines were dropped, and that they may ask for them again.
        comment = "\n".join(filter(None, [f"Dropped or capped SKUs: {dropped}. You may ask for them again.", comment]))
    if campaign.status == Status.APPROVED and from_status != Status.APPROVED:
        # One event, one message per person: the owner hears of the last sign-off in
        # the approval that both teams get.
        queue_notification(
            kind="approved",
            campaign=campaign,
            subject=f"{campaign.name} is approved at {campaign.approved_orders_per_day} orders/day",
            body=f"{subject}." + (f"\n{comment}" if comment else ""),
            roles=BOTH_TEAMS,
            users=[campaign.owner],
        )
    else:
        queue_notification(
            kind=f"signoff_{decision}", campaign=campaign, subject=subject, body=comment, users=[campaign.owner]
        )
    return signoff


@transaction.atomic
def campaign_resubmit_dropped_lines(*, campaign: Campaign, actor, comment: str = "") -> Campaign:
    """The owner asks again for the SKU lines the inventory approval refused or capped
    (issue 19, "marketing may resubmit them").

    Like a plan change that touches only inventory (rule 3): the plan version goes up,
    the inventory sign-off is void (and with it the dropped lines, which are read from
    it) and its stock holds are released; an approved campaign goes back to submitted.
    The courier approval stands: when inventory is approved again its holds grow back to
    the new volume if that fits (`_regrow`). Rules: only the owner, before the campaign
    runs, and only when some line was dropped or capped.
    """
    comment = _clean_comment(comment)
    campaign = _lock(campaign)
    workflow.ensure_allowed(actor, campaign, "edit")
    if campaign.status not in (Status.SUBMITTED, Status.APPROVED):
        raise TransitionNotAllowed(
            "Dropped lines can be asked for again only before the campaign runs, while it is submitted or approved.",
            code="not_resubmittable",
        )
    dropped = selectors.dropped_lines(campaign)
    if not dropped:
        raise TransitionNotAllowed(
            "No SKU line of the current inventory sign-off was refused or capped.", code="nothing_dropped"
        )
    from_status = campaign.status
    campaign.plan_version += 1
    campaign.inventory_valid_from = campaign.plan_version
    if campaign.status == Status.APPROVED:
        campaign.status = Status.SUBMITTED
    campaign.approved_orders_per_day = None
    campaign.save(
        update_fields=["plan_version", "inventory_valid_from", "status", "approved_orders_per_day", "updated_at"]
    )
    _release(campaign, [Dimension.INVENTORY])
    codes = [line.sku.code for line in dropped]
    _audit(
        campaign, actor, "resubmit_lines", from_status, comment=comment,
        changes={"voided": [Dimension.INVENTORY], "lines": codes},
    )  # fmt: skip
    versions.changed(versions.DATA)
    queue_notification(
        kind="plan_changed",
        campaign=campaign,
        subject=(
            f"{campaign.name}: dropped lines {', '.join(codes)} asked for again — "
            f"inventory sign-off needed (v{campaign.plan_version})"
        )[:250],
        body=comment,
        roles=workflow.signers([Dimension.INVENTORY]),
        routed=True,
    )
    return campaign


def _settle_scale_up(campaign: Campaign, approvals: dict[str, SignOff], decision: str, *, today: dt.date) -> None:
    """Rule 4: the delta runs once both dimensions approved it; a refusal withdraws it."""
    if decision == SignOff.Decision.APPROVED:
        fresh = {d: s for d, s in approvals.items() if s.plan_version == campaign.plan_version}
        if all(d in fresh for d in needed_dimensions()):
            volume = min(_volume_of(s, campaign) for s in fresh.values())
            _shrink(campaign, volume, [d for d, s in fresh.items() if _volume_of(s, campaign) > volume], today=today)
            campaign.approved_orders_per_day = volume
            campaign.scale_up_pending = False
        return
    # Withdraw the delta: back to the approved volume, holds included.
    approved = campaign.approved_orders_per_day or campaign.orders_per_day
    delta_holders = [d for d, s in approvals.items() if s.plan_version == campaign.plan_version]
    campaign.orders_per_day = approved
    if any(selectors.line_caps(s) for d, s in approvals.items() if d == Dimension.INVENTORY):
        # With SKU lines dropped the approved volume counts only the approved lines' orders:
        # the plan goes back to the orders/day it had before the scale-up (its audit event).
        asked = AuditEvent.objects.filter(campaign=campaign, action="scale_up").order_by("-created_at", "-id").first()
        if asked is not None:
            campaign.orders_per_day = max(approved, int(asked.changes["orders_per_day"][0]))
    campaign.scale_up_pending = False
    _shrink(campaign, approved, delta_holders, today=today)


# --------------------------------------------------------------------------- running


def assert_can_go_live(campaign: Campaign) -> None:
    """Rule 1, the guard every door shares: every sign-off it needs approved for the current
    plan. A campaign approved before customer support was switched on keeps its approval
    (an approval was complete when given, and rule 3 sends a changed plan back to
    submitted): the switched-on dimensions are asked of plans not approved yet."""
    approvals = _approved_dimensions(campaign)
    needed = needed_dimensions() if campaign.status in Status.before_approval() else checks.SIGN_OFF_DIMENSIONS
    missing = [d for d in needed if d not in approvals]
    if missing:
        raise TransitionNotAllowed(
            f"Cannot go live without the {' and '.join(missing)} sign-off for plan version {campaign.plan_version}.",
            code="signoffs_missing",
        )


@transaction.atomic
def campaign_go_live(*, campaign: Campaign, actor, today: dt.date | None = None) -> Campaign:
    """Approved → live on or after the start date (rule 1). `actor=None` is the scheduler."""
    today = _today(today)
    campaign = _lock(campaign)
    workflow.ensure_permitted(actor, campaign, "go_live")
    if campaign.status in Status.before_approval():
        assert_can_go_live(campaign)  # say which sign-off is missing, not just "not allowed"
    step = workflow.ensure_state(campaign, "go_live")
    assert_can_go_live(campaign)
    if today < campaign.starts_on:
        raise TransitionNotAllowed(
            f"It starts on {campaign.starts_on:%d %b %Y}; it cannot go live before then (its reservations begin then).",
            code="too_early",
        )
    if today > campaign.ends_on:
        raise TransitionNotAllowed(f"It ended on {campaign.ends_on:%d %b %Y}.", code="too_late")
    from_status = campaign.status
    campaign.status = step.to_state
    campaign.save(update_fields=["status", "updated_at"])
    _audit(campaign, actor, "go_live", from_status)
    versions.changed(versions.DATA)
    queue_notification(kind="live", campaign=campaign, subject=f"{campaign.name} is live", roles=BOTH_TEAMS)
    return campaign


@transaction.atomic
def campaign_pause(*, campaign: Campaign, actor, reason: str = "") -> Campaign:
    """Live → paused by the owner, an ops lead, or the inventory trigger (`actor=None`).
    Its reservations still hold."""
    reason = _clean_comment(reason)
    campaign = _lock(campaign)
    step = workflow.ensure_allowed(actor, campaign, "pause")
    from_status = campaign.status
    campaign.status = step.to_state
    campaign.save(update_fields=["status", "updated_at"])
    _audit(campaign, actor, "pause", from_status, comment=reason)
    versions.changed(versions.DATA)
    queue_notification(
        kind="paused", campaign=campaign, subject=f"{campaign.name} is paused", body=reason, roles=BOTH_TEAMS
    )
    return campaign


@transaction.atomic
def campaign_resume(*, campaign: Campaign, actor, today: dt.date | None = None) -> Campaign:
    """Paused → live by the owner or an ops lead; the reservations it kept still hold."""
    today = _today(today)
    campaign = _lock(campaign)
    step = workflow.ensure_allowed(actor, campaign, "resume")
    if today > campaign.ends_on:
        raise TransitionNotAllowed(f"It ended on {campaign.ends_on:%d %b %Y}.", code="too_late")
    from_status = campaign.status
    campaign.status = step.to_state
    campaign.save(update_fields=["status", "updated_at"])
    _audit(campaign, actor, "resume", from_status)
    versions.changed(versions.DATA)
    queue_notification(kind="resumed", campaign=campaign, subject=f"{campaign.name} is live again", roles=BOTH_TEAMS)
    return campaign


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, actor, comment: str = "") -> Campaign:
    """Anything not final → cancelled, by the owner or an ops lead; all reservations released."""
    comment = _clean_comment(comment)
    campaign = _lock(campaign)
    step = workflow.ensure_allowed(actor, campaign, "cancel")
    from_status = campaign.status
    campaign.status = step.to_state
    campaign.scale_up_pending = False
    campaign.save(update_fields=["status", "scale_up_pending", "updated_at"])
    released = _release(campaign)
    _audit(campaign, actor, "cancel", from_status, comment=comment, changes={"reservations_released": released})
    versions.changed(versions.DATA)
    queue_notification(
        kind="cancelled", campaign=campaign, subject=f"{campaign.name} was cancelled", body=comment, roles=BOTH_TEAMS
    )
    return campaign


@transaction.atomic
def campaign_complete(*, campaign: Campaign, actor=None, today: dt.date | None = None) -> Campaign:
    """Live or paused → completed once `ends_on` has passed (the scheduler); opens the review."""
    today = _today(today)
    campaign = _lock(campaign)
    step = workflow.ensure_allowed(actor, campaign, "complete")
    if today <= campaign.ends_on:
        raise TransitionNotAllowed(f"It runs until {campaign.ends_on:%d %b %Y}.", code="not_ended")
    from_status = campaign.status
    campaign.status = step.to_state
    campaign.scale_up_pending = False
    campaign.save(update_fields=["status", "scale_up_pending", "updated_at"])
    PostCampaignReview.objects.get_or_create(
        campaign=campaign,
        defaults={
            "forecast_orders": (campaign.approved_orders_per_day or campaign.orders_per_day) * campaign.days,
            # Actual orders, returns and failed deliveries, when the imports have them.
            **metrics.review_figures(campaign),
        },
    )
    _audit(campaign, None, "complete", from_status)
    versions.changed(versions.DATA)
    queue_notification(
        kind="completed", campaign=campaign, subject=f"{campaign.name} has ended", users=[campaign.owner]
    )
    return campaign


@transaction.atomic
def campaign_scale_up(*, campaign: Campaign, actor, orders_per_day: Any, comment: str = "") -> Campaign:
    """Rule 4: scaling a live campaign up is a new plan version that ops approve for
    the delta; until both do, it keeps running at its approved volume."""
    comment = _clean_comment(comment)
    campaign = _lock(campaign)
    workflow.ensure_allowed(actor, campaign, "scale_up")  # one scale-up at a time
    cleaned = clean_plan({"orders_per_day": orders_per_day}, current=_plan_values(campaign))
    new_volume = cleaned["orders_per_day"]
    if new_volume <= campaign.orders_per_day:
        raise InvalidInput({"orders_per_day": [f"A scale-up must go above {campaign.orders_per_day} orders/day."]})
    old = campaign.orders_per_day
    campaign.plan_version += 1
    campaign.orders_per_day = new_volume
    campaign.forecast_basis = "orders"
    campaign.sessions_per_day = None
    campaign.conversion_rate = None
    campaign.scale_up_pending = True
    campaign.save(
        update_fields=[
            "plan_version", "orders_per_day", "forecast_basis", "sessions_per_day", "conversion_rate",
            "scale_up_pending", "updated_at", *_note_changes(campaign, _plan_values(campaign)),
        ]
    )  # fmt: skip
    _audit(campaign, actor, "scale_up", campaign.status, comment=comment, changes={"orders_per_day": [old, new_volume]})
    versions.changed(versions.DATA)
    queue_notification(
        kind="scale_up",
        campaign=campaign,
        subject=f"Scale-up to sign off: {campaign.name} from {old} to {new_volume} orders/day",
        body=comment,
        roles=workflow.signers(needed_dimensions()),
    )
    return campaign


# --------------------------------------------------------------------------- scheduler


def campaigns_go_live_due(*, today: dt.date) -> dict[str, int]:
    """Scheduler, rule 1: start what is approved and due, only through the guard; alert
    both teams and ops leads about campaigns due today that are not approved."""
    started = alerted = 0
    due = Campaign.objects.filter(status=Status.APPROVED, starts_on__lte=today, ends_on__gte=today)
    for campaign in due.order_by("starts_on", "id"):
        try:
            campaign_go_live(campaign=campaign, actor=None, today=today)
            started += 1
        except TransitionNotAllowed:
            continue  # someone else started it, or the guard refused: nothing to do
    unapproved = Campaign.objects.filter(status__in=Status.not_approved(), starts_on__lte=today, ends_on__gte=today)
    for candidate in unapproved:
        with transaction.atomic():
            # Lock the row and re-read it: a second scheduler running at the same moment
            # waits here, then finds the first one's alert and sends nothing.
            campaign = (
                Campaign.objects.select_for_update().filter(pk=candidate.pk, status__in=Status.not_approved()).first()
            )
            if campaign is None:
                continue
            already = AuditEvent.objects.filter(
                campaign=campaign, action="due_not_approved", created_at__date=today
            ).exists()
            if already:
                continue
            AuditEvent.objects.create(
                campaign=campaign,
                action="due_not_approved",
                from_status=campaign.status,
                to_status=campaign.status,
                plan_version=campaign.plan_version,
                comment="Due to start today without both sign-offs; not started.",
            )
            versions.changed(versions.DATA)
            queue_notification(
                kind="due_not_approved",
                campaign=campaign,
                subject=f"{campaign.name} was due to start today and is not approved",
                roles=BOTH_TEAMS,
            )
            alerted += 1
    return {"started": started, "alerted": alerted}


def campaigns_complete_ended(*, today: dt.date) -> int:
    done = 0
    for campaign in Campaign.objects.filter(status__in=Status.running(), ends_on__lt=today):
        try:
            campaign_complete(campaign=campaign, actor=None, today=today)
            done += 1
        except TransitionNotAllowed:
            continue
    return done


# --------------------------------------------------------------------------- promo windows

PROMO_KEEPERS = frozenset({MARKETING, OPS_LEAD})


def promo_window_save(
    *,
    actor,
    window: PromoWindow | None = None,
    name: Any,
    starts_on: Any,
    ends_on: Any,
    channel: Any = "",
    notes: Any = "",
) -> PromoWindow:
    """Add a promo window to the marketing calendar (a sale season, a launch date to plan
    around), or change one: a name, its first and last day (inclusive) and optionally
    the channel and notes. A new window records who added it.

    Rules: promo windows are kept by marketing or ops_lead (or staff); the end is on or
    after the start.
    """
    if not keeps(actor, PROMO_KEEPERS):
        raise NotPermitted(f"Changing promo windows needs one of the roles: {', '.join(sorted(PROMO_KEEPERS))}.")
    errors = FieldErrors()
    cleaned = {
        "name": clean_text(name, field="name", errors=errors, max_length=200, required=True),
        "starts_on": clean_date(starts_on, field="starts_on", errors=errors),
        "ends_on": clean_date(ends_on, field="ends_on", errors=errors),
        "channel": channel or "",
        # As long as a campaign's brief may be.
        "notes": clean_text(notes, field="notes", errors=errors, max_length=10_000, required=False, multiline=True),
    }
    if cleaned["channel"] and cleaned["channel"] not in Channel.values:
        errors.add("channel", f"Must be one of: {', '.join(Channel.values)}, or empty.")
    if cleaned["starts_on"] and cleaned["ends_on"] and cleaned["ends_on"] < cleaned["starts_on"]:
        errors.add("ends_on", Rule("Must be on or after starts_on.", "on_or_after", other="starts_on"))
    if errors:
        raise InvalidInput(dict(errors))
    if window is None:
        window = PromoWindow(created_by=actor)
    for field, value in cleaned.items():
        setattr(window, field, value)
    with transaction.atomic():
        if window.pk is None:
            window.save()
        else:
            window.save(update_fields=list(cleaned))
        versions.changed(versions.DATA)
    return window


def promo_window_delete(*, actor, window: PromoWindow) -> None:
    """Remove a promo window from the marketing calendar.

    Rule: promo windows are kept by marketing or ops_lead (or staff).
    """
    if not keeps(actor, PROMO_KEEPERS):
        raise NotPermitted(f"Changing promo windows needs one of the roles: {', '.join(sorted(PROMO_KEEPERS))}.")
    with transaction.atomic():
        PromoWindow.objects.filter(pk=window.pk).delete()
        versions.changed(versions.DATA)


# --------------------------------------------------------------------------- delegation
# An ops approver away (issue 17): their sign-offs, reminders and escalations go to a
# delegate, who signs on their behalf. Rules in `workflow.delegation_refusal` (who may
# cover for whom); the rest here.


def _clean_delegate(value: Any, errors: FieldErrors):
    """A delegate given as a user, a user id or a username; None (with a message) if no such active user."""
    User = get_user_model()
    if isinstance(value, User):
        user = value
    elif value in (None, ""):
        errors.add("delegate", "Choose who takes your sign-offs while you are away.")
        return None
    else:
        key = str(value).strip()
        lookup = {"pk": int(key)} if key.isdigit() and len(key) < 10 else {User.USERNAME_FIELD: key}
        user = User.objects.filter(**lookup).first()
    if user is None or not user.is_active:
        errors.add("delegate", f"There is no active user {value}.")
        return None
    return user


def _window(delegation) -> str:
    return f"{delegation.starts_on:%d %b %Y} to {delegation.ends_on:%d %b %Y}"


def delegation_set(
    *, actor, delegate: Any, starts_on: Any, ends_on: Any, user=None, today: dt.date | None = None
) -> Delegation:
    """`actor` is away from `starts_on` to `ends_on` (both included); meanwhile their
    sign-offs go to `delegate`. `user`: staff (the admin) set it for that approver instead,
    under the same rules.

    Rules: only ops approvers delegate (403); a delegate exists, is not oneself, and the
    dates run forward from today (400); the delegate holds each of the actor's ops roles
    or is an ops lead (409, `workflow.delegation_refusal`); no overlap with the actor's
    other delegations (409); no chains (409): a delegate away themselves at any time of
    the window cannot cover, and someone covering for another person cannot be away
    over that time — the sign-offs would pass on again, to someone the first approver
    never chose. Ask the other person to choose another delegate first.
    """
    today = _today(today)
    if user is not None and user.pk != getattr(actor, "pk", None):
        if actor is None or not actor.is_staff:
            raise NotPermitted("Only staff set a delegation for someone else.")
        actor = user
    if not workflow.signable_by(actor):
        raise NotPermitted("Only ops approvers (inventory, courier or ops lead) set a delegation.")
    errors = FieldErrors()
    delegate = _clean_delegate(delegate, errors)
    first = clean_date(starts_on, field="starts_on", errors=errors)
    last = clean_date(ends_on, field="ends_on", errors=errors)
    if delegate is not None and delegate.pk == actor.pk:
        errors.add("delegate", "You cannot delegate to yourself: choose a colleague.")
    if first is not None and first < today:
        errors.add("starts_on", "The first day away cannot be in the past.")
    if first is not None and last is not None and last < first:
        errors.add("ends_on", "The last day away must be on or after the first day away.")
    if errors:
        raise InvalidInput(dict(errors))
    refusal = workflow.delegation_refusal(actor, delegate)
    if refusal is not None:
        raise refusal
    with transaction.atomic():
        # Both people's rows locked in id order: two delegations set at once between the
        # same people (A to B and B to A) queue, and the second sees the first.
        list(get_user_model().objects.select_for_update().filter(pk__in=[actor.pk, delegate.pk]).order_by("pk"))
        overlapping = Delegation.objects.filter(starts_on__lte=last, ends_on__gte=first).order_by("starts_on", "id")
        mine = overlapping.filter(user=actor).first()
        if mine is not None:
            raise TransitionNotAllowed(
                f"You are already away from {_window(mine)} (sign-offs to {mine.delegate.get_username()}): "
                "change or clear that one first.",
                code="delegation_overlaps",
            )
        theirs = overlapping.filter(user=delegate).first()
        if theirs is not None:
            raise TransitionNotAllowed(
                f"{delegate.get_username()} is away themselves from {_window(theirs)}: choose someone who is here.",
                code="delegate_away",
            )
        covering = overlapping.filter(delegate=actor).select_related("user").first()
        if covering is not None:
            raise TransitionNotAllowed(
                f"You are covering for {covering.user.get_username()} from {_window(covering)}: "
                "they must choose another delegate before you can be away then.",
                code="covering_for_others",
            )
        delegation = Delegation.objects.create(user=actor, delegate=delegate, starts_on=first, ends_on=last)
        versions.changed(versions.DATA)
    return delegation


def delegation_clear(*, actor, delegation: Delegation) -> None:
    """End a delegation: from now on the actor's sign-offs come to them again. Only its
    owner, or staff (who configure through the admin), clear it. Sign-offs already made
    on the owner's behalf keep saying so."""
    if actor is None or not actor.is_authenticated or (delegation.user_id != actor.pk and not actor.is_staff):
        raise NotPermitted("Only the person who set a delegation can clear it.")
    with transaction.atomic():
        Delegation.objects.filter(pk=delegation.pk).delete()
        versions.changed(versions.DATA)


# --------------------------------------------------------------------------- discussion

COMMENT_MAX_LENGTH = 5000
# "@maya", "@omar.k": a username (Django's letters, digits and @.+-_ but "@") after a
# space, a bracket or the start; a full stop or hyphen that ends it ends the sentence.
MENTION = re.compile(r"(?<![\w@.+-])@([\w.+-]+)")


def mentioned_usernames(body: str) -> list[str]:
    """The @usernames in a comment, each once, in the order they come."""
    found: dict[str, None] = {}
    for match in MENTION.finditer(body):
        name = match.group(1).rstrip(".-")
        if name:
            found.setdefault(name, None)
    return list(found)


@transaction.atomic
def comment_add(*, actor, campaign: Campaign, body: Any) -> Comment:
    """Add a comment to a campaign's discussion thread; each @mentioned user is notified
    (kind "mention", one notification each).

    Rules: anyone who can read the campaign may comment (signed in with a mopsync role,
    or staff: every such user sees every campaign); the body is text, not empty, at most
    5,000 characters, without NUL. Only users who could read it are notified (unknown
    names, inactive users, users without a role and the author are ignored). A comment
    never changes the plan: no plan version, no sign-off voided, no audit event.
    """
    if not can_read(actor):
        raise NotPermitted("Commenting needs a mopsync role: ask an admin to add you to a team.")
    errors = FieldErrors()
    text = clean_text(body, field="body", errors=errors, max_length=COMMENT_MAX_LENGTH, required=True, multiline=True)
    if errors:
        raise InvalidInput(dict(errors))
    comment = Comment.objects.create(campaign=campaign, author=actor, body=text)
    names = mentioned_usernames(text)
    if names:
        readers = Q(groups__name__in=ALL_ROLES) | Q(is_staff=True) | Q(is_superuser=True)
        mentioned = (
            get_user_model()
            .objects.filter(readers, is_active=True, username__in=names)
            .exclude(pk=actor.pk)
            .distinct()
            .order_by("pk")
        )
        queue_notification(
            kind="mention",
            campaign=campaign,
            subject=f"{actor.get_username()} mentioned you on {campaign.name}"[:250],
            body=text,
            users=list(mentioned),
            slack=False,
        )
    versions.changed(versions.DATA)
    return comment


# --------------------------------------------------------------------------- inbox
# Notifications are the outbox and the inbox, which no memo reads:
# marking them read changes no version.


def notification_mark_read(*, actor, notification: Notification) -> Notification:
    """Mark one notification read.

    Rules: only its recipient marks it; a notification read already keeps the time it
    was first read.
    """
    if actor is None or not actor.is_authenticated or notification.recipient_id != actor.pk:
        raise NotPermitted("Only its recipient can mark a notification read.")
    if notification.read_at is None:
        # Conditional: two tabs marking it at once keep the first time.
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
        notification.refresh_from_db(fields=["read_at"])
    return notification


def notifications_mark_all_read(*, actor) -> int:
    """Mark every unread notification of the actor read; returns how many.

    Rule: one marks one's own notifications only.
    """
    if actor is None or not actor.is_authenticated:
        raise NotPermitted("Sign in to read your notifications.")
    return Notification.objects.filter(recipient=actor, read_at__isnull=True, in_app=True).update(
        read_at=timezone.now()
    )


def notification_preferences_save(*, actor, channels: dict, daily_report: bool) -> Preference:
    """Save what mopsync sends the actor: per notification kind, the channels wanted
    (`campaigns.notifications.KINDS`, `CHANNELS`), and the daily report by email.

    Rules: one sets one's own preferences only; unknown kinds and channels are refused
    (the settings page only offers known ones).
    """
    if actor is None or not actor.is_authenticated:
        raise NotPermitted("Sign in to choose your notifications.")
    errors = FieldErrors()
    if not isinstance(channels, dict):
        errors.add("channels", "Must map notification kinds to lists of channels.")
    else:
        unknown_kinds = sorted(kind for kind in channels if kind not in notifications.KINDS)
        if unknown_kinds:
            errors.add("channels", f"Unknown notification kinds: {', '.join(map(str, unknown_kinds))}.")
        unknown = sorted(
            {str(c) for chosen in channels.values() for c in (chosen if isinstance(chosen, list | tuple) else [chosen])}
            - set(notifications.CHANNELS)
        )
        if unknown:
            errors.add("channels", f"Unknown channels: {', '.join(unknown)}; choose from in_app, email and slack.")
    if not isinstance(daily_report, bool):
        errors.add("daily_report", "Must be true or false.")
    if errors:
        raise InvalidInput(dict(errors))
    preference, _ = Preference.objects.get_or_create(user=actor)
    preference.channels = notifications.clean_channels({**preference.channels, **channels})
    preference.daily_report = daily_report
    preference.save(update_fields=["channels", "daily_report"])
    return preference
