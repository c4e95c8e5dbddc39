"""A rule whose threshold is raised is judged only on the auto-dispatches made since (accuracy.judged_since): at a
higher threshold fewer returns are allowed, and those made below it are not held against it (before, raising the bar
could pause the rule at the worker's next check)."""
from django.utils import timezone

from jiesu.dispatch import accuracy as figures
from jiesu.dispatch import services as desk
from jiesu.dispatch.models import AutoDispatchRule, SuggestionSource
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)

from .desk_helpers import desk_world  # noqa: F401  (fixture)
from .test_accuracy_filters import logged_to
from .test_rule_pause_and_recount import flagged_rule  # noqa: F401  (fixture)


def judged(rule):
    return next((f.n, f.upheld) for f in figures.enabled_rule_figures() if f.rule.pk == rule.pk)


def test_raising_the_threshold_judges_the_rule_from_then(desk_world, flagged_rule):  # noqa: F811
    assert judged(flagged_rule) == (3, 3)  # 3 of 3 returned at 80 %: flagged
    before = timezone.now()
    flagged_rule.threshold = 0.9
    flagged_rule.save()
    rule = AutoDispatchRule.objects.get(pk=flagged_rule.pk)
    assert rule.threshold_raised_at >= before
    assert judged(rule) == (0, 0) and figures.pause_flagged_rules() == []
    assert AutoDispatchRule.objects.get(pk=rule.pk).enabled
    logged_to(desk_world, desk_world.street, desk.system_user(), source=SuggestionSource.AUTO)
    assert judged(rule) == (1, 0)  # the dispatches made at the new threshold count


def test_lowering_it_or_saving_other_fields_does_not(desk_world, flagged_rule):  # noqa: F811
    flagged_rule.threshold = 0.7
    flagged_rule.save()
    flagged_rule.note = "夜间易误派"
    flagged_rule.save(update_fields=["note"])
    assert AutoDispatchRule.objects.get(pk=flagged_rule.pk).threshold_raised_at is None
    assert [f.rule.pk for f in figures.pause_flagged_rules()] == [flagged_rule.pk]  # still judged on all three


def test_a_raise_saved_by_its_field_alone_is_stamped_too(desk_world, flagged_rule):  # noqa: F811
    flagged_rule.threshold = 0.95
    flagged_rule.save(update_fields=["threshold"])
    assert AutoDispatchRule.objects.get(pk=flagged_rule.pk).threshold_raised_at is not None
    assert AutoDispatchRule(threshold=0.99).raises_threshold() is False  # a new rule has nothing to raise


def test_the_back_office_list_raising_a_threshold_stamps_it(desk_world, flagged_rule, client):  # noqa: F811
    from jiesu.accounts.models import Role, User

    admin = User.objects.create_superuser("root", password="pw", role=Role.ADMIN)
    client.force_login(admin)
    page = client.get("/admin/dispatch/autodispatchrule/")
    assert page.status_code == 200
    form = {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-0-id": str(flagged_rule.pk),
            "form-0-threshold": "90", "form-0-enabled": "on", "_save": "保存"}
    answer = client.post("/admin/dispatch/autodispatchrule/", form)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    rule = AutoDispatchRule.objects.get(pk=flagged_rule.pk)
    assert rule.threshold == 0.9 and rule.threshold_raised_at is not None
