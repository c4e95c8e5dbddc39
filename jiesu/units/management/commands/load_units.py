"""jiesu load-units FILE: load real unit boundaries from GeoJSON or CSV.

    jiesu load-units beijing_districts_wgs84.geojson
    jiesu load-units streets.csv --dry-run

GeoJSON: a FeatureCollection whose properties hold `code` or `adcode` and
`name`. CSV: columns code, name, parent_code, kind and wkt or geojson.
Coordinates must be WGS-84 (not GCJ-02). See docs/units.md.
"""
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiesu.core.command_line import LanguageCommand
from jiesu.units.boundaries import BoundaryFileError, read_boundaries
from jiesu.units.services import load_boundaries


class Command(LanguageCommand):
    typed_name = "load-units"
    help = gettext_lazy("Load real unit boundaries (WGS-84) from a GeoJSON FeatureCollection or a CSV file.")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("a .geojson/.json FeatureCollection or a .csv file"))
        parser.add_argument("--no-repair", action="store_true",
                            help=_("reject invalid polygons instead of repairing them (make_valid)"))
        parser.add_argument("--no-retile", action="store_true",
                            help=_("leave the schematic units below a loaded boundary as they are"))
        parser.add_argument("--strict", action="store_true",
                            help=_("save nothing if any record is rejected"))
        parser.add_argument("--dry-run", action="store_true", help=_("check and report, save nothing"))
        parser.add_argument("--seed", type=int, default=1, help=_("seed of the schematic re-tiling (default 1)"))

    def handle(self, *args, **options):
        try:
            records = read_boundaries(options["file"])
        except BoundaryFileError as exc:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": options["file"], "error": exc})
        report = load_boundaries(records, repair=not options["no_repair"], retile=not options["no_retile"],
                                 seed=options["seed"], dry_run=options["dry_run"], strict=options["strict"])
        self._print(options["file"], report, options)
        if report.rejected and options["strict"]:
            raise CommandError(_("%(n)d record(s) rejected; nothing was saved (--strict).")
                               % {"n": len(report.rejected)})
        if records and not report.updated and not report.created:
            raise CommandError(_("No boundary was loaded."))

    def _print(self, file, report, options):
        out = self.stdout
        if options["verbosity"] >= 2:
            for label in report.updated:
                out.write(_("updated  %(label)s") % {"label": label})
            for label in report.created:
                out.write(_("created  %(label)s") % {"label": label})
        for label, problem in report.repaired:
            out.write(self.style.WARNING(_("repaired %(label)s: %(problem)s") % {"label": label, "problem": problem}))
        for label, reason in report.rejected:
            out.write(self.style.ERROR(_("rejected %(label)s: %(reason)s") % {"label": label, "reason": reason}))
        if report.retile_skipped:
            out.write(_("Not re-tiled (they have real boundaries below them): %(codes)s")
                      % {"codes": ", ".join(report.retile_skipped)})
        summary = _("%(file)s: %(updated)d updated, %(created)d created, %(rejected)d rejected, "
                    "%(repaired)d repaired; %(retiled)d schematic units re-tiled.") % {
            "file": file, "updated": len(report.updated), "created": len(report.created),
            "rejected": len(report.rejected), "repaired": len(report.repaired), "retiled": report.retiled}
        out.write(self.style.SUCCESS(summary) if not report.rejected else summary)
        if options["dry_run"]:
            out.write(_("Dry run: nothing was saved."))
