"""Emergency wording in English (jiesu.dispatch.emergency_en): the same lines as the Chinese rules."""
import pytest

from jiesu.dispatch import duplicates
from jiesu.dispatch.emergency_en import fired, read

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
    # a break-in going on
    ("Someone is breaking into my house right now", "暴力或治安警情", "110"),
    ("Someone is trying to break into my neighbour's flat, I can hear them at the door", "暴力或治安警情", "110"),
    ("Two men are kicking the door in at number 12", "暴力或治安警情", "110"),
    ("There is an intruder in our building, he is trying doors", "暴力或治安警情", "110"),
    ("I just came home and someone broke into my apartment, they may still be inside", "暴力或治安警情", "110"),
    ("Somebody smashed the window and climbed into the house next door", "暴力或治安警情", "110"),
    # shots
    ("I heard gunshots", "暴力或治安警情", "110"),
    ("Shots fired near the north gate of the park", "暴力或治安警情", "110"),
    ("Someone is firing a gun in the courtyard", "暴力或治安警情", "110"),
    ("A man was shot outside the karaoke bar", "暴力或治安警情", "110"),
    ("There is a man waving a gun at the bus stop", "暴力或治安警情", "110"),
    ("We heard gunfire from the next street", "暴力或治安警情", "110"),
    # a child (or anyone) taken by force
    ("A stranger is trying to take a child away by force", "暴力或治安警情", "110"),
    ("A man grabbed a little girl and dragged her into a van", "暴力或治安警情", "110"),
    ("Someone just snatched a baby from a stroller at the mall", "暴力或治安警情", "110"),
    ("My daughter was abducted on her way home from school", "暴力或治安警情", "110"),
    ("A woman is pulling a boy away and he is screaming that he does not know her", "暴力或治安警情", "110"),
    # electric wires down or sparking (119), a person shocked (120)
    ("Electric wires fell on the road and are sparking, a person was shocked", "火情", "119"),
    ("Live wire down on the street, sparking", "火情", "119"),
    ("A power line is down across the road after the storm", "火情", "119"),
    ("There are sparks coming from the transformer on the pole", "火情", "119"),
    ("The electric cable is hanging down and sparking near the school gate", "火情", "119"),
    ("A high voltage wire fell onto the cars in the parking lot", "火情", "119"),
    ("My neighbour got an electric shock from a cable and is lying on the floor", "有人受伤或急病", "120"),
    # a second set, written after the rules above and missed at first (4 of its 20)
    ("Somebody is climbing through my window right now, please send police", "暴力或治安警情", "110"),
    ("Someone shot a man in the parking garage", "暴力或治安警情", "110"),
    ("A guy has a pistol and is threatening the cashier", "暴力或治安警情", "110"),
    ("My kid was just taken by a stranger at the playground", "暴力或治安警情", "110"),
    ("A power cable snapped and is lying across the bike lane", "火情", "119"),
    ("The transformer on our street exploded and sparks are everywhere", "火情", "119"),
    # audit 6: what a phone types (’), a vital sign that is not there
    ("Help! My baby is choking and can\u2019t breathe", "有人受伤或急病", "120"),
    ("She won\u2019t wake up", "有人受伤或急病", "120"),
    ("My father isn't breathing", "有人受伤或急病", "120"),
    ("My father is not breathing", "有人受伤或急病", "120"),
    ("He cant breathe and his lips are blue", "有人受伤或急病", "120"),
    ("An old man collapsed on the sidewalk near Chaoyang Park and isn\u2019t breathing", "有人受伤或急病", "120"),
    # audit 6: gas smelt like, a gas line leaking; taken in the passive; a theft going on; a vehicle striking
    ("The gas pipe in our kitchen is hissing and the whole flat smells like gas", "燃气泄漏", "119"),
    ("Our stove gas line is leaking, I can hear it hiss and smell it", "燃气泄漏", "119"),
    ("A woman is being dragged into a van by two men on Gulou street", "暴力或治安警情", "110"),
    ("My wallet was just stolen on bus 52, the thief is still on the bus", "暴力或治安警情", "110"),
    ("Two men are stealing bikes from our basement right now", "暴力或治安警情", "110"),
    ("A car hit a cyclist at the Dongzhimen intersection, he is lying on the road", "交通事故", "122"),
    ("A drunk driver just hit my car and then hit a pedestrian", "交通事故", "122"),
    # a third set, written before these rules and not tuned on (15 of its 16 found; missed: "the gas hose behind
    # the stove is leaking": gas and its hose apart, found since the fourth set)
    ("My grandfather isn\u2019t breathing, please send an ambulance", "有人受伤或急病", "120"),
    ("My son is not breathing properly and his lips are blue", "有人受伤或急病", "120"),
    ("She\u2019s unresponsive and won\u2019t wake up", "有人受伤或急病", "120"),
    ("Please help, my husband can\u2019t breathe after a bee sting", "有人受伤或急病", "120"),
    ("It smells like gas all over our corridor", "燃气泄漏", "119"),
    ("A girl was being pulled into a car by a man outside the school", "暴力或治安警情", "110"),
    ("Someone just stole my phone and the thief is running toward the metro", "暴力或治安警情", "110"),
    ("A truck hit a pedestrian at the bus stop on Chang\u2019an Avenue", "交通事故", "122"),
    ("A taxi knocked down a cyclist outside our compound", "交通事故", "122"),
    ("\u201cFire!\u201d \u2013 the shop next door is burning", "火情", "119"),
    ("\uff2d\uff59 \uff4d\uff4f\uff54\uff48\uff45\uff52 \uff46\uff41\uff49\uff4e\uff54\uff45\uff44 in the kitchen",
     "有人受伤或急病", "120"),  # full-width letters
    # a fourth set (emergency_en_heldout2.txt) missed 9 of its 36: the patterns behind them, in other words
    ("The gas hose behind the stove is leaking", "燃气泄漏", "119"),  # the third set's miss: words between
    ("The gas valve under the hob is hissing", "燃气泄漏", "119"),
    ("A man is punching an old lady at the bus stop", "暴力或治安警情", "110"),  # hands on a person
    ("Two guys are beating each other up in the lobby", "暴力或治安警情", "110"),
    ("My neighbour is shouting that he will stab me", "暴力或治安警情", "110"),  # a threat said
    ("He pulled out a knife at the checkout", "暴力或治安警情", "110"),  # a weapon drawn
    ("Someone is kicking my door down", "暴力或治安警情", "110"),  # a door forced
    ("My toddler drank some drain cleaner", "有人受伤或急病", "120"),  # swallowed a poison
    ("My son took too many pills", "有人受伤或急病", "120"),  # an overdose, "many" though
    ("A stray dog is biting a child near the school gate", "有人受伤或急病", "120"),  # an animal at a person
    ("The lift broke down with two old people inside", "有人被困", "119"),  # a lift stopped with people in it
    ("The elevator stopped between the 9th and 10th floor", "有人被困", "119"),
    ("a car hit me", "交通事故", "122"),  # a vehicle's, not a fist: no 110
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
    # an emergency's word in a claim, a refund, a price or a medicine
    "Can I get a refund for the heart attack medicine?",
    "The price of seizure medication went up again",
    "The heart attack prevention lecture was cancelled",
    "I want a refund for the ambulance fee, the hospital overcharged us",
    "Is there a subsidy for electric shock protection devices?",
    "Can I get my money back for the fire extinguisher I bought?",
    # gas as petrol: the station, its prices, its smell
    "The smell of gas station fumes bothers us",
    "How much does the gas station on Second Ring Road charge for diesel?",
    "Gas prices at the station near us are too high",
    "The petrol smell from the gas station drifts into our flat",
    "There is a gas station being built next to the school",
    "The gas leak detector in my kitchen is broken",
    # break-ins, shots, taking and wires that are none
    "Our company is breaking into the Beijing market this year",
    "She broke into tears when the clerk refused her application",
    "The neighbours' dog keeps breaking into our garden to dig",
    "Kids keep kicking the door of the lift every day",
    "I saw an intruder alarm advertisement on the bus",
    "My proposal was shot down by the committee",
    "I got my flu shot at the community clinic",
    "The film was shot in our street and blocked traffic for days",
    "The fireworks sounded like gunshots all night",
    "How do I apply for a gun licence?",
    "Please take my child off the waiting list for the kindergarten",
    "Can I take my kid into the swimming pool on weekdays?",
    "The school wants to take my son away from the class without telling me",
    "The stray cats snatch food from the bins every night",
    "The demolition team forcibly removed our fence and we want compensation",
    "The alien abduction movie was great",
    "The cable TV line is down again, no signal for three days",
    "The electric wires in the old building are a fire hazard",
    "Please trim the tree, its branches touch the power lines",
    "The power lines hum loudly at night",
    "There is no live wire down, the power company already fixed it",
    "The new park is sparking debate among residents",
    "I was shocked by the rude reply from the housing office",
    "Sparks from the welding at the construction site fly onto our balcony every day",
    # the second set's near misses (1 of its 20 flagged at first: a semester is past too)
    "My son was injured in PE class last semester, can the school pay?",
    "The medicine for my stroke is not covered by insurance",
    "The burglar alarm of the shop next door rings at night for no reason",
    "The photographer shot our wedding in the park",
    "The children were taken away by the school bus at 8",
    "The power line repair fee is too high",
    "He shot me a message about the meeting",
    "The gardener cut the hedge with an axe",
    "The cat keeps climbing through our window",
    "The photo was taken by a stranger at the festival",
    # audit 6: "still" makes only its own clause present; burned out, burned by a deal; a quarrel; a site's crash;
    # a phone that is "shot"
    "There was a fire in our building last week and the corridor still smells, who will clean it?",
    "There was a fire in our building last week and now the corridor smells",
    "I want to report a burned out streetlight on Xinyuan Road",
    "The streetlight is burned out",
    "My husband and I had a fight about the heating bill",
    "The social security portal crashed again when I tried to upload my documents",
    "I got burned by a fake rental agency, they took my deposit and disappeared",
    "My phone was shot after I dropped it, can the repair shop refund me?",
    "The traffic on the ring road is not moving at all",
    "Our landlord is unresponsive to every message",
    "Last month my bike was stolen and nobody called me back",
    # the third set's near misses, not tuned on (13 of its 14 skipped; flagged: "our team crashed out of the
    # tournament", 122, skipped since the fourth set)
    "There was a gas leak two weeks ago and the kitchen still needs repainting, who pays?",
    "The bulb in the stairwell burned out again",
    "I had a fight with the property manager about parking fees",
    "The tax website crashed when I submitted the form",
    "My laptop battery is shot, where can I recycle it?",
    "I got burned by an online seller who never sent my order",
    "The kids aren\u2019t breathing in clean air because of the factory, please inspect it",
    "Last month my bike was stolen and the police still haven\u2019t called me back",
    "The bus driver hit the brakes hard and the passengers complained",
    "The heating in our flat isn\u2019t working, my mother can\u2019t sleep",
    # the fourth set flagged 5 of its 34: the patterns behind them, in other words
    "Our team crashed out of the tournament",  # the third set's false alarm: crash + out, a crash barrier
    "I crashed out on the sofa and missed the delivery",
    "I need a crash course in recycling rules",
    "The crash barrier on the bridge is bent",
    "We want to fire the cleaning company",  # fire as a verb, a person its object
    "Fire the manager who ignored our complaint",
    "The old market is a fire trap",  # a thing named after fire
    "After last month's fire the stairwell still isn't repainted",  # still + a negation: a complaint
    "The fire two weeks ago still hasn't been cleaned up",
    "My neighbour burned his rubbish in the yard again",  # burned a thing, not oneself
    "I burnt the toast and the smoke alarm went off",
    "The neighbour's dog attacked my chickens",  # an animal at an animal
    "The gas boiler is leaking water",  # a gas fitting leaking water
]

