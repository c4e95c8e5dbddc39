"""English reports and accusations of a unit's staff are left to a person as the Chinese ones are (accusation.
accusation_in): the rule's own cases, then the held-out set written before the rule (accusation_en_heldout.txt,
scored by bench/accusation.py)."""
from pathlib import Path

import pytest

from jiesu.dispatch.accusation import accusation_in

HELD = [
    ("I am a whistleblower at the parks department", "report", "whistleblower"),
    ("The clerk wanted a BRIBE to move my file", "accuses_unit", "BRIBE"),
    ("Report of corruption in the permit office", "accuses_unit", "corruption"),
    ("The traffic officer slapped my brother", "accuses_unit", "officer…slapped"),
    ("City employees at the yard were rude to us", "accuses_unit", "City employees…rude"),
    ("The sanitation crew refused to take the bags and cursed at me", "accuses_unit", "crew…refused to take"),
    ("My mother was pushed by a police officer outside the station", "accuses_unit", "pushed…police"),
    ("The inspector hung up on me twice", "accuses_unit", "inspector…hung up on"),
]

NOT_HELD = [
    "Report a pothole on Elm Street, please fix it",                   # "report" asks for a repair
    "Officer, please come: someone hit my car and left",               # someone else's deed
    "I called the police because the man next door threatened me",    # a clause of the neighbour's own
    "The police officer was very kind and helped us",
    "The crew pushed the bins into the street after pickup",           # a push at things, not at a person
    "Tree branch hit my window during the storm",
    "My landlord threatened to evict me, please send an inspector",
    "The officer never hit him; two drivers were fighting",            # denied
    "The officer didn’t hit him, the cyclist fell",                    # denied, a typographic apostrophe
    "I was hit by a car near the police station",                      # the car did it
    "Rude customers at the crude oil depot",                           # no official; rude inside crude
    "Noise - Residential. Loud Music/Party. The Police Department responded to the complaint and took action "
    "to fix the condition.",
]


@pytest.mark.parametrize("text,expected", [(text, (reason, words)) for text, reason, words in HELD]
                         + [(text, None) for text in NOT_HELD])
def test_english_accusations_are_found_and_ordinary_requests_not_held(text, expected):
    """(reason, words as written) for an accusation, None for an ordinary request."""
    found = accusation_in(text)
    assert (found and (found.reason, found.words)) == expected


def test_an_english_unit_named_counts_as_an_official():
    text = "The Department of Sanitation refused to help with the bulky items"
    assert accusation_in(text) is None
    assert accusation_in(text, ["Department of Sanitation"]).words == "Department of Sanitation…refused to help"


def read_held_out():
    path = Path(__file__).with_name("accusation_en_heldout.txt")
    rows = [line.split("\t", 1) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    return [(expected == "held", sentence) for expected, sentence in rows]


def test_the_held_out_set_is_read_as_measured():
    """18 accusations and 20 near misses, written before the rule; bench/accusation.py measured every one right."""
    rows = read_held_out()
    wrong = [sentence for expected, sentence in rows if (accusation_in(sentence) is not None) != expected]
    assert (len(rows), wrong) == (38, [])
