"""`jiesu grids …`: grid boundaries, duty lists and the ladder from the command line.

    jiesu grids import FILE [--dry-run] [--strict] [--as USER]   load grid boundaries (GeoJSON/CSV)
    jiesu grids export STREET_CODE [-o FILE]                     a street's grids as GeoJSON
    jiesu grids validate STREET_CODE                             overlaps, gaps, invalid, codes
    jiesu grids seed-duties                                      the city default duty list
    jiesu grids ladder-scan                                      close finished steps, warn overdue ones
    jiesu grids demo [--seed N] [--reset]                        demo grid work for every street (see docs/grids.md)
"""
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from jiesu.accounts.models import User
from jiesu.core.command_line import LanguageCommand
from jiesu.units import boundaries
from jiesu.units.models import Unit, UnitKind


class Command(LanguageCommand):
    works_in_its_language = False  # the ladder's events, the duty lists and the demo in the platform's language
    help = gettext_lazy("Grid governance: import/export/validate grid boundaries, seed duty lists, scan the ladder, "
                        "demo.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["import", "export", "validate", "seed-duties", "ladder-scan", "demo"])
        parser.add_argument("target", nargs="?", default="")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--strict", action="store_true")
        parser.add_argument("--as", dest="as_user", default="", help=_("user name to act as (default: a superuser)"))
        parser.add_argument("-o", "--output", default="")
        parser.add_argument("--seed", type=int, default=12345, help=_("random seed of the demo (default 12345)"))
        parser.add_argument("--reset", action="store_true",
                            help=_("demo: delete the demo grid work and generate it again"))

    def handle(self, *args, action, target, dry_run, strict, as_user, output, seed, reset, **options):
        from jiesu.core.errors import DomainError
        from jiesu.grids import jobs, services

        out = self.stdout.write
        if action == "import":
            user = self._user(as_user)
            try:
                records = boundaries.read_boundaries(target)
                report = services.import_grids(user, records, dry_run=dry_run, strict=strict, note=f"import {target}")
            except (boundaries.BoundaryFileError, DomainError) as exc:
                raise CommandError(str(exc)) from exc
            out(f"{target}: {len(report.created)} created, {len(report.redrawn)} redrawn, "
                f"{len(report.unchanged)} unchanged, {len(report.rejected)} rejected" + (" (dry run)" if dry_run else ""))
            for label, message in report.rejected:
                out(f"  rejected {label}: {message}")
            for label, message in report.warnings:
                out(f"  warning {label}: {message}")
            if report.rejected:
                raise self.refusal(gettext_noop("%(n)d record(s) rejected"), n=len(report.rejected))
        elif action == "export":
            street = self._street(target)
            text = services.export_text(Unit.objects.filter(street=street, kind=UnitKind.GRID, active=True))
            if output:
                with open(output, "w", encoding="utf-8") as fh:
                    fh.write(text)
                out(f"written {output}")
            else:
                out(text)
        elif action == "validate":
            bad = 0
            for check in services.check_street(self._street(target)):
                out(f"{check.community.code} {check.community.name}: {'OK' if check.ok else 'PROBLEMS'}")
                for e in check.errors:
                    out(f"  error: {e}")
                for w in check.warnings:
                    out(f"  warning: {w}")
                bad += not check.ok
            if bad:
                raise self.refusal(gettext_noop("%(n)d community(ies) with problems"), n=bad)
        elif action == "seed-duties":
            out(f"city default duty list: {services.seed_city_default()} line(s) created")
        elif action == "ladder-scan":
            out(str(jobs.scan_ladder()))
        elif action == "demo":
            from jiesu.grids.demo import setup_step

            setup_step(out, seed, reset)

    def _user(self, name):
        user = User.objects.filter(username=name).first() if name else User.objects.filter(is_superuser=True).first()
        if user is None:
            raise self.refusal(gettext_noop("no such user (give --as USER)"))
        return user

    def _street(self, code):
        street = Unit.objects.filter(code=code, kind=UnitKind.STREET).first()
        if street is None:
            raise self.refusal(gettext_noop("no street has the code %(code)s"), code=repr(code))
        return street
