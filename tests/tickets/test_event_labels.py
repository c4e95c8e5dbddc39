"""Every kind of ticket event written anywhere in jiesu/ has a label on the ticket's timeline.

The kinds are read from the source (ast), not from a list kept by hand:
- calls of jiesu.tickets.services.record_event, and of its bulk twin record_events (one INSERT … SELECT: the
  units' unit_moved), whatever the module calls them (`record_event`, `services.record_events`, …), with the
  kind as a string, a module constant, or a local variable assigned strings;
- calls of a module's own wrapper that passes its `kind` parameter on to record_event
  (jiesu.whistles.services._ticket_event);
- `TicketEvent(kind="…")` rows built for bulk inserts, and `TicketEvent.objects.create(kind=…)`;
- the generators that build event rows without the service (demo city, grid demo, importer),
  named in GENERATORS with where their kind argument sits.
A kind the scan cannot read, at any of these, fails the test (rather than going unseen).
"""
import ast
from pathlib import Path

from django.utils import translation

from jiesu.core.templatetags.jiesu_ui import event_label, event_labels

ROOT = Path(__file__).resolve().parents[2] / "jiesu"
SERVICES = "jiesu.tickets.services"
WRITERS = ("record_event", "record_events")  # one event, and the same event on many tickets by INSERT … SELECT
# (file, function name, where the kind is: the index of a positional argument, or (argument, item) when
# the argument is a tuple)
GENERATORS = (("demo/generate.py", "event", 0), ("grids/demo.py", "event", 1),
              ("importer/services.py", "encode_event", (0, 1)), ("importer/services.py", "_event", 2))


def _sources():
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path, ast.parse(path.read_text(encoding="utf-8"))


def _aliases(tree, path):
    """Names under which the module reaches record_event of the ticket services: (bare names, module names)."""
    bare, modules = set(), set()
    if path == ROOT / "tickets" / "services.py":
        bare |= set(WRITERS)  # defined there
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == SERVICES:
            bare |= {a.asname or a.name for a in node.names if a.name in WRITERS}
        elif isinstance(node, ast.ImportFrom) and node.module == "jiesu.tickets":
            modules |= {a.asname or a.name for a in node.names if a.name == "services"}
        elif isinstance(node, ast.Import):
            modules |= {a.asname for a in node.names if a.name == SERVICES and a.asname}
    return bare, modules


def _is_ticket_record_event(call, bare, modules):
    f = call.func
    if isinstance(f, ast.Name):
        return f.id in bare
    return (isinstance(f, ast.Attribute) and f.attr in WRITERS and isinstance(f.value, ast.Name)
            and f.value.id in modules)


def _kind_arg(call, index=1):
    for kw in call.keywords:
        if kw.arg == "kind":
            return kw.value
    index, item = index if isinstance(index, tuple) else (index, None)
    arg = call.args[index] if len(call.args) > index else None
    if item is not None:
        return arg.elts[item] if isinstance(arg, ast.Tuple) and len(arg.elts) > item else None
    return arg


def _strings(node):
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def _resolve(arg, tree, function):
    """The strings an argument can be: a literal, a module constant, or a local assigned strings."""
    if isinstance(arg, ast.Constant):
        return {arg.value}
    if isinstance(arg, ast.IfExp):
        return _resolve(arg.body, tree, function) | _resolve(arg.orelse, tree, function)
    if isinstance(arg, ast.Name):
        for scope in (function, tree):
            if scope is None:
                continue
            found = set()
            for node in ast.walk(scope):
                if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == arg.id
                                                        for t in node.targets):
                    found |= _strings(node.value)
                elif isinstance(node, ast.For):
                    found |= _loop_strings(node, arg.id)
            if found:
                return found
    return set()


def _loop_strings(loop, name):
    """The strings `name` takes in `for …, name, … in ((…, "kind", …), …)` (a loop over literal tuples)."""
    target = loop.target
    if isinstance(target, ast.Name):
        index = None if target.id == name else -1
    elif isinstance(target, ast.Tuple):
        names = [getattr(t, "id", None) for t in target.elts]
        index = names.index(name) if name in names else -1
    else:
        return set()
    if index == -1 or not isinstance(loop.iter, (ast.Tuple, ast.List)):
        return set()
    found = set()
    for item in loop.iter.elts:
        if index is None:
            found |= {item.value} if isinstance(item, ast.Constant) and isinstance(item.value, str) else set()
        elif isinstance(item, ast.Tuple) and len(item.elts) > index and isinstance(item.elts[index], ast.Constant):
            found |= {item.elts[index].value} if isinstance(item.elts[index].value, str) else set()
    return found


FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def _functions(tree):
    return [n for n in ast.walk(tree) if isinstance(n, FUNCTIONS)]


def _params(function):
    args = function.args
    return [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]


def _own_calls(node, top=True):
    """The calls in a function's body, not those of the functions defined inside it (their own turn)."""
    if not top and isinstance(node, FUNCTIONS):
        return
    if isinstance(node, ast.Call):
        yield node
    for child in ast.iter_child_nodes(node):
        yield from _own_calls(child, top=False)


