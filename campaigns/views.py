"""Campaign pages: translation between HTTP and the services/selectors only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST, require_safe

from campaigns import exports, metrics, notifications, selectors, services, workflow
from campaigns.filters import CampaignFilter
from campaigns.forms import (
    LINE_SETS,
    CampaignFilterForm,
    CampaignForm,
    CommentForm,
    InboxFilterForm,
    NotificationSettingsForm,
    RegionLineFormSet,
    ScaleUpForm,
    SkuLineFormSet,
    lines_data,
    percent_text,
    share_total,
    with_one_more_line,
)
from campaigns.models import Campaign, Notification, PostCampaignReview, Preference, Status
from campaigns.validation import clean_plan
from capacity import checks, verdicts
from capacity.models import Dimension
from capacity.selectors import active_dimensions, load_snapshot
from mopsync.csv_export import csv_stream_response
from mopsync.errors import DomainError, InvalidInput
from mopsync.forms import form_message, percent_of, says_its_field
from mopsync.view_guards import attempt, bad_query, reader, refusal_text


def _campaign_filter(query, queryset) -> CampaignFilter:
    """The list's filters as the query gives them (`q` is the search; empty ones dropped)."""
    params = query.copy()
    params.pop("page", None)
    if params.get("q"):
        params["search"] = params.pop("q")[0]
    for key in [k for k, v in params.items() if not v]:
        params.pop(key)
    return CampaignFilter(params, queryset=queryset.order_by("starts_on", "id"))


@reader
def campaign_list(request):
    form = CampaignFilterForm(request.GET or None)
    filtered = _campaign_filter(request.GET, selectors.campaign_list())
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


@reader
@require_safe
def campaign_export(request):
    """The campaign list as CSV, with the list's filters. A filter that is not understood
    is a 400 that says which: a download of everything would pass for the filtered list."""
    filtered = _campaign_filter(request.GET, Campaign.objects.all())
    if not filtered.is_valid():
        return bad_query(filtered.errors, labels={"search": "Search", "active_from": "From", "active_to": "To"})
    campaigns = exports.campaigns_for_export(filtered.qs)
    stamp = timezone.localdate().isoformat()
    return csv_stream_response(
        f"campaigns-{stamp}.csv",
        exports.CAMPAIGN_HEADER,
        exports.campaign_rows(campaigns),
        numeric=exports.CAMPAIGN_NUMERIC,
    )


def _bound_forms(data):
    return CampaignForm(data), SkuLineFormSet(data, prefix="skus"), RegionLineFormSet(data, prefix="regions")


def _forms(request, campaign=None):
    if request.method == "POST":
        return _bound_forms(request.POST)
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


# The plan's service field names → the form's; which of them the form asks in percent.
PLAN_ALIASES = {"cod_share": "cod_percent", "conversion_rate": "conversion_percent"}
PLAN_PERCENT = ("cod_share", "conversion_rate", "skus", "regions")


def _plan_labels(form) -> dict[str, str]:
    """The service's field names in the plan form's words."""
    labels = {name: str(form[name].label) for name in form.fields}
    labels.update({service: labels[name] for service, name in PLAN_ALIASES.items()})
    labels.update(skus="SKU", regions="Region")
    return labels


def _plan_message(msg: str, field: str, form) -> str:
    return form_message(msg, field=field, labels=_plan_labels(form), percent=PLAN_PERCENT)


def _plan_problems(exc: InvalidInput, form) -> list[str]:
    """A refusal of the plan as sentences in the form's words (the live check's panel)."""
    labels = _plan_labels(form)
    problems = []
    for field, msgs in exc.errors.items():
        for msg in msgs:
            text = _plan_message(msg, field, form)
            known = field in labels and not says_its_field(msg)
            problems.append(f"{labels[field]}: {text}" if known else text)
    return problems


def _show_refusal(exc: DomainError, form, sku_set, region_set, request) -> None:
    """Put the service's field messages next to the fields, in the form's words (labels,
    percent); keep what the user typed."""
    if not isinstance(exc, InvalidInput):
        messages.error(request, refusal_text(exc))
        return
    for field, msgs in exc.errors.items():
        name = PLAN_ALIASES.get(field, field)
        said = [_plan_message(msg, field, form) for msg in msgs]
        target = {"skus": sku_set, "regions": region_set}.get(name)
        if target is not None:
            target._non_form_errors = target.error_class([*target.non_form_errors(), *said])
        elif name in form.fields:
            for msg in said:
                form.add_error(name, msg)
        else:
            for msg in _plan_problems(InvalidInput({field: msgs}), form):
                form.add_error(None, msg)


