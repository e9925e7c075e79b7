"""Web views: translation between HTTP and the services/selectors only."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from campaigns import selectors


@login_required
def dashboard(request):
    return render(request, "campaigns/dashboard.html", {"campaigns": selectors.campaign_list()})


@login_required
def campaign_detail(request, pk: int):
    campaign = get_object_or_404(selectors.campaign_list(), pk=pk)
    return render(request, "campaigns/detail.html", {"campaign": campaign})
