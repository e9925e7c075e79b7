"""The workflow in one table (DESIGN.md, "Workflow" and "People and roles").

`ACTIONS` says, for each action on a campaign, the states it may start from, the state
it leads to, and who may do it. Everything that asks "may this person do that, now?"
reads it: the services refuse through `ensure_allowed`, the pages offer what
`available_actions` and `signable_dimensions` find, the API's permission and the
approval queue ask `permits` and `signable_by`, and notifications go to `signers`.
Delegation (an approver away, issue 17) is asked here too: `delegation_refusal` says who
may cover for whom, `signing_for` on whose behalf a sign-off is made; it gives no right
(who may sign stays the roles'), it routes work and names the away approver in the record.

Who, by kind:
- MARKETER: anyone in marketing (plans a new campaign).
- OWNER: the campaign's owner while in marketing (their role now, not when they planned
  it): a plan is marketing's to change, start, pause, resume or cancel. An owner who has
  left marketing does none of it; an ops lead still can (issue 18.10).
- LEAD: an ops lead.
- SIGNER: the dimension's ops role, or an ops lead; never marketing, never the owner
  (segregation of duties).
- SCHEDULER: no person (`actor=None`): the periodic tasks and the inventory trigger.

Dates, input and capacity are checked by the services when the action runs; this
module knows only states and people. A leaf: it imports models, roles and errors, and
asks `capacity.selectors.active_dimensions` which sign-off dimensions are switched on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from campaigns.models import Campaign, Status
from capacity.models import Dimension
from capacity.selectors import active_dimensions
from mopsync.errors import DomainError, NotPermitted, TransitionNotAllowed
from mopsync.roles import ALL_ROLES, MARKETING, OPS_INVENTORY, OPS_LEAD, OPS_LOGISTICS, OPS_SUPPORT, user_roles

MARKETER, OWNER, LEAD, SIGNER, SCHEDULER = "marketer", "owner", "lead", "signer", "scheduler"

# Each sign-off dimension is decided by its own ops team, or by an ops lead (both).
DIMENSION_TEAM = {
    Dimension.INVENTORY: OPS_INVENTORY,
    Dimension.COURIER: OPS_LOGISTICS,
    Dimension.SUPPORT: OPS_SUPPORT,
}
SIGNOFF_ROLES = {dimension: frozenset({team, OPS_LEAD}) for dimension, team in DIMENSION_TEAM.items()}
# Every sign-off dimension there is. A campaign needs each ACTIVE one approved to go live
# (rule 1): `needed_dimensions()` (customer support only when it is switched on).
DIMENSIONS = tuple(DIMENSION_TEAM)


def needed_dimensions() -> tuple[str, ...]:
    """The dimensions a campaign needs approved now (`capacity.selectors.active_dimensions`)."""
    return active_dimensions()


# Who hears of a campaign's approval, start, pause, resume, cancellation or a missed start.
BOTH_TEAMS = ALL_ROLES

SEGREGATION = "segregation_of_duties"


@dataclass(frozen=True)
class Guard:
    """A condition besides the state: `holds(campaign)`, else refused with `message` and `code`."""

    holds: Callable[[Campaign], bool]
    message: str
    code: str


@dataclass(frozen=True)
class Step:
    """One row of the table. `to_state` None: it stays, or the decision says (sign-off, edit).
    `refusal`: the NotPermitted message for whom `who` does not name; `scheduler_refusal`,
    when given, for the scheduler. `label`: the action's name on the pages, if they offer it."""

    from_states: tuple[str, ...]
    to_state: str | None
    who: tuple[str, ...]
    refusal: str
    scheduler_refusal: str = ""
    guard: Guard | None = None
    label: str = ""


def _owner(doing: str) -> str:
    return f"Only the campaign's owner in marketing can {doing}."


def _owner_or_lead(verb: str) -> str:
    return f"Only the campaign's owner in marketing or an ops lead can {verb} it."


