"""Staff groups for the back office: who may keep which catalogue without being a superuser.

A hotline centre hands the dispatch catalogue (权责清单, 派单目录), the gazetteer and the auto-dispatch
thresholds to its dispatch lead (派单组长), and the categories, time limits and working calendar to whoever
keeps the rules; neither needs the users or the org tree. `seed_reference` creates the groups that are
missing, with their permissions; a group that exists is left as an administrator made it.
"""
from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.db import transaction

ALL = ("add", "change", "delete", "view")
KEEP = ("add", "change", "view")  # no delete: a category or time limit in use is switched off instead


@dataclass(frozen=True)
class StaffGroup:
    name: str
    what: str
    grants: tuple  # (app_label, model, actions)


DISPATCH_CATALOGUE = StaffGroup(
    "派单目录维护", "权责清单（派单目录）、地名库、自动派单阈值；查看派单日志和模型训练记录", (
        ("categories", "duty", ALL),
        ("dispatch", "gazetteerentry", ALL),
        ("dispatch", "autodispatchrule", ALL),
        ("dispatch", "dispatchsuggestion", ("view",)),
        ("dispatch", "retrainrun", ("view",)),
        ("categories", "category", ("view",)),
        ("units", "unit", ("view",)),
    ))
RULES = StaffGroup(
    "类别与时限维护", "诉求类别、办理时限、工作日历", (
        ("categories", "category", KEEP),
        ("categories", "timelimitclass", KEEP),
        ("workcal", "calendarday", ALL),
        ("workcal", "workinghours", ALL),
    ))
STAFF_GROUPS = (DISPATCH_CATALOGUE, RULES)


def permissions_of(group: StaffGroup):
    """The Permission rows a group grants (raises LookupError naming the first that does not exist)."""
    wanted = [(app, f"{action}_{model}") for app, model, actions in group.grants for action in actions]
    found = {(p.content_type.app_label, p.codename): p for p in Permission.objects.select_related("content_type")
             .filter(codename__in=[code for _, code in wanted])}
    missing = [f"{app}.{code}" for app, code in wanted if (app, code) not in found]
    if missing:
        raise LookupError(f"staff group {group.name}: no permission {', '.join(missing)} (run migrate first)")
    return [found[key] for key in wanted]


@transaction.atomic
def ensure_staff_groups():
    """Create the staff groups that are missing. Returns {"created": n, "kept": n}."""
    existing = set(Group.objects.filter(name__in=[g.name for g in STAFF_GROUPS]).values_list("name", flat=True))
    created = 0
    for spec in STAFF_GROUPS:
        if spec.name in existing:
            continue
        Group.objects.create(name=spec.name).permissions.set(permissions_of(spec))
        created += 1
    return {"created": created, "kept": len(existing)}
