"""Dashboard and approval queue (placeholder until built)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from campaigns import selectors


@login_required
def dashboard(request):
    return render(request, "campaigns/dashboard.html", {"campaigns": selectors.campaign_list()})


@login_required
def approval_queue(request):
    return render(request, "campaigns/dashboard.html", {"campaigns": selectors.campaign_list()})


@login_required
@require_POST
def sign_off(request, pk: int):
    return HttpResponse(status=204)
