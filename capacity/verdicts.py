"""The capacity check's verdict in words: the one place every surface gets them from (the
plan form's live check, the campaign page, the approval queue, the dashboard, the API).

A verdict says whether the plan fits, the largest volume that fits, what binds it (which
sign-off dimension and which SKU's stock, warehouse's dispatch or region's couriers, on
which day, in plain words), and, when the campaign has an approved volume, what was
approved. `describe` builds it from a `CheckResult` and the campaign's approved volume;
`suggested_cap` is the volume an approval form offers when the plan does not fit.

Why "nothing fits" can stand beside "Inventory: at most 342": the largest volume that
fits the plan is the smallest of its dimensions' (`CheckResult.max_orders_per_day`),
and one warehouse closed for a day (a blackout) takes no orders that day, so no volume
that ships from it every day fits courier & dispatch, whatever the stock. The verdict
names that limit, so the two numbers no longer read as a contradiction.
"""

from __future__ import annotations

from dataclasses import dataclass

from capacity.check_types import DIMENSION_WORDS, EXCEEDS, FITS, FITS_WITH_WARNINGS, INVENTORY, CheckResult, Limit

UNBOUNDED = 10**9  # the check's "no limit found" (checks._UNBOUNDED)

LABELS = {FITS: "Fits", FITS_WITH_WARNINGS: "Fits, with warnings", EXCEEDS: "Exceeds capacity"}
SHORT_LABELS = {FITS: "fits", FITS_WITH_WARNINGS: "fits, warnings", EXCEEDS: "exceeds"}
# The sign-off dimensions as the pages name them: `DIMENSION_WORDS`, from the registry
# (capacity.check_types.REGISTRY).
# States in which the campaign's approved volume is what it runs (or will run) at.
APPROVED_STATES = ("approved", "live", "paused", "completed")


def _day(day) -> str:
    return f"{day.day} {day:%b}"


def limit_words(limit: Limit) -> str:
    """ "Denim jeans stock at Gurugram by 29 Dec", "Gurugram dispatch on 20 Dec (annual stocktake)"."""
    text = limit.what
    if limit.day is not None:
        text += f" {'by' if limit.dimension == INVENTORY else 'on'} {_day(limit.day)}"
    if limit.why:
        text += f" ({limit.why})"
    return text


def fit_limit(value: int | None) -> int | None:
    """A check bound for display: None when the check found no limit."""
    return None if value is None or value >= UNBOUNDED else value


@dataclass(frozen=True)
class Verdict:
    verdict: str  # fits | fits_with_warnings | exceeds (the CSS class and the API's value)
    label: str  # "Exceeds capacity"
    short: str  # "exceeds" (a badge)
    max_fit: int | None  # the largest orders/day that fit; None: no limit found
    orders_per_day: int  # what the plan asks
    approved: int | None  # what was approved, when the campaign has an approved volume
    dimension: str | None  # the sign-off dimension that binds
    binding: Limit | None  # what binds it
    text: str  # every sentence after the label
    brief: str  # a few words for the dashboard: "nothing fits", "up to 87/day"

    @property
    def fits_plan(self) -> bool:
        return self.max_fit is None or self.max_fit >= self.orders_per_day

    def __str__(self) -> str:
        return f"{self.label}. {self.text}"


def describe(
    result: CheckResult, *, approved_orders_per_day: int | None = None, status: str | None = None, scale_up=False
) -> Verdict:
    """The verdict of `result` in words. `approved_orders_per_day` and `status`: the
    campaign's, when there is one (the plan form checks a plan not saved yet); its approved
    volume is said when it has one. `scale_up`: the plan asks a scale-up still waiting."""
    asks = result.orders_per_day
    max_fit = fit_limit(result.max_orders_per_day)
    approved = approved_orders_per_day if status in APPROVED_STATES or scale_up else None
    binding = result.binding() if max_fit is not None else None
    dimension, limit = binding if binding else (None, None)

    sentences = []
    if approved is not None:
        if approved == asks:
            sentences.append(f"Approved at {approved}/day, as planned.")
        else:
            asking = "the scale-up asks" if scale_up else "the plan asks"
            sentences.append(f"Approved at {approved}/day; {asking} {asks}.")
    if max_fit is None:
        fit = "No capacity limit found"
        brief = "no limit found"
    elif max_fit == 0:
        fit = "Nothing fits now"
        brief = "nothing fits"
    else:
        fit = f"Up to {max_fit} orders/day fit"
        brief = f"up to {max_fit}/day"
    sentences.append(f"{fit}{f'; the plan asks {asks}' if approved is None else ''}.")
    if limit is not None:
        sentences.append(f"{DIMENSION_WORDS.get(dimension, dimension).capitalize()} binds: {limit_words(limit)}.")
        brief += f" · {limit_words(limit)}"
    return Verdict(
        verdict=result.verdict,
        label=LABELS.get(result.verdict, result.verdict),
        short=SHORT_LABELS.get(result.verdict, result.verdict),
        max_fit=max_fit,
        orders_per_day=asks,
        approved=approved,
        dimension=dimension,
        binding=limit,
        text=" ".join(sentences),
        brief=brief,
    )


def dimension_limit(result: CheckResult | None, dimension: str) -> tuple[int | None, str]:
    """The largest orders/day that fit one sign-off dimension alone (None: no limit) and
    what binds it, in words ("" when nothing does)."""
    if result is None:
        return None, ""
    value = fit_limit(result.max_by_dimension.get(dimension))
    limit = result.limits.get(dimension)
    return value, (limit_words(limit) if limit is not None and value is not None else "")


def dimension_sentence(result: CheckResult | None, dimension: str, orders_per_day: int) -> str:
    """What one sign-off dimension alone takes, for its signer, when the plan does not fit it
    ("" when it does): "Inventory alone: at most 342 orders/day fit, limited by …"."""
    value, binds = dimension_limit(result, dimension)
    if value is None or value >= orders_per_day:
        return ""
    name = DIMENSION_WORDS.get(dimension, dimension).capitalize()
    limited = f", limited by {binds}" if binds else ""
    if value == 0:
        return f"{name} alone: nothing fits now{limited}. Request changes or reject."
    return (
        f"{name} alone: at most {value} orders/day fit{limited}. "
        f"Approve with a cap of {value} or less, or request changes."
    )


def suggested_cap(result: CheckResult | None, dimension: str, orders_per_day: int) -> int | None:
    """The cap an approval of `dimension` is offered when the plan does not fit it: the
    largest volume that fits the dimension (what the approval re-checks), if any fits."""
    value, _ = dimension_limit(result, dimension)
    if value is None or value >= orders_per_day or value < 1:
        return None
    return value


def api_fields(result: CheckResult, **campaign) -> dict:
    """What the API adds to a check's `as_dict()`: the verdict in words and what binds."""
    verdict = describe(result, **campaign)
    return {
        "summary": str(verdict),
        "binding": (
            {
                "sign_off_dimension": verdict.dimension,
                **verdict.binding.as_dict(),
                "words": limit_words(verdict.binding),
            }
            if verdict.binding is not None
            else None
        ),
    }
