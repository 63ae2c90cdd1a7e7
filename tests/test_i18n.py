"""English, Dutch and German: the catalogues are complete and compile, `makemessages`
finds nothing new, placeholders survive translation; a person's choice of language holds
from login on and reaches their e-mails; the browser's language decides before that;
dates, amounts and numbers are written as each language writes them, and never where a
machine reads them (SVG coordinates).
"""

import re
import shutil
import subprocess
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from pilots.language import language_of
from pilots.notifications_models import NotificationSettings
from pilots.templatetags.ninety import ldate, money

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ("nl", "de")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]|\{\{\s*\w+\s*\}\}")


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


# --- the catalogues -------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    po = catalogue(language)
    live = [entry for entry in po if not entry.obsolete]
    assert len(live) > 500, "the catalogue looks empty: run make messages"
    untranslated = [entry.msgid for entry in live if not entry.translated()]
    assert not untranslated, f"{len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    fuzzy = [entry.msgid for entry in live if "fuzzy" in entry.flags]
    assert not fuzzy, f"fuzzy entries: {fuzzy[:5]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_their_placeholders(language):
    wrong = []
    for entry in catalogue(language):
        if entry.obsolete:
            continue
        pairs = (
            [(entry.msgid, entry.msgstr)]
            if not entry.msgid_plural
            else [(entry.msgid_plural, text) for text in entry.msgstr_plural.values()]
        )
        for source, translated in pairs:
            expected = sorted(PLACEHOLDER.findall(source))
            if entry.msgid_plural:
                # A plural's singular may say "one" instead of the number.
                expected = [name for name in expected if name not in ("count", "counter")]
                found = [
                    n for n in PLACEHOLDER.findall(translated) if n not in ("count", "counter")
                ]
            else:
                found = PLACEHOLDER.findall(translated)
            if sorted(found) != expected:
                wrong.append((source, translated))
    assert not wrong, f"placeholders differ in {len(wrong)}: {wrong[:3]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogues_are_current(language, tmp_path):
    """The .mo files in the repository are what msgfmt makes of the .po files."""
    source = LOCALE / language / "LC_MESSAGES"
    compiled = tmp_path / "django.mo"
    subprocess.run(
        ["msgfmt", "--check", "-o", str(compiled), str(source / "django.po")], check=True
    )
    assert compiled.read_bytes() == (source / "django.mo").read_bytes(), "run make messages"


def test_makemessages_finds_nothing_new(tmp_path, monkeypatch):
    """Every marked string of the code and templates is in the catalogues already."""
    copy = tmp_path / "locale"
    shutil.copytree(LOCALE, copy)
    monkeypatch.chdir(settings.BASE_DIR)
    with override_settings(LOCALE_PATHS=[copy]):
        call_command(
            "makemessages",
            locale=list(LANGUAGES),
            ignore_patterns=["tests/*", "staticfiles/*", "var/*", "node_modules/*"],
            no_obsolete=True,
            verbosity=0,
        )
    for language in LANGUAGES:
        fresh = {
            (e.msgctxt, e.msgid)
            for e in polib.pofile(str(copy / language / "LC_MESSAGES" / "django.po"))
        }
        kept = {(e.msgctxt, e.msgid) for e in catalogue(language) if not e.obsolete}
        assert fresh - kept == set(), (
            f"new in the code, not in {language}: {sorted(fresh - kept)[:5]}"
        )
        assert kept - fresh == set(), (
            f"gone from the code, still in {language}: {sorted(kept - fresh)[:5]}"
        )


# --- choosing a language ----------------------------------------------------------------


def test_the_browser_language_decides_before_login(db):
    page = Client(headers={"accept-language": "nl"}).get(reverse("login"))
    assert page["Content-Language"] == "nl"
    german = Client(headers={"accept-language": "de-DE,de;q=0.9"}).get(reverse("login"))
    assert german["Content-Language"] == "de"
    other = Client(headers={"accept-language": "fr"}).get(reverse("login"))
    assert other["Content-Language"] == settings.LANGUAGE_CODE


def test_a_choice_is_saved_and_holds_from_the_next_login(client, pilot, owner):
    client.force_login(owner)
    response = client.post(reverse("language-set"), {"language": "de", "next": "/my-work/"})
    assert response.status_code == 302 and response["Location"] == "/my-work/"
    assert NotificationSettings.objects.get(user=owner).language == "de"
    assert client.get(reverse("my-work"))["Content-Language"] == "de"
    assert language_of(owner) == "de"

    # Another browser, asking for Dutch: the saved choice wins once logged in.
    other = Client(headers={"accept-language": "nl"})
    assert other.get(reverse("login"))["Content-Language"] == "nl"
    other.post(reverse("login"), {"username": "owner", "password": "pw"})
    assert other.get(reverse("my-work"))["Content-Language"] == "de"


