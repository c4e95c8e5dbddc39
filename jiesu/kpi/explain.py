""""How is this computed?": the text shown next to every KPI number, written from the version in force."""
from django.utils.translation import gettext as _

from jiesu.kpi.formulas import SPEED_EDGES
from jiesu.whistles.rules import DISTRICT_WEIGHT, STREET_WEIGHT


def _pct(weight):
    return f"{weight:g}"


def explain(measure, version, weights=None):
    """The explanation of `measure` (response, resolution, satisfaction, speed, governance, whistle,
    composite, exclusions) under `version` (a KpiVersion); `weights` (dict) for the composite."""
    v = {"n": version.number, "from": f"{version.valid_from:%Y-%m}"}
    texts = {
        "response": _("Response rate = tickets signed and first contacted within their time limits ÷ tickets whose "
                      "contact deadline fell in the month (the lead unit's first assignment)."),
        "resolution": _("Resolution rate = (解决 + %(w)s × 部分解决) ÷ valid callbacks (解决 + 部分解决 + 未解决), "
                        "counted on the day of the latest callback that reached the citizen.")
        % {"w": _pct(version.partly_weight)},
        "satisfaction": _("Satisfaction rate = (满意 + %(w)s × 基本满意) ÷ valid callbacks "
                          "(满意 + 基本满意 + 不满意).") % {"w": _pct(version.basic_weight)},
        "speed": _("Handling speed = median and 90th percentile of working hours from dispatch to the lead unit's "
                   "first reply, on the working calendar; read from a histogram with edges %(edges)s h, so exact to "
                   "the bucket. Score for the composite: 1 − median ÷ %(ref)s h.")
        % {"edges": ", ".join(str(e) for e in SPEED_EDGES), "ref": _pct(version.speed_reference_hours)},
        "governance": _("Governance depth = (tickets found first by patrol or sensor + %(w)s × recurring problems "
                        "closed) ÷ tickets received, at most 100%%.") % {"w": _pct(version.recurring_weight)},
        "whistle": _("Whistle rating (Art.33) = the street's (%(s)s) and the district's (%(d)s) ratings of the unit "
                     "in whistles of the month, 1–5; as a score (rating − 1) ÷ 4.")
        % {"s": f"{STREET_WEIGHT:.0%}", "d": f"{DISTRICT_WEIGHT:.0%}"},
        "exclusions": exclusions_text(version),
    }
    if measure == "composite":
        text = _("Composite score = Σ weight × score ÷ Σ weight over the measures that have data, × 100.")
        if weights:
            parts = ", ".join(f"{label} {_pct(weights.get(key, 0))}" for key, label in measure_labels().items()
                              if weights.get(key))
            text += " " + _("Weights: %(w)s.") % {"w": parts}
    else:
        text = texts[measure]
    return text + " " + _("KPI version %(n)s, in force from %(from)s.") % v


def exclusions_text(version):
    parts = [_("Art.11 special classes")]
    if version.exclude_merged:
        parts.append(_("merged duplicates"))
    if version.exclude_consultation:
        parts.append(_("consultations (咨询)"))
    if version.exclude_unreasonable:
        parts.append(_("unreasonable requests confirmed by review"))
    return _("Not counted in the rates: %(list)s; a return upheld in arbitration is not counted against the unit "
             "that returned it.") % {"list": ", ".join(parts)}


def measure_labels():
    return {
        "response": _("Response rate"),
        "resolution": _("Resolution rate"),
        "satisfaction": _("Satisfaction rate"),
        "speed": _("Handling speed"),
        "governance": _("Governance depth"),
        "whistle": _("Whistle rating"),
    }


def all_explanations(version, weights=None):
    """{measure: text} for every measure, the composite and the exclusions."""
    keys = list(measure_labels()) + ["composite", "exclusions"]
    return {key: explain(key, version, weights) for key in keys}
