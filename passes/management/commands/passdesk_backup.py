"""Back up a site (PostgreSQL + every stored file), restore it into a fresh database and
bucket, and check that the restored site works. See docs/operations.md."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from passes.operations import backup


class Command(BaseCommand):
    help = "Back up, restore or check a site: database and every stored file."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        make = sub.add_parser("backup", help="pg_dump the database, copy every stored file.")
        make.add_argument("folder", help="An empty or new folder for the backup.")
        load = sub.add_parser(
            "restore", help="Load a backup into the configured (empty) database and storage."
        )
        load.add_argument("folder")
        sub.add_parser(
            "check",
            help="Open every document, download every pass PDF, verify every QR token on them.",
        )

    def handle(self, *args, action, **options):
        say = self.stdout.write
        try:
            if action == "backup":
                manifest = backup.backup(Path(options["folder"]), progress=say)
                say(f"backup written: {len(manifest['files'])} files")
            elif action == "restore":
                manifest = backup.restore(Path(options["folder"]), progress=say)
                say(f"restored: {len(manifest['files'])} files")
            else:
                result = backup.check_site(progress=say)
                for problem in result.problems:
                    self.stderr.write(problem)
                if result.problems:
                    raise CommandError(f"{len(result.problems)} problems")
                say(
                    f"ok: {result.documents} documents open, {result.pass_pdfs} pass PDFs "
                    f"download, {result.tokens} pass tokens verify"
                )
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