# The one table, in the order the pages list the actions.
ACTIONS: dict[str, Step] = {
    "create": Step(
        from_states=(),  # there is no campaign yet
        to_state=Status.DRAFT,
        who=(MARKETER,),
        refusal="Only marketing can plan campaigns.",
    ),
    "edit": Step(
        from_states=Status.open(),
        to_state=None,  # it stays, or a material change sends it back to submitted (rule 3)
        who=(OWNER,),
        refusal=_owner("edit it"),
        label="edit",
    ),
    "submit": Step(
        from_states=Status.with_owner(),
        to_state=Status.SUBMITTED,
        who=(OWNER,),
        refusal=_owner("submit it"),
        label="submit",
    ),
    "sign_off": Step(
        from_states=(Status.SUBMITTED, *Status.running()),
        to_state=None,  # approved once both are, changes requested, rejected; or it keeps running
        who=(SIGNER,),
        refusal="Only operations sign off capacity.",
        # A running campaign is signed off only for the scale-up that waits (rule 4).
        guard=Guard(
            lambda c: c.status not in Status.running() or c.scale_up_pending,
            "Nothing to sign off: this campaign has no scale-up waiting.",
            "nothing_to_sign",
        ),
    ),
    "go_live": Step(
        from_states=(Status.APPROVED,),
        to_state=Status.LIVE,
        who=(OWNER, LEAD, SCHEDULER),
        refusal=_owner_or_lead("start"),
        label="go-live",
    ),
    "pause": Step(
        from_states=(Status.LIVE,),
        to_state=Status.PAUSED,
        who=(OWNER, LEAD, SCHEDULER),  # the scheduler: the inventory trigger
        refusal=_owner_or_lead("pause"),
        label="pause",
    ),
    "resume": Step(
        from_states=(Status.PAUSED,),
        to_state=Status.LIVE,
        who=(OWNER, LEAD),
        refusal=_owner_or_lead("resume"),
        scheduler_refusal="The scheduler cannot resume a campaign.",
        label="resume",
    ),
    "scale_up": Step(
        from_states=(Status.LIVE,),
        to_state=None,  # it keeps running, with a delta for ops to approve (rule 4)
        who=(OWNER,),
        refusal=_owner("scale it up"),
        guard=Guard(
            lambda c: not c.scale_up_pending, "A scale-up is already waiting for sign-off.", "scale_up_pending"
        ),
        label="scale-up",
    ),
    "complete": Step(
        from_states=Status.running(),
        to_state=Status.COMPLETED,
        who=(SCHEDULER,),
        refusal="Campaigns complete on their end date, by the scheduler.",
    ),
    "cancel": Step(
        from_states=Status.open(),
        to_state=Status.CANCELLED,
        who=(OWNER, LEAD),
        refusal=_owner_or_lead("cancel"),
        scheduler_refusal="The scheduler cannot cancel a campaign.",
        label="cancel",
    ),
}


# --------------------------------------------------------------------------- who


def _owns(actor, campaign: Campaign) -> bool:
    return actor is not None and actor.pk == campaign.owner_id


def _names(kind: str, actor, campaign: Campaign | None, roles: frozenset[str]) -> bool:
    """Whether `kind` names `actor` for `campaign` (None: not known yet, so ownership is not asked)."""
    if kind == SCHEDULER:
        return actor is None
    if actor is None:
        return False
    owns = campaign is None or _owns(actor, campaign)
    if kind == MARKETER:
        return MARKETING in roles
    if kind == OWNER:
        return owns and MARKETING in roles
    if kind == LEAD:
        return OPS_LEAD in roles
    raise ValueError(f"no kind of actor {kind!r}")


def _signer_refusal(actor, campaign: Campaign | None, dimension: str | None, step: Step) -> NotPermitted | None:
    """Segregation of duties first: marketing never signs off, nobody their own plan; then the
    dimension's role. The same refusal whatever the input (it is asked before the input)."""
    roles = user_roles(actor)
    if MARKETING in roles:
        return NotPermitted("Marketing can never sign off capacity.", code=SEGREGATION)
    if campaign is not None and _owns(actor, campaign):
        return NotPermitted("Nobody signs off a campaign they own.", code=SEGREGATION)
    if not any(roles & team_or_lead for team_or_lead in SIGNOFF_ROLES.values()):
        return NotPermitted(step.refusal)
    if dimension in SIGNOFF_ROLES and not roles & SIGNOFF_ROLES[dimension]:
        return NotPermitted(f"Signing off {dimension} needs the {DIMENSION_TEAM[dimension]} or ops_lead role.")
    if dimension in SIGNOFF_ROLES and dimension not in needed_dimensions():
        return NotPermitted(f"{dimension.capitalize()} is switched off: it needs no sign-off.", code="dimension_off")
    return None


def _who_refusal(actor, campaign: Campaign | None, action: str, dimension: str | None) -> NotPermitted | None:
    step = ACTIONS[action]
    if SIGNER in step.who:
        return _signer_refusal(actor, campaign, dimension, step)
    roles = user_roles(actor)
    if any(_names(kind, actor, campaign, roles) for kind in step.who):
        return None
    if actor is None and step.scheduler_refusal:
        return NotPermitted(step.scheduler_refusal)
    return NotPermitted(step.refusal)


def _state_refusal(campaign: Campaign | None, action: str) -> TransitionNotAllowed | None:
    step = ACTIONS[action]
    if campaign is None:  # creating: there is no state yet
        return None
    if campaign.status not in step.from_states:
        return TransitionNotAllowed(
            f"Cannot {action.replace('_', ' ')} a campaign that is {campaign.get_status_display().lower()}.",
            code="transition_not_allowed",
        )
    if step.guard is not None and not step.guard.holds(campaign):
        return TransitionNotAllowed(step.guard.message, code=step.guard.code)
    return None


def permits(actor, campaign: Campaign | None, action: str, *, dimension: str | None = None) -> bool:
    """Whether the table names `actor` for `action` on `campaign`, whatever its state.
    `campaign` None: before the campaign is known, only what does not depend on it is
    asked (roles, not ownership): planning, or whether someone signs off at all."""
    return _who_refusal(actor, campaign, action, dimension) is None


