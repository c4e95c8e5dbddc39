"""The reply-quality board names each flagged ticket by its title as the ticket page does: masked for who may not
reveal the contact (audit 11, finding 21)."""
from django.test import Client
from django.urls import reverse

from jiesu.quality import services

from .test_services import FORWARDED, replied


def test_the_board_masks_a_title_cut_from_a_callers_words(world):
    replied(world, "我叫韩梅梅，电话13912345678，小区垃圾清运不及时", FORWARDED)
    services.scan(days=30)
    client = Client()
    client.force_login(world.supervisor)
    page = client.get(reverse("quality_board")).content.decode()
    # the name field holds 张三 (helpers.new_ticket): 韩梅梅 is not the citizen's recorded name, the phone is masked
    assert "我叫韩梅梅，电话139****5678" in page and "13912345678" not in page
