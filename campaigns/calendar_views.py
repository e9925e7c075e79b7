"""The shared calendar page and the private iCalendar feed: translation between HTTP
and `campaigns.calendar` only."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.forms.utils import flatatt
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST, require_safe

from campaigns import calendar, exports
from campaigns.models import Channel, Status
from capacity.models import Region, Sku
from mopsync import versions
from mopsync.csv_export import csv_stream_response
from mopsync.view_guards import bad_query, reader

FILTERS = ("channel", "region", "sku", "status")


class PreparedChoices(BaseChoiceIterator):
    """A long list of choices, normalised and escaped once and kept with the reference
    data (`versions.memo`): Django would normalise a plain list again on every request
    and render an option template per option, most of a calendar page's time at a
    thousand SKUs. Being a choice iterator, Django takes it as it is."""

    def __init__(self, choices):
        self.choices = list(choices)
        self.tags = [
            (str(key), f'<option value="{escape(key)}">{escape(label)}</option>') for key, label in self.choices
        ]

    def __iter__(self):
        return iter(self.choices)


class PreparedSelect(forms.Select):
    """A <select> of `PreparedChoices`: the chosen option is marked, the others joined as they are."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        options = "".join(
            tag.replace("<option ", "<option selected ", 1) if key in chosen else tag for key, tag in self.choices.tags
        )
        attributes = flatatt({"name": name, **self.build_attrs(self.attrs, attrs)})
        return mark_safe(f"<select{attributes}>{options}</select>")  # noqa: S308 - every value is escaped above


class CalendarFilterForm(forms.Form):
    channel = forms.ChoiceField(required=False, choices=[("", "All channels"), *Channel.choices])
    region = forms.ChoiceField(required=False, widget=PreparedSelect)
    sku = forms.ChoiceField(required=False, label="SKU", widget=PreparedSelect)
    status = forms.ChoiceField(required=False, label="Campaign status", choices=[("", "All"), *Status.choices])

    def __init__(self, data, *, regions: PreparedChoices, skus: PreparedChoices):
        super().__init__(data)
        self.fields["region"].choices = regions
        self.fields["sku"].choices = skus


# The periods a URL can ask for, the first one given wins: how to read each, and an example.
PERIODS = (
    ("day", calendar.parse_day, "2026-12-03"),
    ("week", calendar.parse_week, "2026-W49"),
    ("month", calendar.parse_month, "2026-12"),
)


def _period(query, today) -> tuple[calendar.Period, str | None]:
    """The period asked for, or this month with a reason when it was not understood."""
    for name, parse, example in PERIODS:
        value = query.get(name, "").strip()
        if value:
            period = parse(value)
            if period is None:
                problem = f"That {name} was not understood (use e.g. {example}); showing this month."
                return calendar.Period.month_of(today), problem
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


def _choices() -> tuple[PreparedChoices, PreparedChoices]:
    regions = Region.objects.order_by("code").values_list("code", "name")
    skus = Sku.objects.order_by("code").values_list("code", "name")
    return (
        PreparedChoices([("", "All regions"), *((code, f"{code} — {name}") for code, name in regions)]),
        PreparedChoices([("", "All SKUs"), *((code, f"{code} — {name}") for code, name in skus)]),
    )


def _page_number(query) -> int:
    """The page of a day's list asked for: 1 for anything that is not a page number."""
    try:
        number = int(query.get("page", "")[:7])
    except ValueError:
        return 1
    return max(number, 1)


def _body(period: calendar.Period, *, today, filters: dict[str, str], page: int) -> str:
    """The month or week grid, or a page of the day's list, as HTML. It depends only on
    the data, the period, the filters and the page, so the calendar keeps it: a month
    of a large brand takes far longer to render than to read."""
    context = {"period": period, "filters": filters, "filter_query": urlencode(filters), "grid": None, "day": None}
    if period.kind == "day":
        day = calendar.calendar_day(period, **filters)
        paginator = Paginator(day.entries, calendar.DAY_PAGE_SIZE)
        context.update(day=day, day_page=paginator.get_page(page), self_url=_link(period, filters))
    else:
        context["grid"] = calendar.calendar_grid(period, today=today, **filters)
    return render_to_string("calendar/_body.html", context)


