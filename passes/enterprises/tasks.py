"""Bulk fleet imports."""

from celery import shared_task


@shared_task(name="passes.run_import", acks_late=True)
def run_import(job_id: int) -> dict:
    """Process an uploaded vehicle or driver spreadsheet; a finished job is left alone."""
    from .fleet_import import run_import as process

    job = process(job_id)
    return {"status": job.status, "created": job.created, "rejected": len(job.rejected_rows)}


@shared_task(name="passes.sweep_imports", acks_late=True, ignore_result=True)
def sweep_imports() -> int:
    """Queue the import jobs still waiting because the broker was away when they were made."""
    from .fleet_import import sweep_imports as sweep

    return sweep()
