"""The engine's explanations in the user's language ("占道经营 位于 东华门街道 → 东华门街道办事处（派单目录 #123，属地）").

The router, the engine and the grid-first step word an explanation for every suggestion that is read
(router.Suggestion.why: of the ~10 candidates routed per ticket, the three shown; the import's one per
route), a few thousand a second at intake and import: each phrase is looked up once per language and
process (`words()`), then only formatted. The Chinese wording is the catalogue's translation of these English templates
(jiesu/locale/zh_Hans); a message without a request (a command, the worker) is in the default language.

The locator's and the gazetteer's place reasons (LocateResult.reason: "地址中识别出「王府井大街」（道路） →
东华门街道（东城区）") are kept as their parts and worded only when read (`word`, gazetteer.Worded): a ticket
is located at intake, at import and for every suggestion, its reason read far less often (the API's answers),
in the reader's language.
"""
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_noop, ngettext, pgettext

TEMPLATES = {
    "mode_direct": gettext_noop("by sector: straight to the responsible unit"),
    "mode_territorial": gettext_noop("territorial"),
    "mode_district": gettext_noop("territorial: the district government"),
    "mode_district_department": gettext_noop("district department"),
    "mode_fallback_district": gettext_noop("fallback: the district government (Art. 12)"),
    "mode_hotline": gettext_noop("to the hotline centre for manual dispatch"),
    "level_grid": gettext_noop("grid"),
    "level_community": gettext_noop("community"),
    "level_street": gettext_noop("street"),
    "level_district": gettext_noop("district"),
    "negative_lead": gettext_noop("negative list (#%(id)s): never to %(unit)s"),
    "negative_co": gettext_noop("negative list (#%(id)s): %(unit)s is not a co-handling unit"),
    "unknown_level": gettext_noop("the place's %(level)s is unknown"),
    "unknown_level_up": gettext_noop("the place's %(level)s is unknown: to its %(up)s"),
    "no_district_department": gettext_noop("%(district)s has no such district department"),
    "why_no_rule": gettext_noop("no rule of the dispatch catalogue applies"),
    "why_negative": gettext_noop("the catalogue's unit is on the negative list"),
    "why_unresolved": gettext_noop("the catalogue's unit cannot be determined"),
    "unknown_district": gettext_noop("the district is unknown"),
    "where_street": gettext_noop(" in %(street)s"),
    "where_district": gettext_noop(" in %(district)s (street unknown)"),
    "where_unknown": gettext_noop(" place unknown"),
    "duty": gettext_noop("dispatch catalogue #%(id)s"),
    "territory_rule": gettext_noop("a rule of %(territory)s, before the citywide catalogue"),
    "parent_rule": gettext_noop("by the rule of the parent category “%(name)s”"),
    "copy": gettext_noop("copied to %(district)s, as every street dispatch"),
    "co": gettext_noop("co-handling: %(units)s"),
    "alternative": gettext_noop("alternative"),
    "conflict": gettext_noop("dispatch catalogue %(first)s and %(last)s name different lead units for the same area "
                             "and category, please check"),
    "explanation": gettext_noop("%(category)s%(where)s → %(target)s (%(parts)s)"),
    "suggestion": gettext_noop("category “%(name)s” %(p)s × routing %(c)s: %(rest)s"),
    "grid_first": gettext_noop("category “%(name)s” %(p)s: the grid duty list has the %(level)s act first → "
                               "%(unit)s"),
    "grid_first_barred": gettext_noop("%(explanation)s; negative list #%(id)s: “%(category)s” must not go to "
                                      "%(unit)s, so the %(level)s is not suggested to act first"),
}
#: Punctuation between units and between parts (、 and ， in Chinese): translated with a context of their own.
SEPARATORS = {"units_sep": ", ", "parts_sep": "; "}
#: A place reason's punctuation (；「」（） in Chinese): phrases without a word, translated with the context
#: "place reason" (the catalogue's extraction skips text without a letter: these entries are written by hand).
PLACE_PUNCTUATION = {
    "reason_sep": "; ",
    "place_named": "“%(name)s” (%(kind)s)",
    "place_label": "%(unit)s (%(district)s)",
    "with_notes": "%(reason)s (%(notes)s)",
}
#: The place reasons' phrases (gazetteer and locator), put together by `word`; keys apart from TEMPLATES'.
PLACE_TEMPLATES = {
    "place_nothing": gettext_noop("no district, street, community or known place name found in the address"),
    "place_undecided": gettext_noop("the place names in the address do not settle the place"),
    "place_outside": gettext_noop("“%(name)s” is not in %(districts)s: left out"),
    "place_named_settled": gettext_noop("“%(name)s” (%(kind)s; several places have that name, the other names "
                                        "in the address settle it)"),
    "place_common": gettext_noop("“%(name)s” names several places (%(places)s): only their common parent "
                                 "%(unit)s is certain"),
    "place_ambiguous": gettext_noop("“%(name)s” names several places (%(places)s) and which one is meant is "
                                    "unknown: please add the district"),
    "place_conflict_first": gettext_noop("also named, elsewhere: %(others)s; “%(name)s”, named first, is taken "
                                         "for now, please check"),
    "place_conflict_finer": gettext_noop("also named, elsewhere: %(others)s; the more specific “%(name)s” is "
                                         "taken"),
    "place_found": gettext_noop("found in the address: %(why)s → %(place)s"),
    "place_found_text": gettext_noop("found %(why)s → %(place)s"),
    "place_chosen": gettext_noop("chosen at intake: %(place)s"),
    "kind_unit": gettext_noop("unit name"),
    "kind_alias": gettext_noop("alias"),
    "kind_road": gettext_noop("road"),
    "kind_landmark": gettext_noop("landmark"),
    "kind_compound": gettext_noop("residential compound"),
    "point_none": gettext_noop("no coordinates given"),
    "point_outside": gettext_noop("the point (%(system)s) %(lon).6f, %(lat).6f lies outside every unit of the city"),
    "point_outside_sign": gettext_noop("the point (%(system)s) %(lon).6f, %(lat).6f lies outside every unit of the "
                                       "city: in China longitude and latitude are both positive (east, north), "
                                       "remove the minus sign"),
    "point_in": gettext_noop("the point (%(system)s) lies in %(place)s"),
    "point_in_schematic": gettext_noop("the point (%(system)s) lies in %(place)s (schematic boundary: the place is "
                                       "only indicative)"),
    "point_on_boundary": gettext_noop("%(reason)s, on its boundary with %(others)s: please check"),
    "point_agrees": gettext_noop("%(reason)s, as the address says (%(address)s)"),
    "point_over_address": gettext_noop("%(reason)s; the address points to %(unit)s, unlike the point: the "
                                       "coordinates are taken"),
    "address_over_schematic": gettext_noop("%(reason)s; %(point)s, unlike the address: a schematic boundary is "
                                           "not reliable, the address is taken"),
    "datum_would_agree": gettext_noop("read as %(system)s the point lies in %(place)s, as the address says: check "
                                      "the coordinate system"),
    "address_note": gettext_noop("address: %(reason)s"),
    "from_text": gettext_noop("from the request text: %(reason)s"),
    "nothing_given": gettext_noop("no coordinates or address given"),
    "to_hotline": gettext_noop("the district is unknown: to the 12345 hotline centre for manual dispatch"),
}
#: The emergency rules' Chinese words (duplicates.RULES, SERVICES: a pure module's names, which are also the
#: Chinese record a closing writes) in the page's language: looked up as the templates are.
EMERGENCY = {
    "火情": gettext_noop("Fire"), "燃气泄漏": gettext_noop("Gas leak"),
    "危险化学品泄漏或化工厂险情": gettext_noop("Chemical leak or chemical plant incident"),
    "有人被困": gettext_noop("People trapped"), "暴力或治安警情": gettext_noop("Violence or a police matter"),
    "交通事故": gettext_noop("Traffic accident"), "有人受伤或急病": gettext_noop("Injury or sudden illness"),
    "消防救援": gettext_noop("fire and rescue"),
    "消防救援（并通知燃气抢修 96777）": gettext_noop("fire and rescue (and the gas utility, 96777)"),
    "公安报警": gettext_noop("police"), "医疗急救": gettext_noop("ambulance"),
    "交通事故报警": gettext_noop("traffic police"),
}
EMERGENCY_TEMPLATES = {
    "emergency_first": gettext_noop("%(what)s: transfer to %(number)s %(line)s now"),
    "emergency_also": gettext_noop("%(what)s, tell %(number)s %(line)s as well"),
}
#: How the lines are joined (、 and ； in Chinese): a context of their own.
EMERGENCY_SEPARATORS = {"emergency_sep": ", ", "emergency_join": "%(first)s; %(others)s"}
_BY_LANGUAGE = {}


