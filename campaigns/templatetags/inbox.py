"""`{{ note.kind|kind_label }}`: what a person reads for a notification's kind."""

from django import template

from campaigns.notifications import kind_label as label_of

register = template.Library()


@register.filter
def kind_label(kind: str) -> str:
    return label_of(kind)
