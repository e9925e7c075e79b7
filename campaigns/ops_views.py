"""The dashboard and the approval queue: translation between HTTP and the
services/selectors only (reads in `campaigns.dashboard_selectors`, writes in `campaigns.services`).

A sign-off from the queue happens in place with htmx: the view answers with the
updated queue entry (or, when refused, the form again with the reason and what was
typed). Without JavaScript the same POST redirects back with a message.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from campaigns import dashboard_selectors as reads
from campaigns import metrics, selectors, services, workflow
from campaigns.forms import signoff_lines_input, signoff_lines_typed
from campaigns.models import Status
from capacity import check_types
from capacity.models import SignOff
from mopsync import versions
from mopsync.errors import DomainError
from mopsync.roles import MARKETING, user_roles
from mopsync.view_guards import reader, refusal_text

# The registry's words, courier short (a toast names it beside its decision).
DIMENSION_WORDS = {**check_types.DIMENSION_WORDS, "courier": "courier"}


@reader
@require_safe
def dashboard(request):
    # The same for everyone and changes only with the data: kept until it does. The bench
    # sets no target for the dashboard; without it the page ran 4 req/s against 77 (make
    # bench, 2026-12-05), too slow for the page both teams open first.
    today = timezone.localdate()
    board = versions.memo("dashboard", today, lambda: reads.dashboard(today=today))
    return render(
        request,
        "campaigns/dashboard.html",
        {
            "board": board,
            "horizon": reads.HORIZON_DAYS,
            "now": timezone.now(),
            "can_sign": bool(workflow.signable_by(request.user)),
        },
    )


# The dashboard's sections that each page view reads by a request of its own (htmx, on
# load), so that the page shows at once and no request reads everything: name → title and
# what it reads (`campaigns/dash/<name>.html` renders it).
METRIC_TITLES = {
    "ndr": "NDR by region",
    "returns": "Returns by SKU",
    "forecast": "Forecast vs actual (live)",
    "roas": "ROAS, gross vs net of returns",
    "cpa": "CPA to delivery",
    "customers": "Revenue per customer and repeat rate",
    "csat": "CSAT by region",
    "support": "Support load (tickets per 100 orders)",
}
SECTIONS = {
    "capacity": ("Capacity use", lambda today: reads.capacity_section(today=today)),
    "stock": ("Inventory at risk", lambda today: reads.stock_section(today=today)),
    **{
        name: (METRIC_TITLES[name], lambda today, name=name: {"rows": metrics.dashboard_panel(name)})
        for name in metrics.DASHBOARD_PANELS
    },
}


@reader
@require_safe
def dashboard_section(request, name: str):
    """A section of the dashboard: the fragment for htmx, else a page of its own (without
    JavaScript, the dashboard links to it)."""
    if name not in SECTIONS:
        raise Http404("No such dashboard section.")
    title, read = SECTIONS[name]
    today = timezone.localdate()
    # Kept as the dashboard is: without it "/dashboard/ndr/" took about a second a request
    # (1 req/s against 282; make bench, 2026-12-05).
    context = versions.memo("dashboard_section", (name, today), lambda: read(today))
    template = f"campaigns/dash/{name}.html"
    if request.htmx:
        response = render(request, template, context)
    else:
        response = render(
            request, "campaigns/dashboard_section.html", {**context, "title": title, "section_template": template}
        )
    patch_vary_headers(response, ["HX-Request"])  # one URL, two answers: caches must tell them apart
    return response


@login_required
@require_safe
def approval_queue(request):
    if not workflow.signable_by(request.user):
        # Segregation of duties: explain rather than show an empty list that looks like "all done".
        is_marketing = MARKETING in user_roles(request.user)
        return render(request, "campaigns/queue.html", {"refused": True, "is_marketing": is_marketing}, status=403)
    queue = reads.queue_page(request.user, page=request.GET.get("page", 1))
    return render(
        request,
        "campaigns/queue.html",
        {
            "rows": queue.rows,
            "page": queue.page,
            "total": queue.total,
            "late": queue.late,
            "away": [reads.person(user) for user in queue.away],
            "next": reverse("campaigns:queue") + (f"?page={queue.page.number}" if queue.page.number > 1 else ""),
        },
    )


def _next_url(request) -> str:
    """Where a no-JavaScript sign-off returns to: `next` when it is on this site, else the queue."""
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("campaigns:queue")


def _outcome(signoff: SignOff, campaign) -> str:
    """What a sign-off did, in a sentence for the person who made it."""
    dim = DIMENSION_WORDS.get(signoff.dimension, signoff.dimension)
    if signoff.decision == SignOff.Decision.CHANGES_REQUESTED:
        return f"Requested changes on {dim} — {campaign.name} went back to {campaign.owner.get_username()}."
    if signoff.decision == SignOff.Decision.REJECTED:
        return f"Rejected {dim} — {campaign.name} is rejected and holds no capacity."
    capped = f" at {signoff.approved_orders_per_day} orders/day" if signoff.approved_orders_per_day else ""
    dropped = [
        f"{line.sku.code} {'refused' if line.decision == 'refused' else f'capped at {line.approved_units_per_day}/day'}"
        for line in signoff.lines.select_related("sku").exclude(decision="approved").order_by("sku__code")
    ]
    if dropped:
        capped += f" ({', '.join(dropped)})"
    waiting = workflow.pending_dimensions(campaign)
    if waiting:
        return f"Approved {dim}{capped} — waiting for {' and '.join(DIMENSION_WORDS.get(d, d) for d in waiting)}."
    if campaign.status == Status.APPROVED:
        return f"Approved {dim}{capped} — {campaign.name} is approved at {campaign.approved_orders_per_day} orders/day."
    return f"Approved {dim}{capped} — {campaign.name} runs at {campaign.approved_orders_per_day} orders/day."


# The sign-off form's labels for the service's field names (templates/campaigns/_signoff_form.html).
SIGN_OFF_LABELS = {"approved_orders_per_day": "Cap (orders/day)", "comment": "Comment", "lines": "SKU lines"}


def _sku_rows(campaign, typed_lines: list[dict]) -> list[dict]:
    """The per-SKU rows of the inventory form again, as typed (after a refusal)."""
    typed = {row["sku"]: row for row in typed_lines}
    return [
        {
            "code": line.sku.code,
            "name": line.sku.name,
            "decision": typed.get(line.sku.code, {}).get("decision", "approved"),
            "units": typed.get(line.sku.code, {}).get("approved_units_per_day", ""),
            "comment": typed.get(line.sku.code, {}).get("comment", ""),
        }
        for line in campaign.sku_lines.all()
    ]


@login_required
@require_POST
def sign_off(request, pk: int):
    campaign = get_object_or_404(selectors.campaign_list(), pk=pk)
    typed = {
        "dimension": request.POST.get("dimension", ""),
        "decision": request.POST.get("decision", ""),
        "cap": request.POST.get("approved_orders_per_day", "").strip(),
        "comment": request.POST.get("comment", ""),
    }
    next_url = _next_url(request)
    # The per-SKU rows (inventory, on the campaign's page) go with the Approve button.
    typed_lines = signoff_lines_typed(request.POST)
    lines = signoff_lines_input(typed_lines) if typed["decision"] == "approved" else None
    try:
        signoff = services.campaign_sign_off(
            campaign=campaign,
            actor=request.user,
            dimension=typed["dimension"],
            decision=typed["decision"],
            approved_orders_per_day=typed["cap"] or None,
            comment=typed["comment"],
            lines=lines,
        )
    except DomainError as exc:
        if not request.htmx:
            messages.error(request, refusal_text(exc, SIGN_OFF_LABELS))
            return redirect(next_url)
        # 200, not the refusal's 409/403/400: htmx swaps only 2xx answers by default.
        return render(
            request,
            "campaigns/_signoff_form.html",
            {
                "campaign": campaign,
                "next": next_url,
                "error": refusal_text(exc, SIGN_OFF_LABELS),
                **typed,
                "sku_rows": _sku_rows(campaign, typed_lines) if typed_lines else [],
            },
        )

    campaign = selectors.campaign_list().get(pk=pk)
    outcome = _outcome(signoff, campaign)
    if not request.htmx:
        messages.success(request, outcome)
        return redirect(next_url)
    if urlsplit(next_url).path == reverse("campaigns:queue"):
        row = reads.queue_row(campaign, workflow.signable_dimensions(campaign, request.user), user=request.user)
        response = render(request, "campaigns/_queue_row.html", {"row": row, "outcome": outcome, "next": next_url})
        # The form asked to swap itself; the whole entry changed (verdict, what is left to decide).
        response["HX-Retarget"] = f"#entry-{campaign.pk}"
        response["HX-Reswap"] = "outerHTML"
        return response
    # Elsewhere (a campaign's page): the decision replaces the form.
    return render(
        request,
        "campaigns/_signoff_done.html",
        {"campaign": campaign, "dimension": signoff.dimension, "outcome": outcome, "next": next_url},
    )
