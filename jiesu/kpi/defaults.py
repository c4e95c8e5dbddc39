"""The KPI definitions Jiesu ships (version 1): 三率 at the core (条例 Art.32). Edit them in the admin."""
import datetime

VALID_FROM = datetime.date(2000, 1, 1)
NOTE = "Default definitions shipped with Jiesu."
# unit class: response, resolution, satisfaction, speed, governance, whistle (each row sums to 1)
WEIGHTS = {
    "district": (0.20, 0.35, 0.35, 0.05, 0.05, 0.00),
    "street": (0.20, 0.30, 0.30, 0.05, 0.05, 0.10),
    "department": (0.20, 0.30, 0.30, 0.05, 0.05, 0.10),
    "enterprise": (0.20, 0.35, 0.35, 0.10, 0.00, 0.00),
}


def create_default_version(version_model, weights_model):
    """Version 1 with the default weights, unless any version exists (used by the migration and as a fallback)."""
    if version_model.objects.exists():
        return None
    version = version_model.objects.create(number=1, valid_from=VALID_FROM, note=NOTE)
    for unit_class, (r, res, sat, speed, gov, whistle) in WEIGHTS.items():
        weights_model.objects.create(version=version, unit_class=unit_class, response=r, resolution=res,
                                     satisfaction=sat, speed=speed, governance=gov, whistle=whistle)
    return version
