"""Emergency wording in English (jiesu.dispatch.emergency_en): the same lines as the Chinese rules."""
import pytest

from jiesu.dispatch import duplicates
from jiesu.dispatch.emergency_en import fired

EMERGENCIES = [
    ("There is a fire in the building next door, please send help", "火情", "119"),
    ("My neighbour's flat is on fire!", "火情", "119"),
    ("Smoke is pouring out of the window on the third floor", "火情", "119"),
    ("I can smell gas in the stairwell", "燃气泄漏", "119"),
    ("The gas alarm is going off in the kitchen", "燃气泄漏", "119"),
    ("I think there might be a gas leak in the kitchen", "燃气泄漏", "119"),  # suspected: reported as a leak
    ("I'm worried there is a gas leak upstairs, it smells strange", "燃气泄漏", "119"),
    ("A chemical tanker overturned on the ring road and something is leaking", "危险化学品泄漏或化工厂险情", "119"),
    ("My mother is stuck in the lift between the 5th and 6th floor", "有人被困", "119"),
    ("The elevator is stuck and my son is inside, he can't get out", "有人被困", "119"),
    ("A child fell into a manhole on Dongzhimen street", "有人被困", "119"),
    ("Two men are fighting with a knife outside the supermarket", "暴力或治安警情", "110"),
    ("Someone is beating a woman in the parking lot", "暴力或治安警情", "110"),
    ("My bag was just robbed near the subway exit", "暴力或治安警情", "110"),
    ("A man is threatening to jump from the roof", "暴力或治安警情", "110"),
    ("Last week someone assaulted me in the corridor", "暴力或治安警情", "110"),  # past: still a police case
    ("A car crash on Chang'an Avenue, two cars collided", "交通事故", "122"),
    ("An old man was hit by a car at the crossing", "交通事故", "122"),
    ("A man collapsed on the street and is not breathing", "有人受伤或急病", "120"),
    ("Someone fainted in the subway station, call an ambulance", "有人受伤或急病", "120"),
    ("A worker was electrocuted at the construction site", "有人受伤或急病", "120"),
    ("Somebody is drowning in the lake in the park", "有人受伤或急病", "120"),
    ("Help! Someone is injured in the restaurant", "有人受伤或急病", "120"),  # urgent: the weak word counts
    ("我家楼下 there is a fire in the building, please help", "火情", "119"),  # mixed: the English half is read
]

NEAR_MISSES = [
    "The fire exit in our building is blocked by bicycles",
    "There is a fire hazard in the basement because of old wiring",
    "We want a fire safety inspection for the market",
    "The fire brigade inspection found blocked corridors",
    "In case of fire, where is the nearest extinguisher?",
    "There is no fire, but the smoke alarm keeps beeping",
    "Neighbours smoke on the balcony and it comes into my flat",
    "The restaurant downstairs smokes out the whole building every evening",
    "The fireworks last night were too loud",
    "My company fired me and didn't pay my salary",
    "Our gas bill is too high this month",
    "In case of a gas leak, whom should I call?",
    "There is no gas leak, the technician checked the pipes",
    "Can you check whether the gas pipes in our old building are safe?",
    "The lift often gets stuck, please repair it",
    "I watched a movie about a car crash",
    "How do I claim insurance after my car accident last month?",
    "The intersection is accident-prone and needs a traffic light",
    "I almost got hit by a car because the crossing has no lights",
    "Nobody was hurt, the car just scratched the fence",
    "The shops are in a price war and fighting for customers",
    "We are fighting for our rights against the developer",
    "My father was injured last year and I want to know about compensation",
    "The hospital overcharged my injured mother",
    "The air pollution makes people short of breath",
    "My feelings were hurt by the rude clerk at the service window",
    "Food Poisoning. 1 or 2",  # a 311 complaint type
    "The street lamp has been broken for a week",
]


@pytest.mark.parametrize("text,what,number", EMERGENCIES)
def test_an_english_emergency_names_its_line(text, what, number):
    assert fired(text)[0] == what
    hint = duplicates.emergency_hint(text)
    assert hint is not None and hint.number == number and hint.label.startswith(what)


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_an_english_near_miss_is_no_emergency(text):
    assert fired(text) == () and duplicates.emergency_hint(text) is None


def test_chinese_with_a_link_or_an_app_name_is_not_read_as_english():
    text = "建议开通社区APP和WiFi，详见 https://example.com/fire-safety-report 的报道"
    assert fired(text) == ()


def test_fire_and_injuries_in_english_name_both_lines_as_the_chinese_rules_do():
    hint = duplicates.emergency_hint("The kitchen is on fire and my father passed out, help!")
    assert hint.number == "119" and [line[1] for line in hint.lines] == ["119", "120"]
    assert hint.label == "火情：请立即转 119 消防救援；有人受伤或急病，同时通知 120 医疗急救"


def test_an_english_request_gets_the_english_prompt_on_an_english_page():
    from django.utils import translation

    from jiesu.dispatch.wording import emergency_words

    hint = duplicates.emergency_hint("I can smell gas in the stairwell")
    with translation.override("en"):
        assert emergency_words(hint) == "Gas leak: transfer to 119 fire and rescue (and the gas utility, 96777) now"
