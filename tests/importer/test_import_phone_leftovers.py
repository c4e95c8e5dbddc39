"""`jiesu import` and a history's phone field: two numbers parted by a space keep the first (note first_phone_kept)
as other separators do, a fixed line written in groups is one number, and a Beijing fixed line a digit short is
no number (note unusable_phone)."""
from jiesu.tickets.models import Ticket, TicketEvent

from .conftest import run_import, write_csv
from .test_import_audit8 import PHONE_HEADER, phone_row


def test_two_numbers_parted_by_a_space_keep_the_first_and_a_grouped_fixed_line_is_whole(world, tmp_path):
    phones = ["13912345678 13812345678", "010 6512 3456", "010-6512345", "010 6512 3456　13812345678"]
    result, _lines = run_import(write_csv(tmp_path / "phones.csv", PHONE_HEADER,
                                          [phone_row(i, p) for i, p in enumerate(phones)]))
    assert result["imported"] == 4
    assert result["notes"] == {"first_phone_kept": 2, "unusable_phone": 1}
    stored = dict(Ticket.objects.values_list("idempotency_key", "citizen_phone"))
    assert stored == {"import:csv:T0": "13912345678", "import:csv:T1": "01065123456", "import:csv:T2": "",
                      "import:csv:T3": "01065123456"}
    notes = {e.ticket.idempotency_key: e.payload.get("notes") for e in TicketEvent.objects.filter(kind="intake")}
    assert notes["import:csv:T0"] == [["first_phone_kept", "13912345678 13812345678"]]
    assert notes["import:csv:T1"] is None
    assert notes["import:csv:T2"] == [["unusable_phone", "010-6512345"]]