def words():
    """{key: template} in the active language (the default one outside a request), looked up once."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    found = _BY_LANGUAGE.get(language)
    if found is None:
        with translation.override(language):
            found = {key: gettext(text) for key, text in (*TEMPLATES.items(), *PLACE_TEMPLATES.items())}
            found.update({key: pgettext("dispatch explanation", text) for key, text in SEPARATORS.items()})
            found.update({key: pgettext("place reason", text) for key, text in PLACE_PUNCTUATION.items()})
            found.update({key: gettext(text) for key, text in EMERGENCY_TEMPLATES.items()})
            found.update({key: pgettext("emergency lines", text) for key, text in EMERGENCY_SEPARATORS.items()})
            found.update({f"emergency:{chinese}": gettext(text) for chinese, text in EMERGENCY.items()})
            _BY_LANGUAGE[language] = found
    return found


def word(parts, w=None) -> str:
    """A reason kept as its parts, in words (`w`: words() of the active language by default).

    Parts are a string or number (a name, a coordinate, a reason given as text: as they are), or a pair
    (key, args): args None → the phrase w[key]; a dict → w[key] % args, each arg worded first; a list → the
    worded items joined by the separator w[key] ("units_sep" 、, "reason_sep" ；).
    """
    if type(parts) is not tuple:
        return parts
    if w is None:
        w = words()
    key, args = parts
    if args is None:
        return w[key]
    if type(args) is list:
        return w[key].join([word(item, w) for item in args])
    return w[key] % {name: word(value, w) for name, value in args.items()}


def _emergency(w, chinese):
    return w.get(f"emergency:{chinese}", chinese)


def service_words(number):
    """The emergency line's service (119 → 消防救援 / fire and rescue) in the page's language."""
    from jiesu.dispatch.duplicates import SERVICES

    return _emergency(words(), SERVICES.get(number, ""))


def emergency_words(hint):
    """What the call-taker is told (duplicates.EmergencyHint.label) in the page's language: the same Chinese
    label on Chinese pages."""
    if hint is None or not hint.lines:
        return getattr(hint, "label", "")
    w = words()

    def line(key, what, number, service):
        return w[key] % {"what": _emergency(w, what), "number": number, "line": _emergency(w, service)}

    first, *others = hint.lines
    text = line("emergency_first", *first)
    if not others:
        return text
    also = w["emergency_sep"].join(line("emergency_also", *other) for other in others)
    return w["emergency_join"] % {"first": text, "others": also}


def _percent(value):
    try:
        return f"{float(value):.0%}"
    except (TypeError, ValueError):
        return "?"


def auto_dispatch_note(facts):
    """An auto-dispatch's note from its facts (services.auto_note_facts) in the active language: stored in Chinese
    (services.auto_note), shown in the reader's (templatetags jiesu_ui.event_note)."""
    return gettext("Auto-dispatched: suggestion #%(rank)s “%(category)s” → %(unit)s, confidence %(confidence)s ≥ "
                   "threshold %(threshold)s") % {
        "rank": facts.get("rank", 1), "category": facts["category"], "unit": facts.get("lead", "?"),
        "confidence": _percent(facts.get("confidence")), "threshold": _percent(facts.get("threshold"))}


