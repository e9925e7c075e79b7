"""Celery tasks of the imports: thin. Each takes ids or nothing, calls a job function,
and is safe to run twice (acks_late redelivers a message whose worker was lost).

The names are the ones these tasks had in `campaigns.tasks`, kept so that messages
already queued, the beat schedule (`CELERY_BEAT_SCHEDULE`) and the workers' logs still
find them.
"""

from __future__ import annotations

from celery import shared_task

from capacity import imports


@shared_task(name="campaigns.tasks.process_import")
def process_import(job_id: int) -> str | None:
    """Check and apply one uploaded file; the job is claimed first, so a redelivered
    message does nothing (see `capacity.imports.import_process`)."""
    job = imports.import_process(job_id)
    return job.status if job else None


@shared_task(name="campaigns.tasks.sweep_imports")
def sweep_imports() -> int:
    """Publish imports still pending a minute after upload (the broker was down)."""
    return imports.sweep()
