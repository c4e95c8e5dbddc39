"""The worker's look at the calendar: a year ahead whose holidays are not entered is logged (once a day)."""
import logging

from django.utils import timezone

from jiesu.workcal.services import years_to_enter
from jiesu.workcal.worktime import CHINA_TZ

log = logging.getLogger(__name__)
_said = {}  # (day, years) last logged by this process


def warn_if_not_entered(now=None):
    """The years ahead whose holidays are not entered (services.years_to_enter); logged as a warning the first
    time a day, so that an operator reading the worker's log learns it before the deadlines run into them."""
    today = timezone.localdate(now or timezone.now(), CHINA_TZ)
    years = years_to_enter(today)
    if years and _said.get("last") != (today, tuple(years)):
        log.warning("the working calendar has no statutory holidays for %s: deadlines running into it count "
                    "its holidays as working days; enter them in the admin (工作日历)",
                    ", ".join(map(str, years)))
    _said["last"] = (today, tuple(years))
    return years
