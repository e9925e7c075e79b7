"""Campaign pages: translation between HTTP and the services/selectors only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from campaigns import selectors, services, workflow
from campaigns.filters import CampaignFilter
from campaigns.forms import (
    CampaignFilterForm,
    CampaignForm,
    CommentForm,
    RegionLineFormSet,
    ScaleUpForm,
    SkuLineFormSet,
    lines_data,
)
from campaigns.models import Notification
from campaigns.validation import clean_plan
from capacity import checks
from capacity.selectors import load_snapshot
from mopsync.errors import DomainError, InvalidInput
from mopsync.forms import percent_of
from mopsync.view_guards import attempt, reader, refusal_text


@reader
def campaign_list(request):
    form = CampaignFilterForm(request.GET or None)
    params = request.GET.copy()
    params.pop("page", None)
    if params.get("q"):
        params["search"] = params.pop("q")[0]
    for key in [k for k, v in params.items() if not v]:
        params.pop(key)
    filtered = CampaignFilter(params, queryset=selectors.campaign_list().order_by("starts_on", "id"))
    campaigns = filtered.qs if filtered.is_valid() else selectors.campaign_list().none()
    if not filtered.is_valid():
        messages.error(request, "Some filters were not understood and were ignored.")
        campaigns = selectors.campaign_list().order_by("starts_on", "id")
    page = Paginator(campaigns, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "campaigns/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_plan": workflow.permits(request.user, None, "create"),
        },
    )


def _forms(request, campaign=None):
    if request.method == "POST":
        return (
            CampaignForm(request.POST),
            SkuLineFormSet(request.POST, prefix="skus"),
            RegionLineFormSet(request.POST, prefix="regions"),
        )
    if campaign is None:
        return CampaignForm(), SkuLineFormSet(prefix="skus"), RegionLineFormSet(prefix="regions")
    skus = [{"sku": line.sku, "share_percent": percent_of(line.share)} for line in campaign.sku_lines.all()]
    regions = [{"region": line.region, "share_percent": percent_of(line.share)} for line in campaign.region_lines.all()]
    return (
        CampaignForm(initial=CampaignForm.initial_from(campaign)),
        SkuLineFormSet(prefix="skus", initial=skus),
        RegionLineFormSet(prefix="regions", initial=regions),
    )


def _service_input(form, sku_set, region_set) -> dict | None:
    valid = form.is_valid() & sku_set.is_valid() & region_set.is_valid()
    if not valid:
        return None
    data = form.service_data()
    data["skus"] = lines_data(sku_set, "sku")
    data["regions"] = lines_data(region_set, "region")
    return data


def _show_refusal(exc: DomainError, form, sku_set, region_set, request) -> None:
    """Put the service's field messages next to the fields; keep what the user typed."""
    if not isinstance(exc, InvalidInput):
        messages.error(request, refusal_text(exc))
        return
    aliases = {"cod_share": "cod_percent", "conversion_rate": "conversion_percent"}
    for field, msgs in exc.errors.items():
        name = aliases.get(field, field)
        target = {"skus": sku_set, "regions": region_set}.get(name)
        if target is not None:
            target._non_form_errors = target.error_class([*target.non_form_errors(), *msgs])
        elif name in form.fields:
            for msg in msgs:
                form.add_error(name, msg)
        else:
            form.add_error(None, " ".join(msgs))


@reader
def campaign_new(request):
    form, sku_set, region_set = _forms(request)
    if request.method == "POST":
        data = _service_input(form, sku_set, region_set)
        if data is not None:
            try:
                campaign = services.campaign_create(actor=request.user, data=data)
            except DomainError as exc:
                _show_refusal(exc, form, sku_set, region_set, request)
            else:
                if "submit" in request.POST:
                    attempt(request, lambda: services.campaign_submit(campaign=campaign, actor=request.user),
                            success="Submitted for ops sign-off.")  # fmt: skip
                else:
                    messages.success(request, "Draft saved.")
                return redirect("campaigns:detail", pk=campaign.pk)
    return render(
        request, "campaigns/form.html", {"form": form, "sku_set": sku_set, "region_set": region_set, "campaign": None}
    )


@reader
def campaign_edit(request, pk: int):
    campaign = get_object_or_404(selectors.campaign_list(), pk=pk)
    form, sku_set, region_set = _forms(request, campaign)
    if request.method == "POST":
        data = _service_input(form, sku_set, region_set)
        if data is not None:
            try:
                services.campaign_update(campaign=campaign, actor=request.user, data=data)
            except DomainError as exc:
                _show_refusal(exc, form, sku_set, region_set, request)
            else:
                messages.success(request, "Plan saved.")
                return redirect("campaigns:detail", pk=campaign.pk)
    return render(
        request,
        "campaigns/form.html",
        {"form": form, "sku_set": sku_set, "region_set": region_set, "campaign": campaign},
    )


