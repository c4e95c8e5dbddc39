"""How a Beijing 12345 request mix looks: who calls, about what, when, from where.

Numbers are the demo's assumptions, loosely shaped on Beijing's published
monthly 接诉即办 reports (housing and property management the largest group,
heating complaints dominating the first weeks of the heating season, water,
power and flooding after summer storms, noise on summer nights, labour
disputes, market supervision and prepaid-card refunds all year).
"""
from datetime import date

# 2023 resident population (万人), Beijing Statistical Yearbook: the districts' share of requests.
DISTRICT_POPULATION = {
    "110101": 70.4, "110102": 109.8, "110105": 344.2, "110106": 201.5, "110107": 56.3, "110108": 312.4,
    "110109": 39.6, "110111": 131.3, "110112": 184.3, "110113": 132.6, "110114": 226.6, "110115": 199.2,
    "110116": 44.1, "110117": 45.8, "110118": 52.7, "110119": 34.5,
}

# Share of requests per first-level category of our own tree (jiesu/categories/data/categories.csv).
GROUP_WEIGHTS = {
    "01": 19.0,  # 住房与物业
    "02": 8.0,   # 水电气热 (plus the seasonal multipliers below)
    "03": 9.0,   # 城市管理
    "04": 8.0,   # 环境保护
    "05": 9.0,   # 交通出行
    "06": 9.0,   # 劳动与社会保障
    "07": 4.0,   # 教育
    "08": 4.5,   # 医疗卫生
    "09": 10.0,  # 市场监管
    "10": 3.0,   # 公共安全
    "11": 4.0,   # 民政与社会服务
    "12": 4.0,   # 政务服务
    "13": 1.5,   # 农业农村
    "14": 2.0,   # 文化旅游体育
    "15": 3.0,   # 咨询与其他
}

# Leaves asked about more (or less) often than their group's average.
LEAF_FACTORS = {
    "01.01.02": 3.0, "01.01.01": 2.0, "01.01.06": 1.5, "01.01.07": 1.5, "01.02.01": 1.8, "01.02.03": 1.6,
    "01.02.04": 1.8, "01.03.01": 2.5, "01.03.04": 1.5, "01.04.03": 1.8, "01.05.01": 1.3, "01.05.04": 0.5,
    "01.06.01": 1.8, "01.06.08": 0.8,
    "02.01.01": 2.0, "02.03.01": 2.0, "02.05.01": 1.0, "02.06.01": 1.5,
    "03.01.01": 2.0, "03.01.02": 1.5, "03.02.01": 2.0, "03.03.02": 1.5, "03.05.02": 1.5, "03.06.01": 2.5,
    "04.01.01": 1.8, "04.01.03": 1.5, "04.02.01": 2.0, "04.06.01": 1.5,
    "05.03.01": 2.5, "05.01.02": 1.5, "05.02.02": 1.3, "05.05.01": 1.5, "05.04.01": 1.3,
    "06.01.01": 3.5, "06.01.02": 1.5, "06.01.03": 1.5, "06.02.01": 2.0, "06.02.05": 1.8, "06.02.02": 1.5,
    "07.02.01": 1.5, "07.03.02": 1.8,
    "08.01.01": 2.0, "08.01.02": 1.2,
    "09.02.03": 3.5, "09.02.01": 2.0, "09.02.02": 2.0, "09.02.04": 2.0, "09.01.01": 2.0, "09.03.01": 1.2,
    "10.01.02": 1.5, "10.02.05": 1.2,
    "11.01.02": 1.2, "11.06.01": 1.3,
    "12.01.03": 1.5,
    "15.01.01": 2.0, "15.01.02": 2.0, "15.02.02": 1.5,
}

# Categories whose requests come mostly in the evening and at night (noise, barbecues, lights).
NIGHT_CATEGORIES = {
    "01.03.06", "03.01.04", "03.04.03", "03.06.01", "04.01.01", "04.01.03", "04.01.05", "04.02.01",
    "10.04.05", "90.06.06028",
}
URGENT_LIMITS = ("emergency", "utilities")

# Hour-of-day profile (index = hour, Beijing time).
DAY_HOURS = [0.8, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 2.0, 4.5, 6.5, 6.8, 6.0, 4.2, 4.5, 5.8, 6.0, 5.5, 4.8, 3.8,
             3.6, 3.5, 3.0, 2.2, 1.4]
