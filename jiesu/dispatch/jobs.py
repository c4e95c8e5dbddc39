"""Periodic work of the dispatcher's desk: auto-dispatch (off until a rule is enabled), weekly retraining, the
accuracy page's kept reports.

`auto_dispatch_once()` is one pass; the deadline worker (`jiesu worker`) calls it
after each deadline scan, and `jiesu autodispatch` runs it on its own. Several
processes may run it at once: services.dispatch locks the ticket's row and
refuses a ticket that is no longer new, which the report counts as refused.

`retrain_if_due()` (also a worker job) starts `jiesu dispatch retrain` on the
configured model file (settings.JIESU["DISPATCH_MODEL"]) every
DISPATCH_RETRAIN_DAYS days, at night (DISPATCH_RETRAIN_HOURS, local time), as a
process of its own: training takes minutes and gigabytes, and the worker's
deadline scans must go on meanwhile. The run is recorded (models.RetrainRun);
only one runs at a time, even with several workers. The first model (no file
yet, or one that cannot be read) does not wait for the night (schedule.py), and `jiesu setup` starts it at
once (`train_first_model()`) when there are closed tickets to learn from.

`auto_dispatch_once()` first judges the enabled rules, at most every
RULE_CHECK_EVERY (`check_rules_if_due()`): a rule whose auto-dispatches the units
returned more than its threshold allows is paused (accuracy.pause_flagged_rules).

`recount_asked_snapshots()` (a worker job) counts the kept reports someone asked
to have counted again (重新统计 on the accuracy page): never in the web request.

`refresh_accuracy_snapshots()` (a worker job) counts again, hourly, the accuracy
page's reports that count too many dispatches to count at each visit (services.worth_keeping),
and counts ahead those of the users who logged in lately, so that their
first visit does not wait either (`prepare_accuracy_snapshots()`).
"""
import logging
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from jiesu.core import background
from jiesu.core.errors import Conflict
from jiesu.dispatch import accuracy as figures
from jiesu.dispatch import services as desk
from jiesu.dispatch.models import AccuracySnapshot, RetrainRun, RetrainState, RetrainTrigger
from jiesu.dispatch.schedule import retrain_due
from jiesu.dispatch.training import configured_model, configured_rows, has_readable_model

log = logging.getLogger(__name__)


def auto_dispatch_once(now=None):
    """One auto-dispatch pass (services.auto_dispatch_new_tickets), after the rules' check (check_rules_if_due);
    returns its AutoReport. Logged when it dispatched, was refused, or left a report, a confidential ticket, an
    accusation or a near duplicate of an open ticket (services.near_duplicate) to a person."""
    check_rules_if_due(now or timezone.now())
    report = desk.auto_dispatch_new_tickets(now)
    if (report.dispatched or report.refused or report.report or report.confidential or report.accuses_unit
            or report.near_duplicate):
        log.info("auto-dispatch: %s", report.as_dict())
    return report


_rules_checked = {"at": None}  # when this process last judged the enabled rules


def check_rules_if_due(now):
    """Pause the flagged rules (accuracy.pause_flagged_rules) when this process has not judged them within
    RULE_CHECK_EVERY; the RuleFigures of those paused, or None when not due."""
    last = _rules_checked["at"]
    if last is not None and now - last < figures.RULE_CHECK_EVERY:
        return None
    _rules_checked["at"] = now
    paused = figures.pause_flagged_rules(now)
    for rule_figures in paused:
        log.warning("auto-dispatch rule %s paused: %s", rule_figures.rule.category.code,
                    rule_figures.as_pause_figures())
    return paused


def recount_asked_snapshots(now=None):
    """Count the kept accuracy reports whose recount was asked from the page (accuracy.recount); how many."""
    now = now or timezone.now()
    asked = list(AccuracySnapshot.objects.filter(recount_asked_at__isnull=False).order_by("recount_asked_at"))
    for snapshot in asked:
        figures.count_snapshot_again(snapshot, now)
    return len(asked)


def refresh_accuracy_snapshots(now=None):
    """Count again the accuracy page's snapshots (services.accuracy_for) older than SNAPSHOT_REFRESH that someone
    looked at within SNAPSHOT_WATCHED, drop the others and those now below KEEP_ROWS dispatches (old dispatches
    left the window: the page counts it live again), and count ahead the big reports of who logged in lately
    (prepare_accuracy_snapshots); {"refreshed": n, "dropped": n, "prepared": n}."""
    now = now or timezone.now()
    dropped, _deleted = AccuracySnapshot.objects.filter(viewed_at__lt=now - desk.SNAPSHOT_WATCHED).delete()
    refreshed = 0
    for snapshot in desk.snapshots_to_refresh(now):
        if figures.count_snapshot_again(snapshot, now):
            refreshed += 1
        else:
            dropped += 1
    return {"refreshed": refreshed, "dropped": dropped, "prepared": prepare_accuracy_snapshots(now)}


QUICK_AGAIN_AFTER = timedelta(days=1)
_prepared = {"at": None, "quick": {}}  # this process's last look, and audience → when its report counted quick