def _adding_line(request) -> str | None:
    """Which formset the no-JavaScript "Add … line" button asked to grow, if it was pressed."""
    kind = request.POST.get("add_line") if request.method == "POST" else None
    return kind if kind in LINE_SETS else None


def _render_form(request, form, sku_set, region_set, campaign, *, adding: bool = False):
    """The plan form. `adding`: re-shown with one more line, nothing saved and nothing
    judged yet (what was typed stays, without error messages)."""
    return render(
        request,
        "campaigns/form.html",
        {
            "form": form,
            "sku_set": sku_set,
            "region_set": region_set,
            "campaign": campaign,
            "quiet": adding,
            "sku_total": percent_text(share_total(sku_set)),
            "region_total": percent_text(share_total(region_set)),
        },
    )


@reader
@require_POST
def add_line(request, kind: str):
    """htmx: the SKU or region lines as typed, with one more empty line (saves nothing)."""
    if kind not in LINE_SETS:
        raise Http404("No such lines")
    formset = LINE_SETS[kind](with_one_more_line(request.POST, kind), prefix=kind)
    return render(request, "campaigns/_lines.html", {"lines": formset, "kind": kind, "quiet": True,
                                                      "total": percent_text(share_total(formset))})  # fmt: skip


@reader
def campaign_new(request):
    if kind := _adding_line(request):
        return _render_form(request, *_bound_forms(with_one_more_line(request.POST, kind)), None, adding=True)
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
    return _render_form(request, form, sku_set, region_set, None)


@reader
def campaign_edit(request, pk: int):
    campaign = get_object_or_404(selectors.campaign_list(), pk=pk)
    if kind := _adding_line(request):
        return _render_form(request, *_bound_forms(with_one_more_line(request.POST, kind)), campaign, adding=True)
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
    return _render_form(request, form, sku_set, region_set, campaign)


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
    context = {"result": None, "problems": [], "campaign": None}  # a plan as typed: nothing approved yet
    data = _service_input(form, sku_set, region_set)
    if data is None:
        context["problems"] = ["Fill in the dates, the forecast, and SKU and region lines to see the check."]
    else:
        try:
            cleaned = clean_plan(data)
        except InvalidInput as exc:
            context["problems"] = _plan_problems(exc, form)
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
    signoffs = sorted(campaign.signoffs.all(), key=lambda s: (s.created_at, s.pk))
    lines = selectors.dropped_lines_of(signoffs)
    for signoff in signoffs:
        signoff.dropped_lines = lines.get(signoff.pk, [])
    inventory = campaign.current_approvals().get(Dimension.INVENTORY)
    dropped = lines.get(inventory.pk, []) if inventory else []
    actions = workflow.available_actions(campaign, request.user)
    return {
        "campaign": campaign,
        "sku_lines": sku_lines,
        "region_lines": region_lines,
        "result": result,
        "approvals": campaign.current_approvals(),
        # Each dimension a campaign needs now, with the approval that covers it (None: not yet).
        "dimension_approvals": [(d, campaign.current_approvals().get(d)) for d in active_dimensions()],
        "signoffs": signoffs,
        "pending": workflow.pending_dimensions(campaign),
        # Each dimension the user may decide, with what it alone takes and the cap its form
        # offers when the plan does not fit it.
        "signable": [
            (
                d,
                verdicts.dimension_sentence(result, d, campaign.orders_per_day),
                verdicts.suggested_cap(result, d, campaign.orders_per_day),
            )
            for d in workflow.signable_dimensions(campaign, request.user)
        ],
        "actions": actions,
        "reservations": reservations,
        "changes": selectors.changes_since_signoff(campaign),
        # What the inventory approval dropped or capped (issue 19), and the per-SKU rows of
        # the inventory sign-off form.
        "dropped_lines": dropped,
        "can_resubmit_lines": bool(dropped)
        and "edit" in actions
        and campaign.status in (Status.SUBMITTED, Status.APPROVED),
        "sku_rows": [
            {"code": line.code, "name": line.name, "decision": "approved", "units": None, "comment": ""}
            for line in sku_lines
        ],
        **_timeline_context(campaign),
        "scale_form": ScaleUpForm(),
        "today": today,
        "can_plan": workflow.permits(request.user, None, "create"),
        **_review_context(campaign, region_lines),
    }


def _review_context(campaign, region_lines) -> dict:
    """A completed campaign's post-campaign review with its support figures (3 queries);
    nothing (no query) for the others."""
    if campaign.status != Status.COMPLETED:
        return {}
    review = PostCampaignReview.objects.filter(campaign=campaign).first()
    if review is None:
        return {}
    return {"review": review, "review_support": metrics.review_support(campaign, [line.id for line in region_lines])}


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


