"""International phone numbers stored before their key kept its + (2026-12-06, 4dfbec9) were stored as their digits:
+44 20 7946 0958 as 442079460958, 0044 … as 00442079460958, +1 212 555 0100 as 12125550100, and in the first hours
of digit keys a fixed line with +86 as 861065123456. Such a key is re-keyed where one reading alone is possible:
00 before it, or digits no Chinese number has (10 or more, not starting with 0 or 1, not a 400/800 number; 12 and a
NANP area code, 12125550100). A key that is a Chinese number as it stands (+1 312 555 0100 stored as the 131 mobile
13125550100) or a near miss of one (a mobile a digit short or long) is left as it is: nothing tells them apart.
The same-caller look-up compares this column alone (dispatch.duplicates.same_caller; no derived key), so the re-keyed
numbers meet the keys intake stores now. Only candidates are read (not +…, not an 11-digit 13x–19x mobile, not a
fixed line with its 0, not a short local number), in batches by id; the reverse is a no-op (the old keys are what
the same-caller look-up got wrong)."""
from django.db import migrations
from django.db.models import Q
from django.db.models.functions import Length

BATCH = 2000
#: new_key's answer for a key left as it is
LEFT = ""
MOBILE_PREFIXES = ("13", "14", "15", "16", "17", "18", "19")


def candidates(Ticket):
    """Keys that may be an international number's digits; mobiles, fixed lines and keys with their + are not read."""
    mobile = Q(phone_length=11) & Q(*(Q(citizen_phone__startswith=p) for p in MOBILE_PREFIXES), _connector=Q.OR)
    foreign_digits = ~Q(citizen_phone__startswith="0") & ~Q(citizen_phone__startswith="+") & Q(phone_length__gte=10)
    return (Ticket.objects.filter(citizen_phone__gt="").annotate(phone_length=Length("citizen_phone"))
            .filter(Q(citizen_phone__startswith="00") | foreign_digits & ~mobile).order_by("pk")
            .only("pk", "citizen_phone"))


def new_key(stored):
    """The key the phone rule gives a stored key read as an international number's digits; None for a key in the
    rule's own form (a Chinese number as it stands, 13125550100 among them), LEFT where no one reading is sure."""
    from jiesu.core.params import phone_number

    read = phone_number(stored)
    if read == stored:
        return None
    number = stored.partition(",")[0]
    if number.startswith("00"):  # no Chinese number starts so: 0044 … or 0086 …
        return read or LEFT
    unambiguous = (not number.startswith("1") and len(number) >= 10) or (len(number) == 11 and number[1] == "2")
    return (phone_number("+" + stored) or LEFT) if unambiguous else LEFT


def rekey(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    rows, changed, left, last = candidates(Ticket), 0, 0, 0
    while batch := list(rows.filter(pk__gt=last)[:BATCH]):
        last = batch[-1].pk
        keyed = []
        for ticket in batch:
            key = new_key(ticket.citizen_phone)
            if key == LEFT:
                left += 1
            elif key is not None:
                ticket.citizen_phone = key
                keyed.append(ticket)
        Ticket.objects.bulk_update(keyed, ["citizen_phone"])
        changed += len(keyed)
    if changed or left:  # after migrate's "Applying tickets.0007…", before its " OK"; a new database says nothing
        print(f"\n    phone keys: {changed} re-keyed (international, or +86 before a fixed line), {left} left as "
              "stored (no one reading)", end="", flush=True)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0006_place_source")]
    operations = [migrations.RunPython(rekey, migrations.RunPython.noop, elidable=True)]
