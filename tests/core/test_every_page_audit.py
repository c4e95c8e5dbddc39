"""Every GET page and endpoint, for every demo user, in Chinese and in English (docs/ci.md, "The every-page audit").

The demo city (东城区 only, 300 hotline tickets, the grid and whistle demos, topics, hotspots, forecasts) is built
once for the module inside a transaction that is rolled back at its end. Then each demo user of jiesu/demo/users.py
logs in, switches the language as a user does (POST /i18n/setlang/, the cookie core.middleware reads) and asks
every route of jiesu/urls.py, walked from Django's URL resolver (the admin's and the API's too), its parameters
filled with real ids: a ticket inside and one outside the user's territory, the citizen's own, a department's, a
whistle, a topic, a hotspot, a unit, a grid, a patrol … (SAMPLES; a new route without a sample fails
test_every_route_is_asked). Each answer is checked as it comes, and only what a check found is kept:

- no answer is a 500 (an exception raised by the view counts as one);
- refusals: a ticket outside a street's, the district's, a department's or the grid's territory, and every staff
  page for the citizen, answer 403, 404 or a redirect to the login — never 200 with data;
- an English page holds no Chinese outside the database's own words (ticket titles and texts, unit, category and
  place names, users' names …: every CJK run must be part of a text the database holds); a Chinese page holds no
  English UI sentence (two English words or more outside the database's words, ids, codes and units);
- the citizens' phone numbers: no page shows a demo citizen's full number (11 digits) to a user who may not
  reveal contacts (scoping.may_reveal_contact: only the call-takers, callback agents and administrators may).
"""
import logging
import json
import re
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.db import transaction
from django.db.models import Q
from django.test import Client
from django.urls import URLResolver, get_resolver

from tests.core.demo_city import build_demo_city

pytestmark = pytest.mark.django_db