@reader
def live_check(request):
    """The form's capacity panel (htmx): check the plan as typed, without saving it."""
    base = None
    if request.POST.get("campaign"):
        base = (
            selectors.campaign_list().filter(pk=request.POST["campaign"]).first()
            if request.POST["campaign"].isdigit()
            else None
        )
    form = CampaignForm(request.POST)
    sku_set = SkuLineFormSet(request.POST, prefix="skus")
    region_set = RegionLineFormSet(request.POST, prefix="regions")
    context = {"result": None, "problems": []}
    data = _service_input(form, sku_set, region_set)
    if data is None:
        context["problems"] = ["Fill in the dates, the forecast, and SKU and region lines to see the check."]
    else:
        try:
            cleaned = clean_plan(data)
        except InvalidInput as exc:
            context["problems"] = [refusal_text(exc)]
        else:
            plan = selectors.plan_from_input(cleaned)
            snap = load_snapshot(plan, today=timezone.localdate(), exclude_campaign_id=base.pk if base else None)
            context["result"] = checks.run_check(plan, snap)
    return render(request, "campaigns/_check.html", context)


def _detail_context(request, campaign) -> dict:
    today = timezone.localdate()
    sku_lines, region_lines = selectors.campaign_lines([campaign.pk]).get(campaign.pk, ([], []))
    result = selectors.campaign_capacity_check(campaign, today=today, cached=True, lines=(sku_lines, region_lines))
    reservations = selectors.reservation_summary(campaign)
    return {
        "campaign": campaign,
        "sku_lines": sku_lines,
        "region_lines": region_lines,
        "result": result,
        "approvals": campaign.current_approvals(),
        "signoffs": sorted(campaign.signoffs.all(), key=lambda s: (s.created_at, s.pk)),
        "pending": workflow.pending_dimensions(campaign),
        "signable": workflow.signable_dimensions(campaign, request.user),
        "actions": workflow.available_actions(campaign, request.user),
        "reservations": reservations,
        "changes": selectors.changes_since_signoff(campaign),
        **_timeline_context(campaign),
        "scale_form": ScaleUpForm(),
        "today": today,
    }


def _timeline_context(campaign, *, error: str = "", body: str = "") -> dict:
    return {
        "campaign": campaign,
        "timeline": selectors.campaign_timeline(campaign),
        "comment_error": error,
        "comment_body": body,
        "comment_max_length": services.COMMENT_MAX_LENGTH,
    }


@reader
def campaign_detail(request, pk: int):
    campaign = get_object_or_404(selectors.campaign_page(), pk=pk)
    return render(request, "campaigns/detail.html", _detail_context(request, campaign))


@reader
@require_POST
def campaign_comment(request, pk: int):
    """Add a comment to the campaign's discussion. htmx: answers with the timeline again
    (with the refusal and what was typed, if refused). Without JavaScript: back to the
    page, or the page again with the refusal (400)."""
    campaign = get_object_or_404(selectors.campaign_page(), pk=pk)
    body = request.POST.get("body", "")
    error = ""
    try:
        services.comment_add(actor=request.user, campaign=campaign, body=body)
    except DomainError as exc:
        error = refusal_text(exc)
    if request.htmx:
        context = _timeline_context(campaign, error=error, body=body if error else "")
        return render(request, "campaigns/_timeline.html", context)
    if error:
        context = {**_detail_context(request, campaign), **_timeline_context(campaign, error=error, body=body)}
        return render(request, "campaigns/detail.html", context, status=400)
    messages.success(request, "Comment added.")
    return redirect(reverse("campaigns:detail", args=[campaign.pk]) + "#timeline")


ACTIONS = {
    "submit": (lambda c, u, p: services.campaign_submit(campaign=c, actor=u), "Submitted for ops sign-off."),
    "go-live": (lambda c, u, p: services.campaign_go_live(campaign=c, actor=u), "The campaign is live."),
    "pause": (lambda c, u, p: services.campaign_pause(campaign=c, actor=u, reason=p.get("comment", "")), "Paused."),
    "resume": (lambda c, u, p: services.campaign_resume(campaign=c, actor=u), "Resumed."),
    "cancel": (
        lambda c, u, p: services.campaign_cancel(campaign=c, actor=u, comment=p.get("comment", "")),
        "Cancelled; its reservations were released.",
    ),
    "scale-up": (
        lambda c, u, p: services.campaign_scale_up(
            campaign=c, actor=u, orders_per_day=p.get("orders_per_day"), comment=p.get("comment", "")
        ),
        "Scale-up sent to ops; the campaign keeps running at its approved volume until they sign off.",
    ),
}


@reader
@require_POST
def campaign_action(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404("No such action")
    campaign = get_object_or_404(selectors.campaign_list(), pk=pk)
    form = ScaleUpForm(request.POST) if action == "scale-up" else CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    else:
        call, success = ACTIONS[action]
        attempt(request, lambda: call(campaign, request.user, form.cleaned_data), success=success)
    return redirect("campaigns:detail", pk=campaign.pk)


@login_required
def inbox(request):
    if request.method == "POST":
        services.notifications_mark_all_read(actor=request.user)
        messages.success(request, "All marked as read.")
        return redirect("campaigns:inbox")
    notes = Notification.objects.filter(recipient=request.user).select_related("campaign")
    page = Paginator(notes, 50).get_page(request.GET.get("page"))
    return render(request, "campaigns/inbox.html", {"page": page})
