"""The file storage: where it is, and creating the bucket (docker-compose's setup step)."""

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from config.storage import describe


class Command(BaseCommand):
    help = "Show where files are stored, or create the S3 bucket if it does not exist."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("show", help="Where stored files go (no secrets).")
        sub.add_parser("create-bucket", help="Create the private bucket unless it exists.")

    def handle(self, *args, action, **options):
        from django.conf import settings

        if action == "show":
            self.stdout.write(describe(settings.STORAGES["default"]))
            return
        bucket = getattr(default_storage, "bucket_name", None)
        if not bucket:
            self.stdout.write("file system storage: no bucket to create")
            return
        client = default_storage.connection.meta.client
        try:
            existing = {entry["Name"] for entry in client.list_buckets().get("Buckets", [])}
            if bucket in existing:
                self.stdout.write(f"bucket {bucket} exists")
                return
            client.create_bucket(Bucket=bucket)
        except Exception as error:  # noqa: BLE001 - botocore raises many kinds; say which
            raise CommandError(f"cannot create bucket {bucket}: {error}") from error
        self.stdout.write(f"bucket {bucket} created (private)")
