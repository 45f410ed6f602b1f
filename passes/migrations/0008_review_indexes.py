"""Indexes the review admin's queries need at scale (100k requests, 300k documents).

Raw SQL (both SQLite and PostgreSQL accept it) so that other areas' models keep their Meta as
they wrote it; the model state is unchanged, so makemigrations sees nothing to do.
- the queue: open requests ordered by submission time (a partial index: a few thousand rows
  among a hundred thousand, read oldest first without filtering the rest);
- the list of all requests, newest first;
- passes issued per day (dashboard) and the decisions of the last 30 days.
"""

from django.db import migrations

INDEXES = {
    "request_open_queue_idx": "passes_passrequest (submitted_at, id) "
    "WHERE status IN ('submitted', 'in_review')",
    "request_created_idx": "passes_passrequest (created_at)",
    "request_decided_idx": "passes_passrequest (decided_at) WHERE decided_at IS NOT NULL",
    "pass_issued_idx": "passes_pass (issued_at)",
}


class Migration(migrations.Migration):
    dependencies = [
        ("passes", "0007_api_idempotency_keys"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON {target}",
            f"DROP INDEX IF EXISTS {name}",
        )
        for name, target in INDEXES.items()
    ]
