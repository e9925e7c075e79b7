from django.db import connection
from django.http import JsonResponse

from mopsync.celery import app as celery_app


def healthz(request):
    """Database and broker reachability, for load balancers and uptime checks."""
    status = {"database": "ok", "broker": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure means unhealthy
        status["database"] = "error"
    if not celery_app.conf.task_always_eager:
        try:
            with celery_app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
        except Exception:  # noqa: BLE001
            status["broker"] = "error"
    else:
        status["broker"] = "embedded"
    ok = "error" not in status.values()
    return JsonResponse(status, status=200 if ok else 503)
