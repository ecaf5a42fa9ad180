"""Background tasks of the registry (run by `nongan db_worker`, or inline in tests and small imports)."""

from django_tasks import task

from nongan.core.models import ImportJob

from .importers import run_producer_import


@task()
def import_producers(job_id: int) -> str:
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    return run_producer_import(job).status
