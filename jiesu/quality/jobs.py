"""The worker's reply-quality jobs: check the lead replies written since the last pass (services.check_new), prune
the checked marks no window reads any more (services.prune_checks)."""
from jiesu.quality import services


def check_new_replies(now=None):
    """One pass of the incremental reply check; the number of replies checked."""
    return services.check_new(now=now)


def prune_reply_checks(now=None):
    """Delete the checked marks older than any window reads (a bounded number a pass); the number deleted."""
    return services.prune_checks(now=now)