def test_the_language_menu_refuses_unknown_languages_and_foreign_redirects(client, owner):
    client.force_login(owner)
    response = client.post(
        reverse("language-set"), {"language": "xx", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"
    assert not NotificationSettings.objects.filter(user=owner, language="xx").exists()
    assert client.get(reverse("language-set")).status_code == 405


# --- writing in each language ------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "day", "amount"),
    [
        ("en", "5 Dec 2026", "€ 57,000"),
        ("nl", "5 Dec 2026", "€ 57.000"),
        ("de", "5. Dez 2026", "57.000 €"),
    ],
)
def test_dates_and_amounts_follow_the_language(language, day, amount):
    with translation.override(language):
        assert ldate(date(2026, 12, 5), "date") == day
        assert money(Decimal("57000.4")) == amount


def test_times_are_shown_in_the_organisations_zone():
    moment = datetime(2026, 3, 29, 0, 30, tzinfo=ZoneInfo("UTC"))
    with translation.override("de"):
        assert ldate(moment.astimezone(ZoneInfo(settings.TIME_ZONE)), "datetime").endswith("01:30")


# --- what people read, in their language ---------------------------------------------------


def in_language(language: str, text: str) -> str:
    with translation.override(language):
        return translation.gettext(text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_pages_speak_the_chosen_language(client, pilot, pm, language):
    NotificationSettings.objects.create(user=pm, language=language)
    client.post(reverse("login"), {"username": "pm", "password": "pw"})
    page = client.get(reverse("pilot-detail", args=[pilot.pk])).content.decode()
    for word in ("My work", "Log out", "Skip to content", "Language"):
        assert in_language(language, word) != word, f"{word!r} has no {language} translation"
        assert in_language(language, word) in page
    assert f'<html lang="{language}"' in page


def test_charts_keep_a_decimal_point_whatever_the_language(client, pilot, leader):
    """Dutch and German write 2,5; in an SVG attribute that holds one number, a comma
    breaks the chart. (Point lists are written by pilots.charts with a dot already.)"""
    NotificationSettings.objects.create(user=leader, language="nl")
    client.post(reverse("login"), {"username": "leader", "password": "pw"})
    single = re.compile(r'\s(?:x|y|x1|x2|y1|y2|cx|cy|r|width|height)="([^"]*)"')
    urls = [
        reverse("portfolio"),
        reverse("portfolio-trend"),
        reverse("pilot-detail", args=[pilot.pk]),
    ]
    checked = 0
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
        for value in single.findall(response.content.decode()):
            assert "," not in value, (url, value)
            checked += 1
    assert checked > 20


def test_reminder_mail_is_written_in_the_recipients_language(
    pilot, owner, mailoutbox, django_capture_on_commit_callbacks
):
    import time_machine

    from pilots import reminders, services

    owner.email = "owner@example.com"
    owner.save(update_fields=["email"])
    NotificationSettings.objects.create(user=owner, language="de")
    ids = list(pilot.deliverables.values_list("pk", flat=True))
    services.deliverables_assign(pilot=pilot, deliverable_ids=ids, owner=owner)
    first = pilot.deliverables.order_by("due_date", "pk").first()
    moment = datetime(
        first.due_date.year,
        first.due_date.month,
        first.due_date.day,
        8,
        0,
        tzinfo=ZoneInfo(settings.TIME_ZONE),
    )
    with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
        reminders.scan(moment)
    (message,) = [m for m in mailoutbox if m.to == ["owner@example.com"]]
    expected = in_language("de", "Here is what needs you today.")
    assert expected != "Here is what needs you today."
    assert expected in message.body
    assert in_language("de", "Due today").upper() in message.body
    # The bell keeps the same words.
    from pilots.notifications_models import Notification

    assert Notification.objects.get(user=owner).title == message.subject


def test_a_portfolio_report_is_written_in_the_language_of_who_asked(
    client, pilot, leader, django_capture_on_commit_callbacks, tmp_path
):
    from pilots.report_models import PortfolioReport
    from tests.governance_builders import pdf_text

    NotificationSettings.objects.create(user=leader, language="nl")
    client.post(reverse("login"), {"username": "leader", "password": "pw"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portfolio-report-create"))
    report = PortfolioReport.objects.get()
    assert report.status == PortfolioReport.Status.READY
    text = pdf_text(
        client.get(reverse("portfolio-report-download", args=[report.pk])).content, tmp_path
    )
    title = in_language("nl", "AI pilots on their way to production")
    assert title != "AI pilots on their way to production"
    assert " ".join(title.split()) in " ".join(text.split())


def test_sign_off_documents_are_written_in_the_organisations_language(
    settings, pilot, pm, production_owner, django_capture_on_commit_callbacks, tmp_path
):
    """An official record has one language: NINETY_LANGUAGE, whoever signs last."""
    from governance import gates
    from governance.models import SignOffDocument
    from tests.governance_builders import close_mandatory, pdf_text, phase_run

    settings.LANGUAGE_CODE = "de"
    run = phase_run(pilot, 1)
    close_mandatory(run, pm)
    gates.gate_sign(phase_run=run, slot="programme_manager", signer=pm, statement="Plan holds")
    with django_capture_on_commit_callbacks(execute=True), translation.override("nl"):
        gates.gate_sign(
            phase_run=run, slot="production_owner", signer=production_owner, statement="Yes"
        )
    text = " ".join(pdf_text(SignOffDocument.objects.get().pdf, tmp_path).split())
    german = in_language("de", "Gate criteria")
    assert german != "Gate criteria" and german in text
    assert in_language("nl", "Gate criteria") not in text
