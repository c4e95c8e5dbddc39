"""The worker's reply-quality job: check the lead replies written since the last pass (services.check_new)."""
from jiesu.quality import services


def check_new_replies(now=None):
    """One pass of the incremental reply check; the number of replies checked."""
    return services.check_new(now=now)
