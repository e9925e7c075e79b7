"""`{% with v=result|verdict:campaign %}`: a capacity check's verdict in words
(`campaigns.verdicts.campaign_verdict`), with the campaign's approved volume when given one."""

from django import template

from campaigns.verdicts import campaign_verdict
from capacity.check_types import DIMENSION_WORDS

register = template.Library()
register.filter("verdict", campaign_verdict)


@register.filter
def dimension_words(dimension: str) -> str:
    """`{{ d|dimension_words }}`: a sign-off dimension as the pages name it ("courier & dispatch")."""
    return DIMENSION_WORDS.get(dimension, dimension)
