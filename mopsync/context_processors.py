from django.conf import settings

from mopsync.roles import user_roles


def mopsync(request):
    user = getattr(request, "user", None)
    roles = sorted(user_roles(user)) if user is not None and user.is_authenticated else []
    return {"currency": settings.CURRENCY, "my_roles": roles}
