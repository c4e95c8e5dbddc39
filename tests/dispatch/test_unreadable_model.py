"""A desk model file that cannot be read (cut off, not a model): the engine answers with the cold start, not with
nothing, and the accuracy page (the file's path and the error for staff) and the desk say so."""
import pytest

from jiesu.accounts.models import Role, User
from jiesu.dispatch import engine, router
from jiesu.dispatch.engine import suggest
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .desk_helpers import desk_world  # noqa: F401  (fixture)
from .test_accuracy_runs_and_rules import page
from .test_engine import model
from .test_router_fixtures import dispatch_db  # noqa: F401  (fixture)

THE_ENGINES = engine.default_classifier  # desk_world stands a stub in for it: these tests need the real one


@pytest.fixture
def fresh_engine(monkeypatch):
    """No classifier cached in this process, before and after; a clock the test moves."""
    clock = [1000.0]
    monkeypatch.setattr(engine, "_clock", lambda: clock[0])
    engine._classifier.update(key=None, model=None, checked=None, failed=None, unreadable=None)
    yield clock
    engine.finish_reload(timeout=30)
    engine._classifier.update(key=None, model=None, checked=None, failed=None, unreadable=None)


def _cut_off(path):
    """A real model file cut in half, as a copy interrupted midway leaves it."""
    model("desk-1").save(path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    return len(data)


def test_a_cut_off_model_file_gives_the_cold_starts_suggestions_and_says_which_file(dispatch_db, settings, tmp_path,
                                                                                  fresh_engine, caplog,
                                                                                  monkeypatch):
    path = tmp_path / "desk.npz"
    whole = _cut_off(path)
    assert 0 < path.stat().st_size < whole
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": str(path)}
    with caplog.at_level("WARNING", logger="jiesu.dispatch.engine"):
        found = suggest("王府井大街有人摆摊占道经营，早晚高峰堵路", address="东城区王府井大街")
    assert len(found) == 3 and found.cold_start and found.classifier.startswith("cold-start-")
    assert any("占道" in s.category.name for s in found)
    unreadable = engine.unreadable_model()
    assert unreadable.path == str(path) and str(path) in unreadable.error
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and str(path) in errors[0].getMessage() and "cold start" in errors[0].getMessage()
    loads, load = [], engine._load_file
    monkeypatch.setattr(engine, "_load_file", lambda where: loads.append(where) or load(where))
    fresh_engine[0] += engine.MODEL_CHECK_SECONDS + 1
    assert engine.is_cold_start(engine.default_classifier()) and loads == []  # the same file is not read again
    assert engine.unreadable_model() == unreadable
    model("desk-2").save(tmp_path / "new.npz")
    (tmp_path / "new.npz").replace(path)  # replaced (a retraining, a rollback): loaded at the next look
    fresh_engine[0] += engine.MODEL_CHECK_SECONDS + 1
    engine.default_classifier()
    assert engine.finish_reload(timeout=30)
    assert engine.default_classifier().version == "desk-2" and loads == [path]
    assert engine.unreadable_model() is None


def test_a_file_that_is_no_model_replacing_the_cold_start_leaves_it_and_says_so(dispatch_db, settings, tmp_path,
                                                                               fresh_engine):
    path = tmp_path / "desk.npz"
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": str(path)}
    cold = engine.default_classifier()  # no file yet: the cold start
    assert engine.is_cold_start(cold) and engine.unreadable_model() is None
    path.write_bytes(b"not a model at all")
    fresh_engine[0] += engine.MODEL_CHECK_SECONDS + 1
    assert engine.default_classifier() is cold  # the look answers at once; the file is read in a thread
    assert engine.finish_reload(timeout=30)
    assert engine.default_classifier() is cold and engine.unreadable_model().path == str(path)
    path.unlink()  # gone: the cold start, as before any model, and nothing to tell
    fresh_engine[0] += engine.MODEL_CHECK_SECONDS + 1
    assert engine.default_classifier() is cold and engine.unreadable_model() is None


def test_the_accuracy_page_and_the_desk_say_the_file_could_not_be_read(desk_world, settings, tmp_path, fresh_engine,
                                                                      monkeypatch):
    w = desk_world
    monkeypatch.setattr(engine, "default_classifier", THE_ENGINES)
    router.invalidate()
    path = tmp_path / "desk.npz"
    _cut_off(path)
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": str(path), "DISPATCH_MODEL_DIR": str(tmp_path)}
    ticket = new_ticket(w)
    panel = page(w.dispatcher, f"/dispatch/desk/{ticket.pk}/suggestions/")
    assert 'data-rank="1"' in panel and "data-unreadable" in panel  # suggestions, from the cold start
    assert "冷启动模型：模型文件无法读取" in panel and str(path) not in panel
    staff = User.objects.create_user("ops", password="pw", role=Role.ADMIN, is_staff=True)
    html = page(staff, "/dispatch/accuracy/")
    notice = html[html.index('id="acc-unreadable"'):]
    notice = notice[:notice.index("</li>")]
    assert "模型文件无法读取（文件不完整，或不是模型文件）：派单台改用冷启动模型" in notice
    assert f"<small>{path}: {path}" in notice  # the path and the error, for staff
    supervisor = page(w.supervisor, "/dispatch/accuracy/")
    assert 'id="acc-unreadable"' in supervisor and str(path) not in supervisor
    english = page(staff, "/dispatch/accuracy/", "en")
    assert "The model file could not be read (cut off, or not a model): the desk uses the cold-start model" in english
    assert "Cold-start model: the model file could not be read" in page(
        w.dispatcher, f"/dispatch/desk/{ticket.pk}/suggestions/", "en")
