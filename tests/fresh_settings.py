"""The settings a start would get under another environment, read in this process (docs/ci.md, "Test time").

jiesu/settings.py is run afresh (runpy) with os.environ changed for the run and put back after it; what it leaves
unset comes from Django's defaults, as django.setup() fills them in. The tests of what the settings read from the
environment used a child Python per case (≈ 1 s of CPU each: Django's and the apps' imports) to do the same; the
tests of what a start does when the settings refuse it (the exit code, the message on stderr) still start one.
"""
import os
import runpy
from types import SimpleNamespace


def fresh_settings(env=None, unset=()):
    """The settings (a namespace of the upper-case names) of a start whose environment has `env` and lacks `unset`."""
    import jiesu.settings
    from django.conf import global_settings

    saved = dict(os.environ)
    try:
        for name in unset:
            os.environ.pop(name, None)
        os.environ.update(env or {})
        module = runpy.run_path(jiesu.settings.__file__)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    values = {name: getattr(global_settings, name) for name in dir(global_settings) if name.isupper()}
    values.update({name: value for name, value in module.items() if name.isupper()})
    return SimpleNamespace(**values)