NIGHT_HOURS = [2.5, 1.5, 0.6, 0.3, 0.2, 0.2, 0.5, 1.5, 2.5, 3.0, 3.0, 3.0, 2.5, 2.5, 2.5, 2.5, 2.5, 3.0, 4.0,
               6.0, 8.0, 9.0, 8.0, 5.0]
URGENT_HOURS = [1.2, 0.8, 0.6, 0.5, 0.5, 0.7, 1.2, 2.5, 4.0, 5.0, 5.0, 4.6, 3.8, 4.0, 4.5, 4.6, 4.4, 4.2, 3.8,
                3.6, 3.4, 3.0, 2.4, 1.8]
PATROL_HOURS = [0, 0, 0, 0, 0, 0, 0, 0.5, 3.0, 6.0, 6.0, 4.0, 1.0, 2.0, 5.0, 5.5, 4.0, 1.5, 0, 0, 0, 0, 0, 0]

WEEKEND_FACTOR = 0.72   # fewer calls on Saturdays and Sundays
HOLIDAY_FACTOR = 0.62   # and fewer on statutory holidays
PATROL_WEEKEND_FACTOR = 0.25

# Channels of citizens' requests (grid patrol reports are generated separately).
CHANNELS = (("phone", 78.0), ("app", 10.0), ("web", 9.5), ("api", 1.5), ("sensor", 1.0))
PATROL_SHARE = 0.06     # share of all tickets that are a grid worker's own patrol reports (巡查上报)

# Share of tickets that carry coordinates (the caller's address geocoded, the app's GPS…).
COORDINATE_SHARE = {"phone": 0.35, "web": 0.45, "app": 0.92, "api": 0.6, "sensor": 1.0, "patrol": 1.0}

# Outcomes at intake.
SPECIAL_SHARE = 0.025   # 分类处置 (Art.11)
SPECIAL_CLASSES = (("repeat", 40), ("market", 18), ("statutory", 14), ("emergency", 12), ("unlawful", 9),
                   ("secret", 7))
ANSWER_SHARE_HOTLINE = 0.97   # consultations about what the hotline itself knows (lead HC)
ANSWER_SHARE_CONSULT = 0.30   # other consultations answered from the knowledge base
ANSWER_SHARE_OTHER = 0.012
ANSWER_CALLBACK_SHARE = 0.3   # answered consultations that get a callback anyway
DUPLICATE_SHARE = 0.018       # duplicates merged into an open ticket
ANONYMOUS_SHARE = 0.03
CONFIDENTIAL_SHARE = 0.08

# Handling.
CO_UNIT_SHARE = 0.4           # a duty's co units are added to this share of dispatches
RETURN_SHARE = 0.04           # the lead unit returns the ticket (退单)
RETURN_UPHELD_SHARE = 0.6

# The dispatcher's desk (DispatchSuggestion rows of the first dispatches; /dispatch/accuracy/). Invented
# shares: suggestion #1 taken by 70 % of the dispatches in the first week, rising to 86 % in the last (the
# model learning from the dispatchers), #2 or #3 by 8 %, the rest overridden. When the unit dispatched to
# returned the ticket and the return was upheld, the engine had mostly (70 %) named the right unit first:
# the dispatcher had taken #2 (60 %) or overridden it; else it had been wrong too, its #1 taken.
DESK_TOP1_SHARE = (0.70, 0.86)
DESK_RANK23_SHARE = 0.08
DESK_UPHELD_FORESEEN_SHARE = 0.7
DESK_UPHELD_RANK2_SHARE = 0.6
EXTENSION_SHARE = {"complex": 0.2, "general": 0.03, "utilities": 0.0, "emergency": 0.0}
EXTENSION_APPROVED_SHARE = 0.8
REMIND_SHARE = 0.05           # the citizen calls again (催办)
SUPERVISE_LATE_SHARE = 0.6    # overdue tickets that get a supervision notice (督办)
SELF_RESOLVED_SHARE = 0.93

# Callback (回访) outcomes, tuned so that across reached callbacks resolved+partly ≈ 96.7 % and
# satisfied+basically ≈ 97 % (Beijing's published 2024 rates).
CALLBACK_REACHED = 0.9
CALLBACK_METHODS = (("phone", 86), ("sms", 9), ("web", 5))
RESOLVED_FIRST = (("resolved", 88.9), ("partly", 7.7), ("unresolved", 3.4))
RESOLVED_AGAIN = (("resolved", 89.0), ("partly", 8.5), ("unresolved", 2.5))
SATISFIED_GIVEN = {
    "resolved": (("satisfied", 94.0), ("basically", 5.5), ("dissatisfied", 0.5)),
    "partly": (("satisfied", 38.0), ("basically", 52.0), ("dissatisfied", 10.0)),
    "unresolved": (("satisfied", 6.0), ("basically", 39.0), ("dissatisfied", 55.0)),
}