#: Chinese with English words in it, as a caller or a call-taker types it: the English words touch the Chinese
#: characters (no \b there) and the text may be mostly Chinese (the Chinese rules read it, the words in Chinese).
MIXED_EMERGENCIES = [
    ("楼道里gas味很重，可能漏气了", "燃气泄漏"),
    ("有个man拿着knife在小区门口", "暴力或治安警情"),
    ("我家门口有个guy拿着gun", "暴力或治安警情"),
    ("楼下有人faint了，快叫ambulance", "有人受伤或急病"),  # half ASCII, yet Chinese words decide
    ("电梯里有个人trapped了，出不来", "有人被困"),
    ("停车场有辆车冒smoke了", "火情"),
    ("他被stabbed了，流了很多血", "暴力或治安警情"),
    ("我闻到很浓的gas smell，在三楼", "燃气泄漏"),
    ("小区门口有 a man with a knife，快来", "暴力或治安警情"),  # a longer English run: read as English
    ("路口出了car accident", "交通事故"),
    ("有人在小区里 breaking into cars right now", "暴力或治安警情"),
    ("厨房里gas leak了，报警器一直在响", "燃气泄漏"),
    ("我孩子被kidnapped了", "暴力或治安警情"),
    ("有人被车撞了，流了很多blood，在路口", "交通事故"),
    ("老人在公园里faint了", "有人受伤或急病"),
    ("电梯stuck了，人在里面", "有人被困"),
    ("路口有两辆车crash了，司机流血", "交通事故"),  # crash as 撞: 两辆车撞了
    ("前面两辆车collided了，有人受伤", "交通事故"),
]

