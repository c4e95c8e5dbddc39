"""What a whistle does is written in its linked tickets' history (audit s36)."""
from django.test import Client

from jiesu.tickets.models import TicketEvent
from jiesu.whistles import services
from whistles.conftest import contacted_ticket, whistle


def test_a_refused_approval_is_written_in_the_linked_tickets_history(world):
    """The ticket said 「吹哨已发起」 and never that the whistle was refused: it looked as if departments were coming."""
    t = contacted_ticket(world)
    w = whistle(world, level="key", tickets=[t])
    services.approve(world.street_staff, w, True)
    services.approve(world.deputy, w, False, "可由街道自行协调")
    event = TicketEvent.objects.get(ticket=t, kind="whistle_refused")
    assert event.note == "可由街道自行协调" and event.payload["whistle_number"] == w.number
    assert event.actor == world.deputy and event.from_state == event.to_state == t.state
    c = Client()
    c.force_login(world.street_staff)
    assert "吹哨审批未通过" in c.get(f"/tickets/{t.pk}/").content.decode()


def test_a_quick_whistle_is_reviewed_by_the_post_that_signs_the_levels_last_step(world):
    """快速 skips approval; any colleague could then 'review' it, so a clerk and a fellow clerk bypassed the head's
    signature a 疑难 whistle needs."""
    from jiesu.accounts.models import Role, User
    from jiesu.core.errors import Forbidden
    import pytest

    clerk = User.objects.create_user("st-2", password="pw", role=Role.UNIT_STAFF, unit=world.street)
    w = whistle(world, level="hard", mode="quick")
    for who in (clerk, world.deputy):
        with pytest.raises(Forbidden):
            services.review(who, w, "同意")
    assert services.review(world.chief, w, "同意现场处置").reviewed_by == world.chief
    key = whistle(world, level="key", mode="quick")          # 重点: its last step is the deputy's
    assert services.review(world.deputy, key).reviewed_by == world.deputy