def auto_dispatch_rule_words(facts):
    """Who made a dispatch that was the machine's, for the 退单审核 card: 「系统自动派单（规则 餐饮油烟 ≥ 80%，置信度
    91%）」, from the dispatch event's facts (services.auto_note_facts)."""
    return gettext("Auto-dispatched by the system (rule %(category)s ≥ %(threshold)s, confidence %(confidence)s)") % {
        "category": facts.get("category", "?"), "threshold": _percent(facts.get("threshold")),
        "confidence": _percent(facts.get("confidence"))}


def same_caller_note(facts):
    """A same-caller repeat flag's note from its facts (the duplicate_proposed event's payload: parent_number, days,
    place_reason, distance_m) in the active language: stored in Chinese (duplicates.flag_repeats: 同一来电人今天已反映
    （20261206-0025420，同街道），受理时未按重复诉求办结, the place as duplicates.PLACE_LABELS says it), shown in
    the reader's (templatetags jiesu_ui.event_note)."""
    from types import SimpleNamespace

    from jiesu.dispatch.templatetags.desk import place_words

    days = facts["days"]
    figures = {"number": facts.get("parent_number", "?"), "n": days, "place": place_words(SimpleNamespace(
        place_reason=facts.get("place_reason", "unknown"), distance_m=facts.get("distance_m")))}
    if days == 0:
        return gettext("The same caller reported this today (%(number)s, %(place)s); not closed as a repeat at "
                       "intake") % figures
    return ngettext("The same caller reported this %(n)d day ago (%(number)s, %(place)s); not closed as a "
                    "repeat at intake",
                    "The same caller reported this %(n)d days ago (%(number)s, %(place)s); not closed as a "
                    "repeat at intake", days) % figures


def in_platform_language(note, facts):
    """note(facts) in the platform's language (settings.LANGUAGE_CODE): how a note the platform writes is stored
    (the API and exports read it as written), whoever's request wrote it."""
    with translation.override(settings.LANGUAGE_CODE):
        return note(facts)