MIXED_NEAR_MISSES = [
    "想问一下gas费怎么交",
    "小区的fire通道被车堵了",
    "想咨询一下accident保险报销",
    "楼下restaurant油烟太大",
    "想问一下gas station附近的噪音问题",
    "电脑又crash了，系统很卡",
    "我想给孩子买heart attack的保险，怎么报销",
    "这部movie里有很多gun fight的镜头",
    "我们要为自己的权益fight到底",
    "小区的fire exit被堵了",
    "这个APP经常stuck，无法登录",
    "请问gas bill在哪里交",
    "物业说gas leak检测下周做",  # half ASCII: gas leak before 检测 is the Chinese rules' (燃气泄漏检测)
    "楼下检查过了，there is no gas leak，放心",
    # the Chinese words of a mixed text count (audit 6): the past, a claim, a negation
    "上周有个car accident，想问保险怎么报",
    "去年有个car crash在这里，想问赔偿的事",
    "这里没有 car accident，只是堵车",
    "上周我们小区门口 there was a car crash，想问保险公司怎么理赔",
]


@pytest.mark.parametrize("text,what,number", EMERGENCIES)
def test_an_english_emergency_names_its_line(text, what, number):
    assert fired(text)[0] == what
    hint = duplicates.emergency_hint(text)
    assert hint is not None and hint.number == number and hint.label.startswith(what)


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_an_english_near_miss_is_no_emergency(text):
    assert fired(text) == () and duplicates.emergency_hint(text) is None