def in_heating_season(day: date) -> bool:
    """Beijing's statutory heating season: 15 November – 15 March."""
    return (day.month, day.day) >= (11, 15) or (day.month, day.day) <= (3, 15)


def in_summer(day: date) -> bool:
    return (6, 15) <= (day.month, day.day) <= (8, 31)


def season_factor(code: str, day: date, storm: bool) -> float:
    """How much more (or less) often than usual a leaf category comes up on `day`."""
    m, d = day.month, day.day
    f = 1.0
    if code.startswith("02.05."):
        if in_heating_season(day):
            days_in = (day - date(day.year if m >= 11 else day.year - 1, 11, 15)).days
            # the first weeks of the season bring the year's biggest wave of calls
            first = 100.0 if days_in < 10 else 40.0 if days_in < 30 else 15.0
            f = {"02.05.01": first, "02.05.02": first / 8}.get(code, 2.0)
        elif code in ("02.05.03", "02.05.04") and (m, d) >= (10, 15):
            f = 1.5
        else:
            f = 0.05 if code in ("02.05.01", "02.05.02") else 0.4
    if in_summer(day):
        f *= {"02.01.01": 1.6, "02.01.02": 1.8, "02.03.01": 2.2, "02.03.02": 1.8, "02.02.02": 3.0,
              "10.04.01": 3.0, "10.04.02": 2.0, "04.06.06": 3.0, "04.01.03": 2.0, "04.01.05": 1.6,
              "04.02.01": 1.8, "03.01.04": 2.5, "08.02.03": 2.0, "14.02.01": 1.6, "02.06.01": 1.2}.get(code, 1.0)
    if storm:
        f *= {"02.02.02": 18.0, "10.04.01": 12.0, "10.04.02": 14.0, "02.03.01": 5.0, "04.06.01": 6.0,
              "02.02.01": 4.0, "01.02.03": 4.0, "05.04.02": 3.0}.get(code, 1.0)
    if code == "04.06.05":   # poplar and willow fluff
        f *= 8.0 if (4, 10) <= (m, d) <= (5, 25) else 0.1
    if code in ("07.01.01", "07.02.01"):
        f *= 2.5 if 4 <= m <= 8 else 0.6
    if code == "07.04.01":
        f *= 2.0 if 5 <= m <= 7 else 0.7
    if code == "03.03.06":   # snow and ice
        f *= 1.0 if m in (12, 1, 2) else 0.02
    if code in ("06.01.01", "06.01.02"):   # wages before the Spring Festival
        f *= 2.0 if m in (12, 1) else 1.0
    if code.startswith("14.02.") and m == 10 and d <= 8:
        f *= 3.0
    if code == "04.06.06":
        f *= 1.0 if 5 <= m <= 9 else 0.3
    return f


# Patrol reports: what grid workers find (GB/T 47678.5 matters and some of our city-management leaves).
PATROL_FACTORS = {
    "90.09.09006": 6.0, "90.07.07001": 6.0, "90.06.06012": 5.0, "90.09.09011": 5.0, "90.06.06041": 4.0,
    "90.08.08002": 3.0, "90.08.08006": 3.0, "90.07.07006": 2.0, "90.06.06020": 2.0, "90.06.06045": 2.0,
    "90.06.06004": 2.0, "90.09.09019": 2.0, "90.09.09002": 1.5,
    "03.01.01": 5.0, "03.01.02": 4.0, "03.01.03": 3.0, "03.01.05": 4.0, "03.02.01": 3.0, "03.03.01": 3.0,
    "03.03.02": 3.0, "03.03.05": 2.0, "04.05.01": 2.0, "05.05.01": 3.0, "01.04.05": 1.0,
}
PATROL_OWN_PREFIXES = ("03.", "04.05.", "05.05.01", "01.04.05", "04.06.02")


def patrol_weight(code: str, day: date) -> float:
    if code.startswith("90."):
        base = PATROL_FACTORS.get(code, 0.35)
        if code.endswith("10001"):   # snow and ice on the road
            base *= 4.0 if day.month in (12, 1, 2) else 0.0
        return base
    if code.startswith(PATROL_OWN_PREFIXES):
        return PATROL_FACTORS.get(code, 0.5)
    return 0.0
