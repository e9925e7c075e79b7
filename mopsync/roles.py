"""Roles are Django groups (created by a data migration in `campaigns`)."""

from __future__ import annotations

MARKETING = "marketing"
OPS_INVENTORY = "ops_inventory"
OPS_LOGISTICS = "ops_logistics"
OPS_LEAD = "ops_lead"
OPS_SUPPORT = "ops_support"
ALL_ROLES = (MARKETING, OPS_INVENTORY, OPS_LOGISTICS, OPS_LEAD, OPS_SUPPORT)


def user_roles(user) -> frozenset[str]:
    """The roles of a user; cached on the user object for the request.

    Superusers act as ops leads (configuration and escalations) but never as
    marketing, so segregation of duties still applies to them.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_mopsync_roles", None)
    if cached is not None:
        return cached
    roles = {name for name in user.groups.values_list("name", flat=True) if name in ALL_ROLES}
    if user.is_superuser:
        roles.add(OPS_LEAD)
    user._mopsync_roles = frozenset(roles)
    return user._mopsync_roles


def remember_roles(user, group_names) -> None:
    """Set the roles `user_roles` gives for `user` from its groups' names, read already
    (prefetched with a list of users): no query per user."""
    if user is None or not user.is_active:
        user._mopsync_roles = frozenset()
        return
    roles = {name for name in group_names if name in ALL_ROLES}
    if user.is_superuser:
        roles.add(OPS_LEAD)
    user._mopsync_roles = frozenset(roles)


def has_role(user, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


def keeps(user, roles) -> bool:
    """May change data kept by `roles`: one of them, or staff, who configure through the
    admin (DESIGN.md, "People and roles"; the API's `writers` let the same people write)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return bool(user_roles(user) & set(roles)) or user.is_staff


def can_read(user) -> bool:
    """Reads need a mopsync role (or staff): an account in no team sees no plans, on the
    pages, the API and the calendar feed alike (DESIGN.md, "People and roles")."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return bool(user_roles(user)) or user.is_staff
