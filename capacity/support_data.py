"""What the imported support data teaches the capacity check (issue 19): the contact rate,
tickets per delivered order, learned from the `support_tickets` import.

`capacity` never imports `campaigns`: actual orders are read through the app registry.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from django.apps import apps
from django.db.models import Sum

from capacity.models import SupportTicketCount

LEARNING_WINDOW_DAYS = 90


def learned_contact_rate(*, today: dt.date) -> Fraction | None:
    """Tickets ÷ orders over the `LEARNING_WINDOW_DAYS` days before `today` (today not
    included), counting only the days that have both ticket counts and actual orders
    (all tickets and all orders of those days, whatever their campaign). None when there
    is no ticket data in the window, or its days have no orders. 2 queries.

    "Delivered orders" are the imported actual orders: the contact rate is applied to
    planned orders/day, so it is measured per order as well."""
    since = today - dt.timedelta(days=LEARNING_WINDOW_DAYS)
    tickets = dict(
        SupportTicketCount.objects.filter(day__gte=since, day__lt=today)
        .values("day")
        .annotate(total=Sum("tickets"))
        .order_by()
        .values_list("day", "total")
    )
    if not tickets:
        return None
    actual_orders = apps.get_model("campaigns", "ActualOrders")
    orders = dict(
        actual_orders.objects.filter(date__in=list(tickets))
        .values("date")
        .annotate(total=Sum("orders"))
        .order_by()
        .values_list("date", "total")
    )
    days = [day for day, total in orders.items() if total]
    total_orders = sum(orders[day] for day in days)
    if not total_orders:
        return None
    return Fraction(sum(tickets[day] for day in days), total_orders)
