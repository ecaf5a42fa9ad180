"""Background tasks of the standards (run by `nongan db_worker`; inline in tests)."""

from django_tasks import task

from nongan.core.models import ImportJob

from .models import Edition
from .services import import_job_run


@task()
def import_standards(job_id: int, edition_code: str = "") -> str:
    """Check and apply a large uploaded table."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    edition = Edition.objects.filter(code=edition_code).first() if edition_code else None
    return import_job_run(job=job, edition=edition).status
