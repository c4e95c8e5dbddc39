"""The engine's explanations in the user's language ("占道经营 位于 东华门街道 → 东华门街道办事处（派单目录 #123，属地）").

The router, the engine and the grid-first step word an explanation for every suggestion that is read
(router.Suggestion.why: of the ~10 candidates routed per ticket, the three shown; the import's one per
route), a few thousand a second at intake and import: each phrase is looked up once per language and
process (`words()`), then only formatted. The Chinese wording is the catalogue's translation of these English templates
(jiesu/locale/zh_Hans); a message without a request (a command, the worker) is in the default language.
"""
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_noop, pgettext

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
    "explanation": gettext_noop("%(category)s%(where)s → %(target)s (%(parts)s)"),
    "suggestion": gettext_noop("category “%(name)s” %(p)s × routing %(c)s: %(rest)s"),
    "grid_first": gettext_noop("category “%(name)s” %(p)s: the grid duty list has the %(level)s act first → "
                               "%(unit)s"),
}
#: Punctuation between units and between parts (、 and ， in Chinese): translated with a context of their own.
SEPARATORS = {"units_sep": ", ", "parts_sep": "; "}
_BY_LANGUAGE = {}


def words():
    """{key: template} in the active language (the default one outside a request), looked up once."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    found = _BY_LANGUAGE.get(language)
    if found is None:
        with translation.override(language):
            found = {key: gettext(text) for key, text in TEMPLATES.items()}
            found.update({key: pgettext("dispatch explanation", text) for key, text in SEPARATORS.items()})
            _BY_LANGUAGE[language] = found
    return found
