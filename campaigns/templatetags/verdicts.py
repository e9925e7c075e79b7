"""`{% with v=result|verdict:campaign %}`: a capacity check's verdict in words
(`campaigns.verdicts.campaign_verdict`), with the campaign's approved volume when given one."""

from django import template

from campaigns.verdicts import campaign_verdict

register = template.Library()
register.filter("verdict", campaign_verdict)