@reader
@require_POST
def campaign_clone(request, pk: int):
    """A new draft from this plan, owned by whoever clones it; open its edit page."""
    campaign = get_object_or_404(selectors.campaign_list(), pk=pk)
    clone = attempt(
        request, lambda: services.campaign_clone(actor=request.user, campaign=campaign),
        success="Copied as a new draft: change what differs and save.",
    )  # fmt: skip
    if clone is None:
        return redirect("campaigns:detail", pk=campaign.pk)
    return redirect("campaigns:edit", pk=clone.pk)


ACTIONS = {
    "submit": (lambda c, u, p: services.campaign_submit(campaign=c, actor=u), "Submitted for ops sign-off."),
    "go-live": (lambda c, u, p: services.campaign_go_live(campaign=c, actor=u), "The campaign is live."),
    "pause": (lambda c, u, p: services.campaign_pause(campaign=c, actor=u, reason=p.get("comment", "")), "Paused."),
    "resume": (lambda c, u, p: services.campaign_resume(campaign=c, actor=u), "Resumed."),
    "cancel": (
        lambda c, u, p: services.campaign_cancel(campaign=c, actor=u, comment=p.get("comment", "")),
        "Cancelled; its reservations were released.",
    ),
    "resubmit-dropped-lines": (
        lambda c, u, p: services.campaign_resubmit_dropped_lines(campaign=c, actor=u, comment=p.get("comment", "")),
        "Asked again for the dropped lines: inventory signs off the plan again.",
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
        messages.error(
            request,
            "; ".join(
                f"{form[k].label if k in form.fields else 'Form'}: {' '.join(v)}" for k, v in form.errors.items()
            ),
        )
    else:
        call, success = ACTIONS[action]
        attempt(request, lambda: call(campaign, request.user, form.cleaned_data), success=success)
    return redirect("campaigns:detail", pk=campaign.pk)


@login_required
def inbox(request):
    """The signed-in person's in-app notifications: unread first to the eye, filterable
    by kind and by unread (query string, no JavaScript needed)."""
    if request.method == "POST":
        services.notifications_mark_all_read(actor=request.user)
        messages.success(request, "All marked as read.")
        return redirect("campaigns:inbox")
    form = InboxFilterForm(request.GET or None)
    notes = Notification.objects.filter(recipient=request.user, in_app=True).select_related("campaign")
    if form.is_bound and not form.is_valid():
        messages.error(request, "That kind of notification is not one mopsync sends; showing all.")
        form = InboxFilterForm()
    elif form.is_bound:
        if form.cleaned_data["kind"]:
            notes = notes.filter(kind=form.cleaned_data["kind"])
        if form.cleaned_data["unread"]:
            notes = notes.filter(read_at__isnull=True)
    page = Paginator(notes, 50).get_page(request.GET.get("page"))
    query = _inbox_query(form)
    return render(
        request,
        "campaigns/inbox.html",
        {"page": page, "form": form, "query": query, "filtered": bool(query)},
    )


def _inbox_query(form: InboxFilterForm, page: str | None = None) -> str:
    params = {}
    if form.is_bound and form.is_valid():
        params = {k: v for k, v in (("kind", form.cleaned_data["kind"]), ("unread", form.cleaned_data["unread"])) if v}
        if params.get("unread"):
            params["unread"] = "on"
    if page:
        params["page"] = page
    return urlencode(params)


@login_required
@require_POST
def inbox_read(request, pk: int):
    """Mark one notification read, then back to the inbox as it was filtered."""
    note = get_object_or_404(Notification.objects.filter(recipient=request.user, in_app=True), pk=pk)
    services.notification_mark_read(actor=request.user, notification=note)
    query = _inbox_query(InboxFilterForm(request.POST), page=request.POST.get("page", "").strip() or None)
    return redirect(reverse("campaigns:inbox") + (f"?{query}" if query else "") + f"#n{note.pk}")


@login_required
def notification_settings(request):
    """Per kind, which channels (inbox, email, Slack) a person wants; and the daily report."""
    preference = Preference.objects.filter(user=request.user).first()
    form = NotificationSettingsForm(request.POST or None, preference=preference)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.notification_preferences_save(actor=request.user, **form.service_data())
            except DomainError as exc:
                form.add_error(None, refusal_text(exc))
            else:
                messages.success(request, "Notification settings saved.")
                return redirect("campaigns:notification_settings")
        status = 400
    return render(
        request,
        "campaigns/notification_settings.html",
        {"form": form, "channels": notifications.CHANNELS},
        status=status,
    )
