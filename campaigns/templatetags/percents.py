"""`{{ fraction|percent }}`: a stored share or rate shown as the planner entered it
(0.025 → 2.5, 0.3 → 30). `{% widthratio %}` rounds to a whole number (2.5% read 2%)."""

from django import template

from mopsync.forms import percent_of

register = template.Library()


@register.filter
def percent(fraction):
    value = percent_of(fraction)
    return "" if value is None else str(value)
