"""My availability (issue 17): an ops approver says when they are away and who takes their
sign-offs meanwhile. Translation only: `services.delegation_set` / `delegation_clear`
decide, `selectors.delegations_of` reads."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from campaigns import selectors, services, workflow
from campaigns.dashboard_selectors import person
from campaigns.models import Delegation
from mopsync.errors import DomainError, InvalidInput
from mopsync.roles import ALL_ROLES, remember_roles
from mopsync.view_guards import refusal_text


def delegate_choices(user) -> list:
    """The colleagues `user` may send their sign-offs to (`workflow.delegation_refusal`), by
    name: two queries, whatever their number."""
    User = get_user_model()
    people = (
        User.objects.filter(is_active=True)
        .exclude(pk=user.pk)
        .filter(groups__name__in=ALL_ROLES)
        .distinct()
        .prefetch_related(Prefetch("groups", queryset=Group.objects.only("name")))
        .order_by(User.USERNAME_FIELD)
    )
    found = []
    for other in people:
        remember_roles(other, [g.name for g in other.groups.all()])
        if workflow.delegation_refusal(user, other) is None:
            found.append(other)
    return found


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def availability(request):
    user = request.user
    may_delegate = bool(workflow.signable_by(user))
    typed = {"delegate": "", "starts_on": "", "ends_on": ""}
    errors: dict = {}
    status = 200
    if request.method == "POST":
        if request.POST.get("clear"):
            delegation = get_object_or_404(Delegation, pk=request.POST["clear"], user=user)
            try:
                services.delegation_clear(actor=user, delegation=delegation)
            except DomainError as exc:
                messages.error(request, refusal_text(exc))
            else:
                messages.success(request, "Delegation cleared: your sign-offs come to you again.")
            return redirect("campaigns:availability")
        typed = {name: request.POST.get(name, "").strip() for name in typed}
        try:
            delegation = services.delegation_set(actor=user, **typed)
        except InvalidInput as exc:
            errors, status = exc.errors, 400
        except DomainError as exc:
            errors, status = {"non_field_errors": [refusal_text(exc)]}, exc.http_status
        else:
            messages.success(
                request,
                f"Away from {delegation.starts_on:%d %b} to {delegation.ends_on:%d %b}: "
                f"your sign-offs go to {person(delegation.delegate)}.",
            )
            return redirect("campaigns:availability")
    delegations = list(selectors.delegations_of(user))
    return render(
        request,
        "campaigns/availability.html",
        {
            "may_delegate": may_delegate,
            "mine": [d for d in delegations if d.user_id == user.pk],
            "covering": [d for d in delegations if d.delegate_id == user.pk],
            "choices": delegate_choices(user) if may_delegate else [],
            "typed": typed,
            "errors": errors,
            "today": timezone.localdate(),
        },
        status=status,
    )
