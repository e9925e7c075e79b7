"""The shared calendar page and the private iCalendar feed: translation between HTTP
and `campaigns.calendar` only."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from campaigns import calendar
from campaigns.models import Channel, Status
from campaigns.web import reader
from capacity.models import Region, Sku

FILTERS = ("channel", "region", "sku", "status")


class CalendarFilterForm(forms.Form):
    channel = forms.ChoiceField(required=False, choices=[("", "All channels"), *Channel.choices])
    region = forms.ChoiceField(required=False)
    sku = forms.ChoiceField(required=False, label="SKU")
    status = forms.ChoiceField(required=False, label="Campaign status", choices=[("", "All"), *Status.choices])

    def __init__(self, data, *, regions, skus):
        super().__init__(data)
        self.fields["region"].choices = [("", "All regions"), *((code, f"{code} — {name}") for code, name in regions)]
        self.fields["sku"].choices = [("", "All SKUs"), *((code, f"{code} — {name}") for code, name in skus)]


def _period(query, today) -> tuple[calendar.Period, str | None]:
    """The period asked for, or this month with a reason when it was not understood."""
    week, month = query.get("week", "").strip(), query.get("month", "").strip()
    if week:
        period = calendar.parse_week(week)
        if period is None:
            return calendar.Period.month_of(
                today
            ), "That week was not understood (use e.g. 2026-W49); showing this month."
        return period, None
    if month:
        period = calendar.parse_month(month)
        if period is None:
            return calendar.Period.month_of(
                today
            ), "That month was not understood (use e.g. 2026-12); showing this month."
        return period, None
    return calendar.Period.month_of(today), None


def _filters(request, form: CalendarFilterForm) -> dict[str, str]:
    """The filters that were understood; each one that was not is dropped with a message."""
    form.is_valid()
    for name in FILTERS:
        if name in form.errors:
            messages.warning(
                request, f"The {form.fields[name].label or name} filter was not understood and was ignored."
            )
    return {name: form.cleaned_data[name] for name in FILTERS if form.cleaned_data.get(name)}


def _link(period: calendar.Period | None, filters: dict[str, str]) -> str | None:
    if period is None:
        return None
    return "?" + urlencode({**period.param, **filters})


@reader
def calendar_page(request):
    today = timezone.localdate()
    period, problem = _period(request.GET, today)
    if problem:
        messages.warning(request, problem)
    form = CalendarFilterForm(
        request.GET,
        regions=Region.objects.order_by("code").values_list("code", "name"),
        skus=Sku.objects.order_by("code").values_list("code", "name"),
    )
    filters = _filters(request, form)
    grid = calendar.calendar_grid(period, today=today, **filters)
    feed = calendar.calendar_feed_for(request.user)

    if period.kind == "month":
        today_period = calendar.Period.month_of(today)
        # The week to open from the month: this week when it is in the month, else the month's first.
        inside = period.first <= today <= period.last
        other = calendar.Period.week_of(today if inside else period.first)
    else:
        today_period = calendar.Period.week_of(today)
        other = calendar.Period.month_of(period.first + timedelta(days=3))  # ISO: the Thursday's month
    return render(
        request,
        "calendar/calendar.html",
        {
            "grid": grid,
            "period": period,
            "form": form,
            "filters": filters,
            "filter_query": urlencode(filters),
            "period_param": next(iter(period.param.items())),
            "prev_url": _link(period.previous(), filters),
            "next_url": _link(period.next(), filters),
            "today_url": _link(today_period, filters),
            "is_current": period == today_period,
            "other_url": _link(other, filters),
            "self_url": _link(period, filters),
            "heat_legend": calendar.HEAT_LEGEND,
            "statuses": Status.choices,
            "feed_url": request.build_absolute_uri(reverse("calendar:feed", args=[feed.token])),
            "region": filters.get("region"),
        },
    )


@login_required
@require_POST
def feed_regenerate(request):
    calendar.calendar_feed_regenerate(user=request.user)
    messages.success(request, "New feed URL made; the old one no longer works. Update the calendar apps that use it.")
    back = request.POST.get("back", "")
    # Only a query string of this page: never an open redirect.
    if back.startswith("?") and "\n" not in back and "\r" not in back and len(back) < 500:
        return redirect(reverse("calendar:month") + back)
    return redirect("calendar:month")


@require_safe
def feed(request, token: str):
    """The private iCalendar feed: no login, the unguessable token is the key."""
    user = calendar.calendar_feed_owner(token)
    if user is None:
        raise Http404("No such calendar feed.")
    body = calendar.calendar_ics(user=user, today=timezone.localdate(), absolute=request.build_absolute_uri)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="mopsync.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