@pytest.mark.parametrize("text,what", MIXED_EMERGENCIES)
def test_english_words_in_chinese_are_read(text, what):
    hint = duplicates.emergency_hint(text)
    assert hint is not None and what in [line[0] for line in hint.lines]


@pytest.mark.parametrize("text", MIXED_NEAR_MISSES)
def test_english_words_in_chinese_raise_no_false_alarm(text):
    assert duplicates.emergency_hint(text) is None


@pytest.mark.parametrize("text", ["Can I get a refund for the heart attack medicine?", "买heart attack的药能退吗",
                                  "我想买心梗的药", "中风药涨价了"])
def test_an_emergency_word_before_a_medicine_is_a_medicine_in_either_language(text):
    assert duplicates.emergency_hint(text) is None


@pytest.mark.parametrize("typed", ["can\u2019t", "can\u2018t", "can\u2032t", "can\uff07t", "cant"])
def test_what_a_phone_types_for_an_apostrophe_is_read_as_one(typed):
    assert fired(f"My baby is choking and {typed} breathe") == ("有人受伤或急病",)


def test_only_the_clause_that_says_now_is_present():
    assert fired("There was a fire last week, and now there is a fire in the basement again") == ("火情",)
    assert fired("The gas leak was fixed last week but it still smells of gas") == ("燃气泄漏",)
    assert fired("There was a gas leak last week and the kitchen still smells") == ()


def test_english_words_in_chinese_are_put_in_chinese_for_the_chinese_rules():
    assert read("楼道里gas味很重")[1] == "楼道里燃气味很重"
    assert read("有个man拿着knife")[1] == "有个man拿着刀"
    assert read("想问一下gas station附近")[1] == "想问一下加油站附近"  # the run as a whole first


def test_a_chinese_letter_without_english_comes_back_as_it_is():
    text = "A市A3区魏家坡小区脏乱差，2019年11月10日反映过"
    assert read(text) == ((), text) and read(text)[1] is text


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


@pytest.mark.parametrize("text,numbers", [
    ("a car hit me", ["122"]), ("车把我撞了", ["122"]),
    ("a car hit me and my leg is bleeding", ["122", "120"]), ("车把我撞了，腿在流血", ["122", "120"]),
])
def test_a_car_that_hit_the_caller_is_122_and_120_as_well_when_hurt_in_either_language(text, numbers):
    """The Chinese rules' answer to 被车撞了 (122) and 我被车撞了，腿在流血 (122, 120 as well), kept in English and
    in 车把我撞了: the traffic police first, the ambulance beside them only when an injury is told (the lines'
    order puts 122 before 120), and never the police (110) for a fist."""
    assert [line[1] for line in duplicates.emergency_hint(text).lines] == numbers
