"""Background tasks of monitoring (run by `nongan db_worker`, or inline in tests and for small files)."""

from django_tasks import task

from nongan.core.models import ImportJob

from . import importers


@task()
def run_import(job_id: int) -> str:
    """Validate and apply a lab-result or rapid-test upload too large to import while the page waits."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    return importers.run(job).status