@reader
def calendar_page(request):
    today = timezone.localdate()
    period, problem = _period(request.GET, today)
    if problem:
        messages.warning(request, problem)
    # Both kept for the make bench row "calendar_page ÷ /me/" (≥ 25%): 7% without the body's
    # memo (2026-12-05); the filter's thousand SKUs were most of a page's time before.
    regions, skus = versions.memo("calendar_choices", None, _choices, scope=versions.REF)
    form = CalendarFilterForm(request.GET, regions=regions, skus=skus)
    filters = _filters(request, form)
    # What the period shows changes only with the data: kept, as HTML, until it does (`mopsync.versions`).
    page = _page_number(request.GET) if period.kind == "day" else 1
    body = versions.memo(
        "calendar_body",
        (period, today, tuple(sorted(filters.items())), page),
        lambda: _body(period, today=today, filters=filters, page=page),
    )
    feed = calendar.calendar_feed_for(request.user)

    if period.kind == "day":
        today_period = calendar.Period.day_of(today)
        other = calendar.Period.week_of(period.first)
    elif period.kind == "month":
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
            "body": body,
            "month_url": _link(calendar.Period.month_of(period.first), filters),
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
            "export_url": _export_url(period, filters),
            "heat_legend": calendar.HEAT_LEGEND,
            "statuses": Status.choices,
            "feed_url": _absolute(reverse("calendar:feed", args=[feed.token])),
            "region": filters.get("region"),
        },
    )


# The longest range one download holds: a year, as the private feed's look-ahead.
EXPORT_MAX_DAYS = 366


class CalendarRangeForm(forms.Form):
    """The days a download covers: `start` and `end` (both or neither; ISO dates)."""

    start = forms.DateField(required=False, input_formats=["%Y-%m-%d"], label="Start")
    end = forms.DateField(required=False, input_formats=["%Y-%m-%d"], label="End")

    def __init__(self, data):
        super().__init__(data)
        for field in self.fields.values():
            field.error_messages["invalid"] = "Use a date like 2026-12-01."

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if self.errors:
            return cleaned
        if (start is None) != (end is None):
            raise forms.ValidationError("Give both a start and an end date, or neither.")
        if start and end < start:
            self.add_error("end", "The end date is before the start date.")
        elif start and (end - start).days + 1 > EXPORT_MAX_DAYS:
            self.add_error("end", f"At most {EXPORT_MAX_DAYS} days in one download.")
        return cleaned


def _export_range(query, today) -> tuple[tuple | None, dict]:
    """(first day, last day) of a download, or None with the errors: `start` and `end`,
    else the period the page's parameters name (`month`, `week`, `day`), else this month."""
    dates = CalendarRangeForm(query)
    if not dates.is_valid():
        return None, dates.errors
    if dates.cleaned_data["start"]:
        return (dates.cleaned_data["start"], dates.cleaned_data["end"]), {}
    period, problem = _period(query, today)
    if problem:
        name = next(name for name, _, _ in PERIODS if query.get(name, "").strip())
        return None, {name: [problem.replace("; showing this month.", ".")]}
    return (period.first, period.last), {}


def _export_url(period: calendar.Period, filters: dict[str, str]) -> str:
    query = {"start": period.first.isoformat(), "end": period.last.isoformat(), **filters}
    return reverse("calendar:export") + "?" + urlencode(query)


@reader
@require_safe
def calendar_export(request):
    """The calendar's entries and each day's courier capacity use over a range of days,
    with the page's filters, as CSV. A range or filter that is not understood is a 400
    that says which (the page shows this month instead; a file must not pass for it)."""
    days, errors = _export_range(request.GET, timezone.localdate())
    regions, skus = versions.memo("calendar_choices", None, _choices, scope=versions.REF)
    form = CalendarFilterForm(request.GET, regions=regions, skus=skus)
    if not form.is_valid():
        errors = {**errors, **form.errors}
    if errors:
        labels = {"__all__": "Dates", "start": "Start", "end": "End", "sku": "SKU", "status": "Campaign status"}
        return bad_query(errors, labels=labels)
    filters = {name: form.cleaned_data[name] for name in FILTERS if form.cleaned_data.get(name)}
    start, end = days
    export = exports.calendar_for_export(start=start, end=end, **filters)
    return csv_stream_response(
        f"calendar-{start.isoformat()}-to-{end.isoformat()}.csv",
        exports.CALENDAR_HEADER,
        exports.calendar_rows(export),
        numeric=exports.CALENDAR_NUMERIC,
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


def _absolute(path: str) -> str:
    # The feed's links are the emails' (MOPSYNC_BASE_URL): a calendar app fetching from
    # behind a proxy, or the page seen on another name, must not give it another address.
    return settings.MOPSYNC_BASE_URL + path


@require_safe
def feed(request, token: str):
    """The private iCalendar feed: no login, the unguessable token is the key."""
    user = calendar.calendar_feed_owner(token)
    if user is None:
        raise Http404("No such calendar feed.")
    body = calendar.calendar_ics(user=user, today=timezone.localdate(), absolute=_absolute)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="mopsync.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