def ensure_permitted(actor, campaign: Campaign | None, action: str, *, dimension: str | None = None) -> Step:
    """Refuse (NotPermitted) unless the table names `actor` for `action` on `campaign`
    (None: see `permits`). Asked before the input is read, so that whoever may not act
    hears that and nothing else."""
    refusal = _who_refusal(actor, campaign, action, dimension)
    if refusal is not None:
        raise refusal
    return ACTIONS[action]


def ensure_state(campaign: Campaign | None, action: str) -> Step:
    """Refuse (TransitionNotAllowed) unless `campaign`'s state lets `action` start from it."""
    refusal = _state_refusal(campaign, action)
    if refusal is not None:
        raise refusal
    return ACTIONS[action]


def ensure_allowed(actor, campaign: Campaign | None, action: str, *, dimension: str | None = None) -> Step:
    """The one answer for every door: who first (NotPermitted), then the state
    (TransitionNotAllowed). Returns the table's row (its `to_state`)."""
    ensure_permitted(actor, campaign, action, dimension=dimension)
    return ensure_state(campaign, action)


def allows(actor, campaign: Campaign, action: str, *, dimension: str | None = None) -> bool:
    """`ensure_allowed` as a yes or no."""
    return _who_refusal(actor, campaign, action, dimension) is None and _state_refusal(campaign, action) is None


# --------------------------------------------------------------------------- derived


def available_actions(campaign: Campaign, actor) -> list[str]:
    """The actions (their page labels) `actor` may attempt on `campaign` now, by the table;
    dates and capacity are still checked when they run."""
    return [step.label for name, step in ACTIONS.items() if step.label and allows(actor, campaign, name)]


def pending_dimensions(campaign: Campaign) -> list[str]:
    """Dimensions that still need a decision for the campaign's current plan version: of a
    submitted plan, those neither approved nor decided for this version; of a running
    campaign with a scale-up waiting, those not decided for it.

    For one campaign in hand (its sign-offs prefetched or not);
    `campaigns.selectors.pending_signoffs` is the same rule in SQL, for lists."""
    if campaign.status == Status.SUBMITTED:
        approvals = campaign.current_approvals()
        decided = {s.dimension for s in campaign.signoffs.all() if s.plan_version == campaign.plan_version}
        return [d for d in needed_dimensions() if d not in approvals and d not in decided]
    if campaign.scale_up_pending and campaign.status in Status.running():
        decided = {s.dimension for s in campaign.signoffs.all() if s.plan_version == campaign.plan_version}
        return [d for d in needed_dimensions() if d not in decided]
    return []


def signable_dimensions(campaign: Campaign, actor) -> list[str]:
    """Dimensions `actor` may decide on `campaign` now (segregation of duties applied)."""
    if not permits(actor, campaign, "sign_off"):
        return []
    return [d for d in pending_dimensions(campaign) if permits(actor, campaign, "sign_off", dimension=d)]


def signable_by(user) -> tuple[str, ...]:
    """The dimensions `user`'s roles decide, on plans they do not own: none for marketing
    (of those a campaign needs now: no support when it is off)."""
    return tuple(d for d in needed_dimensions() if permits(user, None, "sign_off", dimension=d))


def signers(dimensions: Iterable[str]) -> list[str]:
    """The roles asked to decide `dimensions` (for notifications), sorted."""
    return sorted({role for dimension in dimensions for role in SIGNOFF_ROLES[dimension]})


# --------------------------------------------------------------------------- delegation

# The roles whose work a delegation passes on.
OPS_ROLES = frozenset({*DIMENSION_TEAM.values(), OPS_LEAD})


def delegation_refusal(user, delegate) -> DomainError | None:
    """Whether `user` may send their sign-offs to `delegate` while away. A delegation gives
    no right its holder lacks: the delegate must hold each ops role of `user` or be an ops
    lead (an inventory approver to someone who signs inventory or to a lead, a courier
    approver likewise, a lead only to a lead), and so sign every dimension `user` signs."""
    mine = signable_by(user)
    if not mine:
        return NotPermitted("Only ops approvers (inventory, courier, support or ops lead) set a delegation.")
    theirs = user_roles(delegate)
    needed = user_roles(user) & OPS_ROLES
    covers = OPS_LEAD in theirs or needed <= theirs
    if not covers or not set(mine) <= set(signable_by(delegate)):
        wanted = " and ".join(sorted(needed - {OPS_LEAD})) if OPS_LEAD not in needed else ""
        what = f"the {wanted} role or ops_lead" if wanted else "the ops_lead role"
        return TransitionNotAllowed(
            f"{delegate.get_username()} cannot take your sign-offs: a delegate needs {what}.",
            code="delegate_lacks_role",
        )
    return None


def signing_for(actor, dimension: str, away: Iterable) -> object | None:
    """The away approver on whose behalf `actor` decides `dimension`: the first of `away`
    (the users who delegated to `actor` for today, in the order their delegations were
    set) who signs that dimension themselves; None when `actor` signs only in their own
    right. The record names them; the right to sign is still `actor`'s own."""
    for user in away:
        if user.pk != actor.pk and dimension in signable_by(user):
            return user
    return None
