"""The Celery app. Configured from Django settings (the CELERY_ namespace)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mopsync.settings")

app = Celery("mopsync")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