def prepare_accuracy_snapshots(now, weeks=desk.DEFAULT_WEEKS):
    """Count ahead the default report of each audience with a member who logged in within SNAPSHOT_WATCHED
    (services.recent_audiences) and no snapshot, and keep it when it is big (worth_keeping): at a city's scale
    their first visit then reads figures counted by the worker, not a count of seconds (bench/dispatch_accuracy.py).
    Only where the
    city logged PREPARE_ROWS dispatches or more in the window, once per SNAPSHOT_REFRESH; a report found quick is
    not counted again within QUICK_AGAIN_AFTER (a district's or a street's: below KEEP_ROWS). Returns how many
    were kept."""
    last = _prepared["at"]
    if last is not None and now - last < desk.SNAPSHOT_REFRESH:
        return 0
    _prepared["at"] = now
    since, until = desk.report_window(weeks, now)
    if desk.logged(since, until).count() < desk.PREPARE_ROWS:
        return 0
    kept = set(AccuracySnapshot.objects.filter(weeks=weeks).values_list("audience", flat=True))
    prepared = 0
    for key, last_login in desk.recent_audiences(now).items():
        quick_at = _prepared["quick"].get(key)
        if key in kept or (quick_at is not None and now - quick_at < QUICK_AGAIN_AFTER):
            continue
        report, seconds = desk.counted_report(weeks, desk.audience_user(key), now)
        if not desk.worth_keeping(report):
            _prepared["quick"][key] = now
            continue
        desk.keep_snapshot(key, weeks, report, seconds, now, viewed_at=last_login)
        prepared += 1
    return prepared


def run_forever(interval=60, stop=None):
    while stop is None or not stop():
        auto_dispatch_once()
        time.sleep(interval)


# Popen of the retrainings (and the other background processes, core.background) this process started, polled so
# that a finished one is not left a zombie (a zombie's pid would look alive to services.lost_reason).
_children = background.children


def retrain_log_path(model_path):
    """The retrain processes' output, beside the model: var/models/desk.npz → var/models/desk.retrain.log."""
    path = Path(model_path)
    return path.with_name(path.name.removesuffix(".npz") + ".retrain.log")


def retrain_log_heading(run):
    """The line that heads a run's output in the log, in the language the retrain command prints in (the
    worker's environment: core.language)."""
    from django.utils import translation

    from jiesu.core.language import command_language

    with translation.override(command_language()):
        return translation.gettext("retraining #%(run)s, %(started)s") % {
            "run": run.pk, "started": f"{timezone.localtime(run.started_at):%Y-%m-%d %H:%M:%S}"}


def spawn_retrain(run):
    """Start `jiesu dispatch retrain --run ID` as a process of its own session, at a lower priority
    (core.background.spawn); returns its pid."""
    return background.spawn(["dispatch", "retrain", "--model", run.model_path, "--run", str(run.pk)],
                            retrain_log_path(run.model_path), retrain_log_heading(run))


def retrain_if_due(now=None, spawn=None):
    """Start the scheduled retraining when it is due; {"run": id, "pid": pid}, or None (not configured, not
    due, or one already running). The first model (no file yet, or one that cannot be read: retrain keeps it
    aside) is due at any hour, a failed or lost run again the next night (schedule.retrain_due)."""
    conf = settings.JIESU
    model_path, days = configured_model(), conf.get("DISPATCH_RETRAIN_DAYS", 0)
    if model_path is None or not days:
        return None
    now = now or timezone.now()
    background.reap()
    desk.abandon_lost_retrain_runs(now)
    first = not has_readable_model(model_path)  # a file that cannot be read is no model either
    last = desk.last_first_model_try() if first else desk.latest_retrain_start()
    if not retrain_due(now, last, days, conf.get("DISPATCH_RETRAIN_HOURS", (2, 6)),
                       first=first, failed=0 if first else desk.retrains_failed_in_a_row()):
        return None
    try:
        return start_retrain(RetrainTrigger.WORKER, model_path, now=now, spawn=spawn)
    except Conflict:
        return None  # another worker's run


def start_retrain(trigger, model_path, now=None, spawn=None):
    """Record a run and start its process (spawn_retrain); {"run": id, "pid": pid}. Raises Conflict while
    another run is running."""
    run = desk.start_retrain_run(trigger, model_path, now=now)
    try:
        pid = (spawn or spawn_retrain)(run)
    except Exception as exc:
        desk.finish_retrain_run(run, RetrainState.FAILED, f"could not be started: {exc}", {"failed": "start"})
        raise
    RetrainRun.objects.filter(pk=run.pk, pid__isnull=True).update(pid=pid)
    log.info("retraining #%s started (pid %s), output in %s", run.pk, pid, retrain_log_path(model_path))
    return {"run": run.pk, "pid": pid}


def train_first_model(spawn=None):
    """`jiesu setup`: start training the desk's first model in the background, so that a new platform (the demo
    city) suggests from its own tickets within minutes, not from the cold start until the worker's first
    pass. Returns (what happened, its figures) for setup's line: "started" {run, pid, log}, or why not:
    "off" (no model file named), "present" {path}, "no_tickets", "running" {run}."""
    from jiesu.dispatch.training import confirmed_tickets

    model_path = configured_model()
    if model_path is None:
        return "off", {}
    if has_readable_model(model_path):
        return "present", {"path": str(model_path)}
    if not confirmed_tickets().exists():
        return "no_tickets", {}
    try:
        started = start_retrain(RetrainTrigger.SETUP, model_path, spawn=spawn)
    except Conflict:
        running = desk.retrain_running()
        return "running", {"run": running.pk if running else "?"}
    return "started", {**started, "log": str(retrain_log_path(model_path)),
                       "rows": configured_rows().sentence()}


def first_model_line(outcome, figures):
    """train_first_model()'s outcome as `jiesu setup` says it."""
    return "dispatch model: " + {
        "started": "the first one is being trained from the closed tickets in the background (run #{run}, "
                   "pid {pid}; about a minute for the demo city; {rows}; output in {log}); the desk uses the "
                   "cold start until it is in place",
        "off": "JIESU_DISPATCH_MODEL is empty: the desk uses the cold start and is never trained",
        "present": "{path} in use",
        "no_tickets": "no closed ticket to learn from yet: the cold start until the worker trains the first one",
        "running": "retraining #{run} is already running",
    }[outcome].format(**figures)