LANGUAGES = ("zh-hans", "en")
HAN_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")  # Chinese words; punctuation (、；，) between data is no word
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ \u00a0]+[A-Za-z][A-Za-z'’-]*)+")
# Rows Django keeps in the database and shows as they were written (in English, at migrate): the permissions' and the
# content types' names. Data to the check, like the platform's own rows.
DJANGO_DATA = {"auth.Group", "auth.Permission", "contenttypes.ContentType"}
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p


@dataclass
class Answer:
    user: str
    language: str
    route: str
    which: str                                     # the sample ticket asked for ("street", "citizen" …) or ""
    url: str
    status: int
    location: str = ""
    error: str = ""
    cjk: list = field(default_factory=list)        # an English page's Chinese outside the database's words
    english: list = field(default_factory=list)    # a Chinese page's English outside the database's words
    phones: list = field(default_factory=list)     # demo citizens' full numbers in the answer
    leaks: list = field(default_factory=list)      # numbers of sample tickets the user may not read


class VisibleText(HTMLParser):
    """The text a user reads: the text outside <script>, <style> and code (<code>, <kbd>, <pre>, <samp>), and the
    title, placeholder, aria-label and alt attributes, and the values of buttons."""

    SKIP = {"script", "style", "code", "kbd", "pre", "samp"}
    ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.skipping = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        attrs = dict(attrs)
        for name in self.ATTRIBUTES:
            if attrs.get(name):
                self.parts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.parts.append(data)


def readable_texts(response):
    """The texts of an answer a user reads: an HTML page's visible texts, a JSON answer's strings, a text's lines."""
    kind = response.get("Content-Type", "")
    if getattr(response, "streaming", False):
        return []
    body = response.content.decode("utf-8", "replace")
    if "html" in kind:
        parser = VisibleText()
        parser.feed(body)
        return parser.parts
    if "json" in kind:
        try:
            data = json.loads(body)
        except ValueError:
            return [body]
        found = []

        def strings(value):
            if isinstance(value, str):
                found.append(value)
            elif isinstance(value, dict):
                for item in value.values():
                    strings(item)
            elif isinstance(value, list):
                for item in value:
                    strings(item)

        strings(data)
        return found
    if kind.startswith(("text/plain", "text/csv")):
        return [body]
    return []


class Words:
    """The database's own words: every text of a jiesu model (names, titles, texts, notes, addresses …) and the
    users' names. A CJK run of an English page is data when it is part of one of them."""

    def __init__(self):
        from django.apps import apps
        from django.db import models

        texts = set()
        for model in apps.get_models():
            if not (model.__module__.startswith("jiesu.") or model._meta.label in DJANGO_DATA):
                continue
            fields = [f.attname for f in model._meta.concrete_fields
                      if isinstance(f, (models.CharField, models.TextField, models.JSONField))]
            if not fields:
                continue
            for row in model._base_manager.values_list(*fields):
                for value in row:
                    if isinstance(value, str) and value:
                        texts.add(value)
                    elif isinstance(value, (dict, list)) and value:
                        texts.add(json.dumps(value, ensure_ascii=False))
        self.runs = {run for text in texts for run in HAN_RUN.findall(text)}
        self.english = {run.lower() for text in texts for run in ENGLISH_RUN.findall(text)}
        self.blob = "\n".join(texts)
        self.blob_lower = self.blob.lower()
        self.known = {}

    def has_cjk(self, run):
        if run in self.runs:
            return True
        if run not in self.known:
            self.known[run] = run in self.blob
        return self.known[run]

    def has_english(self, run):
        key = run.lower()
        if key in self.english:
            return True
        if key not in self.known:
            self.known[key] = key in self.blob_lower
        return self.known[key]


def around(text, match):
    return " ".join(text[max(0, match.start() - 40):match.end() + 40].split())


GLOSS = re.compile(r"[(（][^()（）]*[)）]")
# The language switch names each language in itself (中文, English).
LANGUAGE_NAMES = {"中文", "简体中文"}


def cjk_outside_data(texts, words):
    """(run, its context) of each Chinese run of an English page's `texts` that is no part of the database's words.
    A Chinese term in brackets after English words is the glossary's gloss (Whistles (街乡吹哨、部门报到)): allowed."""
    found = []
    for text in texts:
        if text.strip() in LANGUAGE_NAMES:
            continue
        glossed = GLOSS.sub(" ", text) if re.search(r"[A-Za-z]", GLOSS.sub(" ", text)) else text
        found += [(m.group(), around(glossed, m)) for m in HAN_RUN.finditer(glossed) if not words.has_cjk(m.group())]
    return found


# English a Chinese page may hold outside the data: names of formats and the command lines an administrator types.
TERMS = re.compile(r"^(GeoJSON FeatureCollection|jiesu [a-z]+(?: [a-z-]+)*)$")


def english_outside_data(texts, words):
    """(run, its context) of each run of two English words or more of a Chinese page's `texts` outside the database's
    words and TERMS."""
    return [(m.group(), around(text, m)) for text in texts for m in ENGLISH_RUN.finditer(text)
            if not TERMS.match(m.group()) and not words.has_english(m.group())]


STREET, STREET2, DEPARTMENT, ENTERPRISE, GRID = "110101001", "110101002", "CD-RSJ", "EN-WATER", "110101001001001"


def open_ticket_of(street_code):
    """A ticket of a street's territory, dispatched to it as lead unit, whose citizen gave a phone and asked for
    nothing withheld: what the street's staff work on, and nobody outside the territory may read (the newest)."""
    from jiesu.accounts.models import User
    from jiesu.categories.models import RequestType
    from jiesu.core.scoping import visible_tickets
    from jiesu.tickets.models import Ticket

    return (Ticket.objects.filter(street__code=street_code, lead_unit__code=street_code, dispatched_at__isnull=False,
                                  confidential=False, anonymous=False, citizen_user=None)
            .exclude(request_type=RequestType.REPORT).exclude(citizen_phone="")
            .exclude(assignments__unit__code__in=(DEPARTMENT, ENTERPRISE)).exclude(grid__code=GRID)
            .exclude(pk__in=visible_tickets(User.objects.get(username="grid")).values("pk"))  # its patrols too
            .order_by("-pk").first())


class Samples:
    """One real object per kind of URL parameter (a ticket per territory)."""

    def __init__(self):
        from jiesu.accounts.models import User
        from jiesu.core.scoping import visible_tickets
        from jiesu.dispatch.models import AutoDispatchRule
        from jiesu.grids.models import GridDuty, GridMember, Patrol
        from jiesu.hotspots.models import Hotspot
        from jiesu.tickets.models import Attachment, Notice, Ticket
        from jiesu.quality.models import ReplyFlag
        from jiesu.topics.models import Topic
        from jiesu.units.models import Unit
        from jiesu.warnings.models import Alert, Sensor
        from jiesu.whistles.models import Evidence, Whistle, WhistleAttachment

        citizen = User.objects.get(username="citizen")
        self.tickets = {
            "street": open_ticket_of(STREET),
            "street2": open_ticket_of(STREET2),
            "citizen": Ticket.objects.filter(citizen_user=citizen).exclude(pk__in=handled_by("enterprise", "grid"))
                             .order_by("pk").first(),  # one neither handles nor holds in its grid (REFUSED_TICKETS)
            "dept": Ticket.objects.filter(assignments__unit__code=DEPARTMENT, assignments__active=True,
                                          pk__in=visible_tickets(User.objects.get(username="district")).values("pk"))
                          .exclude(street__code__in=(STREET, STREET2)).order_by("pk").first(),  # one the district reads
        }
        missing = [name for name, ticket in self.tickets.items() if ticket is None]
        assert not missing, f"the demo city has no sample ticket for {missing}"
        self.ticket = self.tickets["street"]
        whistle = Whistle.objects.filter(street__code=STREET).order_by("pk").first() if hasattr(Whistle, "street") \
            else Whistle.objects.order_by("pk").first()
        self.whistle = whistle or Whistle.objects.order_by("pk").first()
        summons = self.whistle.summons.order_by("pk").first()
        task = self.whistle.tasks.order_by("pk").first()
        self.unit = Unit.objects.get(code=STREET)
        rule = AutoDispatchRule.objects.order_by("pk").first()
        evidence = Evidence.objects.order_by("pk").first()
        whistle_attachment = WhistleAttachment.objects.order_by("pk").first()
        attachment = Attachment.objects.filter(ticket=self.ticket).first()
        self.values = {
            # tickets/<pk>/…, the API's tickets/<ticket_id>: see ticket_urls (one per sample ticket)
            "whistle": self.whistle.pk, "sid": summons.pk if summons else 0, "tid": task.pk if task else 0,
            "evidence_id": evidence.pk if evidence else 0,
            "whistle_attachment_id": whistle_attachment.pk if whistle_attachment else 0,
            "attachment_id": attachment.pk if attachment else 0,
            "topic": Topic.objects.order_by("pk").first().pk,
            "hotspot": Hotspot.objects.order_by("pk").first().pk,
            "patrol": Patrol.objects.filter(grid__code=GRID).order_by("-pk").first().pk,
            "notice": Notice.objects.filter(unit=self.unit).order_by("pk").first().pk,
            "rule": rule.pk if rule else 1,
            "reply_flag": ReplyFlag.objects.order_by("pk").values_list("pk", flat=True).first() or 1,
            "alert": Alert.objects.order_by("pk").first().pk,
            "unit_pk": self.unit.pk, "unit_code": STREET, "grid_code": GRID,
            "sensor_code": (Sensor.objects.order_by("pk").values_list("code", flat=True).first() or "S-1"),
            "duty_id": GridDuty.objects.order_by("pk").values_list("pk", flat=True).first() or 1,
            "member_id": GridMember.objects.order_by("pk").values_list("pk", flat=True).first() or 1,
            "category_code": self.ticket.category.code,
        }
        self.citizen_phone = citizen.phone


PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")


def fill(route, values):
    """The URL of `route` with its <parameters> replaced by `values` (a dict by parameter name)."""
    url = "/" + PARAMETER.sub(lambda m: str(values[m.group(2)]), route)
    return url.replace("^", "").replace("$", "")


# What each route's parameters are filled with: {route prefix: {parameter: sample name}}, longest prefix first. A
# ticket parameter ("ticket") is asked once per sample ticket.
ROUTE_PARAMETERS = {
    "tickets/<int:pk>/": {"pk": "ticket"},
    "intake-check/ticket/": {"pk": "ticket"},
    "dispatch/desk/": {"pk": "ticket"},
    "quality/check/": {"pk": "ticket"},
    "grids/tickets/": {"pk": "ticket"},
    "api/v1/tickets/": {"ticket_id": "ticket"},
    "api/v1/dispatch/tickets/": {"ticket_id": "ticket"},
    "api/v1/grids/tickets/": {"ticket_id": "ticket"},
    "notices/": {"pk": "notice"},
    "whistles/<int:pk>/attachments/": {"pk": "whistle", "attachment_id": "whistle_attachment_id"},
    "whistles/": {"pk": "whistle"},
    "api/v1/whistles/": {"pk": "whistle"},
    "grids/patrol/": {"pk": "patrol"},
    "api/v1/grids/patrols/": {"patrol_id": "patrol"},
    "grids/": {"code": "grid_code"},
    "api/v1/grids/": {"code": "grid_code"},
    "hotspots/": {"pk": "hotspot"},
    "topics/": {"pk": "topic"},
    "kpi/units/": {"pk": "unit_pk"},
    "api/v1/kpi/units/": {"unit_id": "unit_pk"},
    "dashboards/units/": {"code": "unit_code"},
    "api/v1/units/": {"code": "unit_code"},
    "api/v1/categories/": {"code": "category_code"},
    "api/v1/warnings/sensors/": {"code": "sensor_code"},
    "warnings/alerts/": {"pk": "alert"},
    "dispatch/rules/": {"pk": "rule"},
    "quality/flags/": {"pk": "reply_flag"},
    "api/v1/quality/flags/": {"flag_id": "reply_flag"},
}
# Slugs that are not ids: one real value each.
SLUGS = {"action": {"tickets/": "sign", "whistles/": "check_in", "topics/": "progress", "grids/": "self_handle"},
         "level": {"dashboards/geo/": "district"}}



# The routes that show a ticket: asked with every sample ticket; the other routes of a ticket with the street's and
# the other street's.
TICKET_PAGES = {"tickets/<int:pk>/", "api/v1/tickets/<ticket_id>", "api/v1/tickets/<ticket_id>/events",
                "grids/tickets/<int:pk>/"}
# Pages of the hotline's roles alone, slow to answer (the desk's suggestions): asked with the street's ticket only.
ONE_TICKET = {"api/v1/dispatch/tickets/<ticket_id>/suggestions", "dispatch/desk/<int:pk>/suggestions/"}
# The same for every user: asked by the first user (the administrator) only, in both languages. The API's schema and
# its browsable docs are the programmers' reference, in English (docs/ci.md): no language check.
ONCE = {"api/v1/openapi.json", "api/v1/docs", "admin/jsi18n/", "i18n/setlang/"}
DEVELOPER_REFERENCE = {"api/v1/openapi.json", "api/v1/docs"}


def admin_models():
    from django.contrib import admin

    return {f"{model._meta.app_label}_{model._meta.model_name}": model for model in admin.site._registry}


def route_urls(route, pattern, samples):
    """[(sample name, url)] to ask for `route`: one per sample ticket where a ticket is its parameter, else one."""
    names = [m.group(2) for m in PARAMETER.finditer(route)] + re.findall(r"\(\?P<(\w+)>", route)
    if route.startswith("admin/"):
        return admin_urls(route, pattern, names, samples)
    if not names:
        return [("", fill(route, {}))]
    if route == r"^kpi/export\.(?P<fmt>csv|xlsx)$":
        return [("", "/kpi/export.csv"), ("", "/kpi/export.xlsx")]
    given = next((given for prefix, given in sorted(ROUTE_PARAMETERS.items(), key=lambda item: -len(item[0]))
                  if route.startswith(prefix)), {})
    values = {}
    for name in names:
        if name in SLUGS:
            values[name] = next(v for prefix, v in SLUGS[name].items() if route.startswith(prefix))
        elif name in given and given[name] != "ticket":
            values[name] = samples.values[given[name]]
        elif name in samples.values:
            values[name] = samples.values[name]
        elif name not in given:
            raise KeyError(f"no sample for <{name}> of {route}: add it to ROUTE_PARAMETERS or SLUGS")
    if "ticket" in given.values():
        key = next(name for name, kind in given.items() if kind == "ticket")
        kinds = samples.tickets if route in TICKET_PAGES else ("street",) if route in ONE_TICKET else ("street", "street2")
        tickets = {kind: samples.tickets[kind] for kind in kinds}
        return [(which, fill(route, {**values, key: ticket.pk})) for which, ticket in tickets.items()]
    return [("", fill(route, values))]


def admin_urls(route, pattern, names, samples):
    if "url" in names or route == "admin/logout/":  # the catch-all (a 404 or the login), logging out
        return []
    if "app_label" in names:
        return [("", "/admin/tickets/")]
    if "content_type_id" in names:
        from django.contrib.contenttypes.models import ContentType
        from jiesu.tickets.models import Ticket

        return [("", f"/admin/r/{ContentType.objects.get_for_model(Ticket).pk}/{samples.ticket.pk}/")]
    if "object_id" in names or "id" in names:
        app_model = route.split("/")[1:3]
        model = admin_models().get("_".join(app_model))
        if model is None:
            raise KeyError(f"no model for {route} ({pattern.name})")
        if model._meta.label == "tickets.Ticket":
            obj = samples.ticket
        else:
            obj = model._base_manager.order_by("-pk").first()
        if obj is None:
            return []
        return [("", fill(route, {name: obj.pk for name in names}))]
    return [("", fill(route, {}))]


def every_route():
    return [(route, pattern) for route, pattern in walk(get_resolver().url_patterns)]


def logged_in(user, language):
    """A client of `user` who chose `language` as a user does: the language switch (POST /i18n/setlang/) sets the
    cookie core.middleware reads."""
    client = Client()
    client.force_login(user)
    switched = client.post("/i18n/setlang/", {"language": language, "next": "/"})
    assert switched.status_code == 302, (user.username, language, switched.status_code)
    return client


def handled_by(*usernames):
    """The ids of the tickets assigned to these users' units or lying in their grids: theirs to read."""
    from jiesu.accounts.models import User
    from jiesu.core.scoping import acting_unit_ids
    from jiesu.tickets.models import Ticket

    units = {pk for name in usernames for pk in acting_unit_ids(User.objects.get(username=name))}
    return Ticket.objects.filter(Q(assignments__unit_id__in=units) | Q(grid_id__in=units)).values("pk")


# Who must be refused each sample ticket (and every route of it), and must not find its number in any answer: the
# street's ticket lies outside the other street's, the department's, the enterprise's, the grid's territory …
REFUSED_TICKETS = {
    "street": {"street2", "dept", "enterprise", "grid", "citizen"},
    "street2": {"street", "deputy", "leader", "dept", "enterprise", "grid", "citizen"},
    "dept": {"street", "deputy", "leader", "street2", "enterprise", "grid", "citizen"},
    "citizen": {"enterprise", "grid"},
}
# Who reads each sample ticket's page.
READ_TICKETS = {
    "street": {"admin", "calltaker", "dispatcher", "dispatch-lead", "callback", "supervisor", "street", "deputy",
               "leader", "district"},
    "street2": {"admin", "calltaker", "dispatcher", "dispatch-lead", "callback", "supervisor", "street2", "district"},
    "dept": {"admin", "calltaker", "dispatcher", "dispatch-lead", "callback", "supervisor", "dept", "district"},
    "citizen": {"admin", "calltaker", "dispatcher", "dispatch-lead", "callback", "supervisor", "citizen"},
}
# The pages (not the API's) a citizen reaches: the rest refuses them.
CITIZEN_PAGES = {"", "login/", "my/", "track/", "intake/", "pick/units/", "pick/categories/", "tickets/<int:pk>/",
                 "i18n/setlang/", "password/"}
ENGLISH_API_USERS = {"admin", "citizen"}
# Who may see a citizen's whole number (scoping.may_reveal_contact: always the call-takers, callback agents and
# administrators; the lead unit's staff only by pressing 显示号码, a POST that is recorded).
MAY_REVEAL = {"calltaker", "callback", "admin"}


# Model fields still without a translated label, allowed on /admin/ pages only (docs/ci.md): none since the
# hotspots app's got theirs (hotspots 0004, after the other apps' *_field_labels migrations of 2026-12-07). A field
# named here is allowed one by one, so that a new field without a Chinese label fails
# test_every_model_field_has_a_chinese_label, and a fixed one must leave the list.
LABELS_LEFT = set()


def unlabelled_fields():
    """{"app.Model.field": label} of the jiesu models' fields whose admin label is not translated: a field without a
    translated verbose_name shows Django's English default (created_at → "Created at") on the Chinese admin pages;
    one whose translation holds no Chinese shows English there too; one whose msgid holds Chinese ("weight of 部分解决
    in the resolution rate") shows it on the English ones. Django's own automatic fields (the primary key's "ID", a
    many-to-many's table) are not labels of ours."""
    from django.apps import apps
    from django.utils.functional import Promise
    from django.utils import translation

    found = {}
    for model in apps.get_models():
        if not model.__module__.startswith("jiesu."):
            continue
        for f in model._meta.get_fields():
            label = getattr(f, "verbose_name", None)
            if label is None or f.auto_created:
                continue
            name = f"{model._meta.label}.{f.name}"
            if not isinstance(label, Promise):
                found[name] = label
                continue
            with translation.override("en"):
                english = str(label)
            with translation.override("zh-hans"):
                chinese = str(label)
            if HAN_RUN.search(english) or not HAN_RUN.search(chinese):
                found[name] = english
    return found


def admin_label_gaps():
    """The admin's untranslated field labels (unlabelled_fields): the English ones, lowercase, and the Chinese words
    of the labels whose msgid holds Chinese. Allowed on /admin/ pages only, and nowhere else."""
    from django.utils.text import capfirst

    english, chinese = set(), set()
    for label in unlabelled_fields().values():
        if HAN_RUN.search(label):
            chinese |= set(HAN_RUN.findall(label))
        else:
            english.add(capfirst(label).lower())
    return english, chinese


def test_every_model_field_has_a_chinese_label():
    """Every field of a jiesu model has a verbose_name through gettext, with an English msgid and a Chinese
    translation, but the ones LABELS_LEFT names (the Chinese admin showed 166 English labels, "Created at", "Actor
    unit" …, before the *_field_labels migrations)."""
    found = unlabelled_fields()
    new = {name: label for name, label in found.items() if name not in LABELS_LEFT}
    assert not new, f"fields without verbose_name=_(\"…\") (English msgid, Chinese in the catalogue): {new}"
    fixed = LABELS_LEFT - set(found)
    assert not fixed, f"labelled now: take them out of LABELS_LEFT: {sorted(fixed)}"


@dataclass
class Watch:
    """What one user's answers are checked for."""
    words: Words
    numbers: set      # the numbers of sample tickets the user must not read
    phones: set       # citizens' numbers the user must not see whole (empty: may see them)


def refused(answer):
    return answer.status in (403, 404, 405) or (answer.status == 302 and "login" in answer.location)


def crawl(users, samples, watches):
    """Every route for every user in both languages; but a route that answers GET with 405 (Method Not Allowed: a
    form's POST, an action) is asked once, by the first user, in Chinese: it says the same to everyone; the ONCE
    routes by the first user; the admin's pages by the staff users (the others: its index, which sends them to
    its login). In English: what answered 200 in Chinese, and one refusal (its page): a refusal does not hang on
    the language."""
    answers, post_only = [], set(ONCE)
    routes = [(route, pattern, route_urls(route, pattern, samples)) for route, pattern in every_route()]
    first, watch = users[0], watches[users[0].username]
    chinese = logged_in(first, LANGUAGES[0])
    asked_first = {}
    for route, pattern, urls in routes:
        asked_first[route] = [ask(chinese, first, LANGUAGES[0], route, which, url, watch) for which, url in urls]
        if asked_first[route] and all(a.status == 405 for a in asked_first[route]):
            post_only.add(route)
    for user in users:
        watch = watches[user.username]
        chinese = logged_in(user, LANGUAGES[0])
        answered, refusal = [], None
        for route, pattern, urls in routes:
            if user == first:
                got = asked_first[route]
            elif route in post_only or (route.startswith("admin/") and route != "admin/" and not user.is_staff):
                continue
            else:
                got = [ask(chinese, user, LANGUAGES[0], route, which, url, watch) for which, url in urls]
            answers += got
            answered += [a for a in got if a.status == 200]
            refusal = refusal or next((a for a in got if a.status == 403), None)
        english = logged_in(user, LANGUAGES[1])
        if user.username not in ENGLISH_API_USERS:  # the API's JSON holds the data and few words: asked in English by
            answered = [a for a in answered if not a.route.startswith("api/")]  # the administrator and the citizen
        for a in answered + ([refusal] if refusal else []):
            answers.append(ask(english, user, LANGUAGES[1], a.route, a.which, a.url, watch))
    return answers


def ask(client, user, language, route, which, url, watch):
    try:
        response = client.get(url)
    except Exception as exc:  # the test client raises what the view raised: a 500 to a user
        frames = traceback.extract_tb(exc.__traceback__)
        where = next((f"{f.filename.split('/jiesu/', 1)[-1]}:{f.lineno}" for f in reversed(frames)
                      if "/jiesu/" in f.filename and "/site-packages/" not in f.filename), "")
        return Answer(user.username, language, route, which, url, 500, error=f"{type(exc).__name__}: {exc} ({where})")
    answer = Answer(user.username, language, route, which, url, response.status_code,
                    location=response.get("Location", ""))
    if response.status_code >= 500:
        answer.error = response.content[:300].decode("utf-8", "replace")
    if response.status_code != 200 and not refused(answer) or getattr(response, "streaming", False):
        return answer
    body = response.content.decode("utf-8", "replace")
    if response.status_code == 200:
        answer.leaks = sorted(number for number in watch.numbers if number in body)
        answer.phones = sorted({m for m in MOBILE.findall(body) if m in watch.phones})
    if route in DEVELOPER_REFERENCE:
        return answer
    texts = readable_texts(response)
    if language == "en":
        answer.cjk = cjk_outside_data(texts, watch.words)
        if route.startswith("admin/"):
            answer.cjk = [(run, at) for run, at in answer.cjk if run not in ADMIN_GAPS[1]]
    else:
        answer.english = english_outside_data(texts, watch.words)
        if route.startswith("admin/"):
            answer.english = [(run, at) for run, at in answer.english if not admin_gap(run)]
    return answer


ADMIN_GAPS = (set(), set())


# Django's own admin words its zh_Hans catalogue does not translate (Django 5.2): the user form's help, and the rows
# of the groups' permissions (an automatic model without a name) on a group's delete page.
DJANGO_UNTRANSLATED = ("After you’ve created a user", "you’ll be able to edit more user options", "permissions object")


def admin_gap(run):
    """Whether an English run of a Chinese admin page is (part of) an untranslated field label, or Django's own."""
    key = run.lower()
    return run in DJANGO_UNTRANSLATED or any(key in label for label in ADMIN_GAPS[0])


@pytest.fixture(scope="module")
def audit(django_db_setup, django_db_blocker):
    """(the answers, the samples), the demo city rolled back after the module's tests."""
    from jiesu.accounts.models import User
    from jiesu.demo.users import DEMO_USERNAMES
    from jiesu.tickets.models import Ticket

    with django_db_blocker.unblock():
        with transaction.atomic():
            started, cpu = time.perf_counter(), time.process_time()
            build_demo_city(300)
            samples = Samples()
            words = Words()
            ADMIN_GAPS[0].update(admin_label_gaps()[0])
            ADMIN_GAPS[1].update(admin_label_gaps()[1])
            users = [User.objects.get(username="admin")]
            users += [User.objects.get(username=name) for name in DEMO_USERNAMES if name != "admin"]
            phones = {p for p in Ticket.objects.exclude(citizen_phone="").values_list("citizen_phone", flat=True)}
            phones |= {m for text in Ticket.objects.values_list("text", flat=True) for m in MOBILE.findall(text)}
            own = set(Ticket.objects.filter(citizen_user__username="citizen").values_list("citizen_phone", flat=True))
            watches = {user.username: Watch(
                words,
                {samples.tickets[kind].number for kind, who in REFUSED_TICKETS.items() if user.username in who},
                set() if user.username in MAY_REVEAL else phones - own if user.username == "citizen" else phones)
                for user in users}
            request_log = logging.getLogger("django.request")
            level, request_log.level = request_log.level, logging.CRITICAL  # thousands of 403/404/405 lines
            try:
                answers = crawl(users, samples, watches)
            finally:
                request_log.level = level
            final = Words()  # rows written while answering (the gazetteer's) are the database's words too
            for answer in answers:
                answer.cjk = [(run, at) for run, at in answer.cjk if not final.has_cjk(run)]
                answer.english = [(run, at) for run, at in answer.english if not final.has_english(run)]
            print(f"\n{len(answers)} answers; {time.perf_counter() - started:.1f} s "
                  f"({time.process_time() - cpu:.1f} s CPU)")
            yield answers, samples, phones
            transaction.set_rollback(True)


def listed(found, limit=40):
    lines = sorted(found)
    return "\n".join(lines[:limit]) + (f"\n… {len(lines) - limit} more" if len(lines) > limit else "")


def test_every_route_is_asked(audit):
    """Every GET route of jiesu/urls.py was asked (a new route needs its parameters in ROUTE_PARAMETERS or SLUGS,
    else route_urls fails), by every user, in both languages where it answered."""
    answers, samples, _phones = audit
    asked = {a.route for a in answers}
    routes = {route for route, _pattern in every_route()}
    # the admin's catch-all and logout, and the pages of a row of a model the demo city has no row of (API tokens,
    # sensors …)
    not_asked = {r for r in routes - asked
                 if not (r.startswith("admin/") and ("(?P<url>" in r or r.endswith("logout/") or "<path:object_id>" in r))}
    assert not not_asked, f"routes never asked: {sorted(not_asked)}"
    users = {a.user for a in answers}
    assert len(users) == 15 and {a.language for a in answers} == set(LANGUAGES)
    english = {(a.user, a.url) for a in answers if a.language == "en" and a.status == 200}
    assert len(english) > 600, len(english)
    assert ("street", f"/tickets/{samples.tickets['street'].pk}/") in english


def test_no_answer_is_a_server_error(audit):
    answers, _samples, _phones = audit
    errors = {f"{a.user} {a.language} {a.url}: {a.status} {a.error}" for a in answers if a.status >= 500}
    assert not errors, "server errors:\n" + listed(errors)


def test_a_ticket_outside_the_territory_is_refused(audit):
    """The sample tickets' pages and every route of a ticket: 403/404/405 or the login for who may not read the
    ticket; the page itself for who may."""
    answers, samples, _phones = audit
    wrong = set()
    for a in answers:
        if not a.which:
            continue
        if a.user in REFUSED_TICKETS[a.which] and not refused(a):
            wrong.add(f"{a.user} {a.url} ({a.which}'s ticket): {a.status}")
        if a.route == "tickets/<int:pk>/" and a.user in READ_TICKETS[a.which] and a.status != 200:
            wrong.add(f"{a.user} {a.url} ({a.which}'s ticket) not read: {a.status}")
    assert not wrong, "\n" + listed(wrong)
    asked = {(a.user, a.which) for a in answers if a.route == "tickets/<int:pk>/"}
    assert asked >= {(user, kind) for kind, who in REFUSED_TICKETS.items() for user in who}


def test_no_answer_holds_a_ticket_the_user_may_not_read(audit):
    """Lists, maps, exports, the API: no answer holds the number of a sample ticket its user may not read."""
    answers, _samples, _phones = audit
    leaks = {f"{a.user} {a.url}: {', '.join(a.leaks)}" for a in answers if a.leaks}
    assert not leaks, "\n" + listed(leaks)


def test_the_citizen_never_reaches_a_staff_page(audit):
    answers, _samples, _phones = audit
    reached = {f"{a.url}: {a.status}" for a in answers
               if a.user == "citizen" and not a.route.startswith("api/") and a.route not in CITIZEN_PAGES
               and not refused(a) and not (a.route == "admin/" and a.status == 302)}
    assert not reached, "\n" + listed(reached)
    mine = [a for a in answers if a.user == "citizen" and a.route == "my/"]
    assert mine and all(a.status == 200 for a in mine)


def test_english_pages_hold_no_chinese_ui_words(audit):
    answers, _samples, _phones = audit
    found = {f"{run!r} on {a.url} ({a.user}): …{at}…" for a in answers for run, at in a.cjk}
    assert not found, "Chinese outside the data on English pages:\n" + listed(found)


def test_chinese_pages_hold_no_english_ui_sentences(audit):
    answers, _samples, _phones = audit
    found = {f"{run!r} on {a.url} ({a.user}): …{at}…" for a in answers for run, at in a.english}
    assert not found, "English outside the data on Chinese pages:\n" + listed(found)


def test_no_page_shows_a_citizens_whole_number_to_who_may_not_reveal_it(audit):
    answers, samples, phones = audit
    assert samples.ticket.citizen_phone in phones and len(phones) > 50
    shown = {f"{a.user} {a.url}: {', '.join(a.phones)}" for a in answers if a.phones}
    assert not shown, "\n" + listed(shown)


def test_the_apis_method_not_allowed_is_worded_in_the_callers_language(client):
    """The crawl found the API's 405 (a GET of a POST-only endpoint) answering ninja's plain English "Method not
    allowed" to a Chinese caller: it answers in the API's JSON error shape, in the caller's language, and keeps the
    Allow header (core.middleware.ChineseFirstLocaleMiddleware)."""
    for language, words in (("zh-hans", "不能用 GET"), ("en", "GET is not allowed")):
        response = client.get("/api/v1/tickets/1/sign", HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 405 and response["Allow"] == "POST"
        body = response.json()
        assert body["error"] == "method_not_allowed" and body["field"] is None, body
        assert words in body["message"], body


def visible_row_by_row(user):
    """scoping.visible_tickets as it was asked until 2026-12-07, row by row: "in the territory and seen by it, OR
    recorded by the user, OR EXISTS an assignment to a unit the user acts for" (the reference of the union's sets)."""
    from django.db.models import Exists, OuterRef, Q

    from jiesu.core import scoping
    from jiesu.tickets.models import Assignment, Ticket

    acting = scoping.acting_unit_ids(user)
    condition = Q(Exists(Assignment.objects.filter(ticket=OuterRef("pk"), unit_id__in=acting))) \
        | Q(created_by_id=user.pk)
    territory = scoping.territory_filter(user.unit)
    if len(acting) > 1:
        territory = Q(grid_id__in=acting) if territory is None else territory | Q(grid_id__in=acting)
    if territory is not None:
        condition = (territory & scoping.seen_by_territory()) | condition
    return Ticket.objects.filter(condition)


def test_every_users_tickets_are_those_the_row_by_row_rule_gave(audit):
    """scoping.visible_tickets asks `id IN (territory's ∪ assigned ∪ recorded ids)`, each set from an index
    (docs/benchmarks.md): for every user of the demo city it gives the very tickets the row-by-row rule gave."""
    from jiesu.accounts.models import User
    from jiesu.core import scoping
    from jiesu.tickets.models import Ticket

    every = set(Ticket.objects.values_list("pk", flat=True))
    sizes = {}
    for user in User.objects.select_related("unit").order_by("username"):
        new = set(scoping.visible_tickets(user).values_list("pk", flat=True))
        if scoping.is_city_wide(user) or user.role == "citizen" or user.unit_id is None:
            assert new <= every
            continue
        old = set(visible_row_by_row(user).values_list("pk", flat=True))
        assert new == old, (user.username, sorted(new - old)[:10], sorted(old - new)[:10])
        sizes[user.username] = len(new)
    assert sum(1 for n in sizes.values() if n) > 20 and max(sizes.values()) < len(every), sizes
