"""The desk's model from the accuracy page, for whoever sees a bad one and has no shell on the server (audit 11 #14).

    POST /dispatch/model/rollback/   confirm=1: the previous model back in place (training.recorded_rollback)
    POST /dispatch/model/retrain/    confirm=1: a retraining started in the background, judged as the weekly one
                                     (jobs.start_retrain: `jiesu dispatch retrain --run ID`)

Administrators and city-wide supervisors only (may_manage_model): the model is the whole city's. Each run is
recorded as the commands' are (models.RetrainRun), with the user who asked (`asked_by`, and their name in its
result: `by`, kept when the user is deleted); the accuracy page lists it. One at a time, as the commands: a second is refused while a retraining runs.
"""
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiesu.accounts.models import Role
from jiesu.core import scoping
from jiesu.core.errors import DomainError
from jiesu.core.worded import os_reason
from jiesu.dispatch import jobs, training
from jiesu.dispatch.classifier import model_meta
from jiesu.dispatch.models import RetrainRun, RetrainTrigger


def may_manage_model(user):
    """Whether `user` may roll the desk's model back or retrain it from the web: an administrator, or a supervisor
    of the whole city (not a district's: the model serves every district)."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or user.role == Role.ADMIN or (user.role == Role.SUPERVISOR
                                                             and scoping.is_city_wide(user))


def previous_model():
    """The previous model (kept by retrain, <name>.previous.npz) as the page names it: {version, trained_at,
    n_train}; None when there is none (or it cannot be read: a rollback would refuse it)."""
    path = training.configured_model()
    meta = model_meta(training.previous_path(path)) if path is not None else None
    if meta is None:
        return None
    trained = meta.get("trained_at")
    return {"version": meta.get("model_version", ""), "n_train": meta.get("n_train"),
            "trained_at": datetime.fromisoformat(trained) if trained else None}


def _checked(request):
    """The desk's model file, once the user may change it and ticked the confirmation; else None (said)."""
    if not may_manage_model(request.user):
        raise PermissionDenied(_("Your role may not do this."))
    path = training.configured_model()
    if path is None:
        messages.error(request, _("No model file is configured (JIESU_DISPATCH_MODEL): the desk uses the cold start."))
        return None
    if request.POST.get("confirm") != "1":
        messages.error(request, _("Nothing was done: tick the box to confirm."))
        return None
    return path


@login_required
@require_POST
def rollback(request):
    path = _checked(request)
    if path is not None:
        before = RetrainRun.newest_pk()
        try:
            done = training.recorded_rollback(path, RetrainTrigger.COMMAND, by=request.user.get_username())
        except DomainError as exc:  # a retraining is running
            messages.error(request, exc.message)
        except training.RollbackRefused as exc:
            messages.error(request, exc.words(_))
        except OSError as exc:
            messages.error(request, _("The model file could not be written (%(why)s); the model in use stays.")
                           % {"why": os_reason(exc, _)})
        else:
            messages.success(request, _("Rolled back: %(what)s. The desk uses it within 30 seconds.")
                             % {"what": done.words(_)})
        finally:  # the run recorded, whatever its outcome
            RetrainRun.note_asker(RetrainRun.objects.filter(pk__gt=before, pid=None,
                                                            result__by=request.user.get_username()), request.user)
    return redirect("dispatch_accuracy")


@login_required
@require_POST
def retrain(request):
    path = _checked(request)
    if path is not None:
        try:
            started = jobs.start_retrain(RetrainTrigger.COMMAND, path, spawn=_spawn_asked_by(request.user))
        except DomainError as exc:  # another is running
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Retraining #%(run)s started: it is judged as the weekly one and listed "
                                        "below when it ends (a few minutes).") % {"run": started["run"]})
    return redirect("dispatch_accuracy")


def _spawn_asked_by(user):
    """jobs.spawn_retrain, the run noted first as asked for by `user` (the command keeps their name in its
    result)."""

    def spawn(run):
        mine = RetrainRun.objects.filter(pk=run.pk)
        mine.update(result={"by": user.get_username()})
        RetrainRun.note_asker(mine, user)
        return jobs.spawn_retrain(run)

    return spawn
