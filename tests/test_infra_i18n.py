"""Every string marked for translation has a Chinese translation (Chinese is the default UI language).

When this fails, run `.venv/bin/python scripts/i18n-missing.py`, fill in the empty msgstr
entries it appended to jiesu/locale/zh_Hans/LC_MESSAGES/django.po, and run the tests again.
"""
import textwrap

import polib
import pytest

from jiesu.core import i18n_compile as i18n


def test_every_translatable_string_has_a_chinese_translation():
    missing = i18n.missing_translations()
    if missing:  # pytest.fail: a readable list, not the repr of the Message objects
        pytest.fail(
            f"{len(missing)} string(s) have no Chinese translation in any jiesu/**/locale/zh_Hans catalogue "
            f"— run scripts/i18n-missing.py (appends them to jiesu/locale/zh_Hans/LC_MESSAGES/django.po) "
            f"and fill them in:\n"
            + i18n.format_missing(missing), pytrace=False)


def test_catalogue_header_and_compilation(tmp_path):
    po_path = i18n.MAIN_LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
    po = polib.pofile(str(po_path), encoding="utf-8")
    assert po.metadata["Language"] == "zh_Hans"
    assert po.metadata["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"
    assert "charset=UTF-8" in po.metadata["Content-Type"]
    keys = [(e.msgctxt or "", e.msgid) for e in po if not e.obsolete]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    assert not duplicates, f"duplicate msgids in {po_path}: {duplicates}"
    # It compiles with polib, and Django reads the result.
    mo = tmp_path / "django.mo"
    po.save_as_mofile(str(mo))
    assert polib.mofile(str(mo)).find("Intake").msgstr == "受理"


def test_django_uses_the_catalogue():
    from django.utils import translation

    i18n.compile_all(verbose=False)
    with translation.override("zh-hans"):
        assert translation.gettext("Intake") == "受理"
        assert translation.gettext("Log out") == "退出"
    with translation.override("en"):
        assert translation.gettext("Intake") == "Intake"


def test_extractor_reads_templates_and_python(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "app" / "templates" / "app").mkdir(parents=True)
    (pkg / "app" / "templates" / "app" / "page.html").write_text(textwrap.dedent("""\
        {% load i18n %}
        <h1>{% translate "Work list" %}</h1>
        <a>{% trans 'Log out' %}</a>
        {% translate "May" context "month name" %}
        {% translate "Title" as title_label %}
        {% translate some_variable %}
        {# {% translate "Commented out" %} #}
        {% blocktranslate with n=ticket.number %}Ticket {{ n }} is 100% done{% endblocktranslate %}
        {% blocktranslate trimmed count counter=items|length %}
          One ticket
        {% plural %}
          {{ counter }} tickets
        {% endblocktranslate %}
        {{ value|default:_("Not set") }}
        """), encoding="utf-8")
    (pkg / "app" / "models.py").write_text(textwrap.dedent('''\
        from django.utils.translation import gettext_lazy as _, gettext, pgettext, ngettext
        from django.utils import translation
        A = _("code")
        B = gettext("Choose a handling unit.")
        C = translation.gettext_lazy(
            "Implicit "
            "concatenation")
        D = pgettext("verb", "Sign")
        E = ngettext("%(n)d day", "%(n)d days", 2)
        F = _(f"not {A} extractable")
        G = _("已经是中文")
        H = _(some_variable)
        '''), encoding="utf-8")
    (pkg / "app" / "migrations").mkdir()
    (pkg / "app" / "migrations" / "0001_initial.py").write_text('X = _("from a migration")\n')

    found = i18n.extract_messages(pkg)
    assert set(found) == {
        ("", "Work list"), ("", "Log out"), ("month name", "May"), ("", "Title"),
        ("", "Ticket %(n)s is 100%% done"), ("", "One ticket"), ("", "Not set"),
        ("", "code"), ("", "Choose a handling unit."), ("", "Implicit concatenation"),
        ("verb", "Sign"), ("", "%(n)d day"),
    }
    assert found[("", "One ticket")].plural == "%(counter)s tickets"
    assert found[("", "%(n)d day")].plural == "%(n)d days"
    assert found[("", "Work list")].where.endswith("page.html:2")


def test_missing_is_reported_and_translated_entries_count(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "app").mkdir(parents=True)
    (pkg / "app" / "views.py").write_text('_("Intake")\n_("Untranslated")\n_("Fuzzy one")\n_("English only")\n')
    po = polib.POFile()
    po.metadata = dict(i18n.PO_HEADER)
    po.append(polib.POEntry(msgid="Intake", msgstr="受理"))
    po.append(polib.POEntry(msgid="Untranslated", msgstr=""))
    po.append(polib.POEntry(msgid="Fuzzy one", msgstr="模糊", flags=["fuzzy"]))
    po.append(polib.POEntry(msgid="English only", msgstr="English only"))
    (pkg / "locale" / "zh_Hans" / "LC_MESSAGES").mkdir(parents=True)
    po.save(str(pkg / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))

    missing = [m.msgid for m in i18n.missing_translations(pkg)]
    assert missing == ["English only", "Fuzzy one", "Untranslated"]
    assert i18n.compile_all(pkg, verbose=False) == [pkg / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"]
    assert i18n.compile_all(pkg, verbose=False) == []  # up to date: not rewritten
    mo = polib.mofile(str(pkg / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"))
    assert mo.find("Intake").msgstr == "受理" and mo.find("Fuzzy one") is None


def test_setup_and_run_compile_a_catalogue_newer_than_its_mo_file(tmp_path):
    """The .mo files are not in git: `jiesu setup` and `jiesu run` compile them, or a fresh clone started with
    those two commands (not make) shows an English UI (found by an audit)."""
    import shutil

    where = tmp_path / "jiesu" / "locale" / "zh_Hans" / "LC_MESSAGES"
    where.mkdir(parents=True)
    shutil.copy(i18n.MAIN_LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po", where / "django.po")
    said = []
    i18n.ensure_compiled(said.append, root=tmp_path / "jiesu")
    assert (where / "django.mo").exists() and said == ["  translations: 1 catalogue(s) compiled"]
    said.clear()
    i18n.ensure_compiled(said.append, root=tmp_path / "jiesu")
    assert said == []  # up to date: nothing to do, nothing said
