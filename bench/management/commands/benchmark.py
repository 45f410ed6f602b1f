"""Run performance benchmarks: ``python manage.py benchmark [section ...] [--runs N]``.

Sections are the modules of ``bench`` (``api``, ``issuing``, ``scans``, ``notifications``,
...); each defines ``run(stdout, runs)``. Figures are medians of several runs with their
spread; the machine's load is printed too, so noisy figures can be recognised. The command
exists only in a development checkout: ``bench`` is outside the wheel, and the settings install
it as an app only where it is found beside ``config/``.
"""

import importlib
import inspect
import pkgutil
import time

from django.core.management.base import BaseCommand, CommandError

import bench as benchmarks


def available_sections() -> list[str]:
    return sorted(
        module.name
        for module in pkgutil.iter_modules(benchmarks.__path__)
        if not module.ispkg and not module.name.startswith("_")
    )


class Command(BaseCommand):
    help = "Run performance benchmarks and print medians with their spread."

    def add_arguments(self, parser):
        parser.add_argument(
            "sections",
            nargs="*",
            help="Sections to run (default: all): " + ", ".join(available_sections()),
        )
        parser.add_argument("--runs", type=int, default=5, help="Timed runs per figure.")
        parser.add_argument(
            "--enterprises",
            type=int,
            default=None,
            help="Sections that replay enterprises (fortnight): how many.",
        )

    def handle(self, *args, sections, runs, enterprises=None, **options):
        known = available_sections()
        unknown = sorted(set(sections) - set(known))
        if unknown:
            raise CommandError(f"unknown section(s): {', '.join(unknown)}; known: {known}")
        if enterprises is not None and enterprises < 1:
            raise CommandError("--enterprises must be at least 1")
        if runs < 1:
            raise CommandError("--runs must be at least 1")
        self.stdout.write(f"machine: {benchmarks.machine_line()}")
        for name in sections or known:
            module = importlib.import_module(f"bench.{name}")
            self.stdout.write(f"\n[{name}]")
            start = time.perf_counter()
            extra = {}
            if (
                enterprises is not None
                and "enterprises" in inspect.signature(module.run).parameters
            ):
                extra["enterprises"] = enterprises
            module.run(self.stdout, runs, **extra)
            self.stdout.write(f"  ({name} took {time.perf_counter() - start:.1f} s)")
        self.stdout.write(f"\nmachine after: {benchmarks.machine_line()}")
