"""The steps of `jiesu setup`, each idempotent and each saying what it did."""
import time

DEFAULT_TICKETS = 20000
DEFAULT_SEED = 12345


def timed(log, label, fn):
    started = time.perf_counter()
    result = fn()
    log(f"  {label} ({time.perf_counter() - started:.1f} s)")
    return result


def org_tree(log, districts=None):
    from jiesu.units.services import build_org_tree

    report = build_org_tree(districts=districts)
    created = ", ".join(f"{n} {kind}" for kind, n in report.created.items()) or "nothing new"
    log(f"  org tree: {created} ({report.seconds:.1f} s)")


def demo_users(log):
    from jiesu.demo.users import ensure_demo_users

    return ensure_demo_users(log=log)


def demo_exists():
    from jiesu.demo.models import DemoDataset

    return DemoDataset.objects.order_by("-id").first()


def demo_tickets(log, n=DEFAULT_TICKETS, seed=DEFAULT_SEED, reset=False, progress=True, now=None):
    """Generate the demo tickets unless they exist (or delete and regenerate with reset)."""
    from jiesu.demo.generate import delete_demo, generate

    existing = demo_exists()
    if existing and not reset:
        log(f"  demo tickets: present ({existing.tickets} tickets, seed {existing.seed}, generated up to "
            f"{existing.anchor:%Y-%m-%d %H:%M}); use --reset-demo to regenerate")
        return None
    if reset and existing:
        started = time.perf_counter()
        deleted = delete_demo()
        log(f"  demo tickets: {deleted} deleted ({time.perf_counter() - started:.1f} s)")
    if n <= 0:
        log("  demo tickets: none asked for")
        return None
    log(f"  demo tickets: generating {n} over the last six months (seed {seed})…")
    result = generate(n=n, seed=seed, now=now, progress=progress, log=log)
    states = ", ".join(f"{k} {v}" for k, v in result.states.items())
    rows = ", ".join(f"{v} {k}" for k, v in result.rows.items())
    phases = ", ".join(f"{k} {v} s" for k, v in result.phases.items())
    log(f"  demo tickets: {result.tickets} in {result.seconds:.1f} s ({phases})")
    log(f"  states: {states}")
    log(f"  rows written: {rows}")
    return result
