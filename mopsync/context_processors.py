from django.conf import settings

from campaigns.workflow import signable_by
from mopsync.auth import UNREAD
from mopsync.roles import user_roles


def mopsync(request):
    """Who is signed in and in which roles, for the layout on every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"currency": settings.CURRENCY, "my_roles": [], "is_ops": False, "unread_count": 0}
    roles = user_roles(user)
    return {
        "currency": settings.CURRENCY,
        "my_roles": sorted(roles),
        "is_ops": bool(signable_by(user)),  # the approval queue is for whoever may sign something
        "unread_count": unread_count(user),
    }


def unread_count(user) -> int:
    """Read with the user (`mopsync.auth`) when it was, else counted."""
    found = getattr(user, UNREAD, None)
    return found if found is not None else user.notifications.filter(read_at__isnull=True, in_app=True).count()