def _calls_outside_functions(tree):
    return [call for child in ast.iter_child_nodes(tree) for call in _own_calls(child, top=False)]


def _is_event_create(call):
    """TicketEvent.objects.create(…)."""
    f = call.func
    return (isinstance(f, ast.Attribute) and f.attr == "create" and isinstance(f.value, ast.Attribute)
            and f.value.attr == "objects" and isinstance(f.value.value, ast.Name) and f.value.value.id == "TicketEvent")


def written_kinds():
    """{kind: [where]} for every ticket event kind the code writes; raises on a kind it cannot read."""
    kinds, unreadable = {}, []
    for path, tree in _sources():
        rel = str(path.relative_to(ROOT))
        bare, modules = _aliases(tree, path)
        wrappers = {}
        for function in _functions(tree):
            params = [a.arg for a in function.args.args]
            for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
                if not _is_ticket_record_event(call, bare, modules):
                    continue
                arg = _kind_arg(call)
                if isinstance(arg, ast.Name) and arg.id in params:
                    wrappers[function.name] = params.index(arg.id)
                    continue
                found = _resolve(arg, tree, function)
                if not found:
                    unreadable.append(f"{rel}:{call.lineno}")
                for kind in found:
                    kinds.setdefault(kind, []).append(f"{rel}:{call.lineno}")
        generator = {name: index for file, name, index in GENERATORS if file == rel}  # the importer: old or new
        for function in [None, *_functions(tree)]:  # module level, then each function (its locals resolve there)
            calls = _calls_outside_functions(tree) if function is None else _own_calls(function)
            for call in calls:
                name = getattr(call.func, "id", None) or getattr(call.func, "attr", None)
                if name in wrappers:
                    arg = _kind_arg(call, wrappers[name])
                elif name in generator:
                    arg = _kind_arg(call, generator[name])
                elif name == "TicketEvent" or _is_event_create(call):
                    arg = _kind_arg(call, len(call.args) + 1)
                else:
                    continue
                if function is not None and isinstance(arg, ast.Name) and arg.id in _params(function):
                    continue  # the writer's own parameter (record_event's create, a wrapper): read at its callers
                found = _resolve(arg, tree, function) if arg is not None else set()
                if not found:
                    unreadable.append(f"{rel}:{call.lineno}")
                for kind in found:
                    kinds.setdefault(kind, []).append(f"{rel}:{call.lineno}")
    assert not unreadable, (f"ticket events whose kind the test cannot read: {unreadable} (write the kind as a "
                            f"literal, a constant, or `\"a\" if … else \"b\"`, not an f-string)")
    return kinds


def test_the_scan_finds_the_kinds_of_every_writer():
    kinds = written_kinds()
    for kind, writer in (("intake", "tickets/services.py"), ("overdue", "tickets/jobs.py"),
                         ("duplicate_proposed", "dispatch/duplicates.py"), ("sensor_alarm", "warnings/services.py"),
                         ("escalate", "grids/services.py"), ("whistle_raised", "whistles/services.py"),
                         ("whistle_closed", "whistles/demo.py"), ("close", "importer/services.py"),
                         ("extension_decision", "demo/generate.py"), ("self_handle", "grids/demo.py"),
                         ("unit_moved", "units/services.py")):
        assert any(w.startswith(writer) for w in kinds.get(kind, [])), (kind, writer, kinds.get(kind))
    assert "raise" not in kinds and "summon" not in kinds  # the whistles' own events are not ticket events


def test_every_written_kind_has_a_label_in_chinese():
    kinds = written_kinds()
    missing = sorted(set(kinds) - set(event_labels()))
    assert not missing, {k: kinds[k] for k in missing}
    with translation.override("zh-hans"):
        untranslated = sorted(k for k in kinds if not any("\u4e00" <= ch <= "\u9fff" for ch in event_label(k)))
    assert not untranslated
    with translation.override("zh-hans"):
        assert event_label("duplicate_proposed") == "提出为重复诉求"
        assert event_label("sensor_alarm") == "传感器报警"


def test_the_new_apps_payloads_read_on_the_timeline():
    from types import SimpleNamespace

    from jiesu.core.templatetags.jiesu_ui import event_details

    def details(kind, **payload):
        return event_details(SimpleNamespace(kind=kind, payload=payload))

    with translation.override("zh-hans"):
        assert details("duplicate_proposed", parent_number="20260301-0000042") == ["与 20260301-0000042 为同一诉求"]
        assert details("escalate", from_unit="第1网格", to_unit="东华门第一社区", late=True) == [
            "由 第1网格 上报至 东华门第一社区", "超过时限"]
        assert details("whistle_raised", whistle_number="CS-1") == ["吹哨 CS-1"]
        assert details("sensor_alarm", sensor="S-9", value=3.5) == ["传感器 S-9，读数 3.5"]
