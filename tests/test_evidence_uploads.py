"""Evidence files: checked by content, limited in size, stored under generated names
outside the static files, fingerprinted, and served only to readers of the pilot, as an
attachment nobody's browser runs."""

import hashlib
import io
import re
import zipfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from pilots import uploads
from pilots.models import Deliverable, Evidence
from tests.conftest import build_pilot

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(20) + b"\xff\xd9"


def _zip(**parts: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name.replace("__", "/"), data)
    return buffer.getvalue()


def _xlsx() -> bytes:
    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


DOCX = _zip(**{"[Content_Types].xml": b"<Types/>", "word__document.xml": b"<w:document/>"})


def upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


# --- What is accepted, by content ------------------------------------------------------------


@pytest.mark.parametrize(
    "name, data, kind",
    [
        ("report.pdf", PDF, uploads.PDF),
        ("screen.png", PNG, uploads.PNG),
        ("photo.jpeg", JPEG, uploads.JPEG),
        ("notes.txt", "Sign-off notes: ✓ accepted, 東京 office\n".encode(), uploads.TEXT),
        ("plan.docx", DOCX, uploads.DOCX),
        ("costs.xlsx", _xlsx(), uploads.XLSX),
        # The name is a claim; the bytes decide.
        ("innocent.txt", PNG, uploads.PNG),
        ("no-extension", PDF, uploads.PDF),
    ],
)
def test_it_recognises_accepted_files_by_their_content(name, data, kind):
    assert uploads.sniff(upload(name, data)) == kind


@pytest.mark.parametrize(
    "name, data",
    [
        ("report.pdf", b"<html><script>alert(1)</script></html>\x00"),  # HTML with a NUL
        ("tool.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(64)),  # a Windows program
        ("archive.docx", _zip(**{"payload.exe": b"MZ"})),  # a ZIP that is no document
        ("macro.docx", _zip(**{"[Content_Types].xml": b"<Types/>", "other.xml": b"<x/>"})),
        ("broken.docx", b"PK\x03\x04 not really a zip"),
        ("latin1.txt", "café".encode("latin-1")),  # not UTF-8
        ("image.gif", b"GIF89a" + bytes(20)),
    ],
)
def test_it_refuses_anything_else_whatever_it_is_called(name, data):
    assert uploads.sniff(upload(name, data)) is None
    with pytest.raises(Exception, match="not one Ninety accepts"):
        uploads.check_upload(upload(name, data), max_bytes=10_000_000)


def test_media_is_stored_outside_the_static_files():
    media = Path(django_settings.MEDIA_ROOT).resolve()
    for static in [Path(django_settings.STATIC_ROOT), *map(Path, django_settings.STATICFILES_DIRS)]:
        assert not media.is_relative_to(static.resolve())


# --- Ticking with a file --------------------------------------------------------------------


def _tick(client, deliverable, files: dict, **extra):
    return client.post(
        reverse("deliverable-tick", args=[deliverable.pilot_id, deliverable.pk]),
        {"version": deliverable.version, "note": "", **files},
        **extra,
    )


def test_a_tick_without_javascript_stores_the_file_under_a_generated_name(
    client, owner, owned, media
):
    client.force_login(owner)
    response = _tick(client, owned, {"evidence_file": upload("Risk review (final).pdf", PDF)})
    assert response.status_code == 302
    owned.refresh_from_db()
    assert owned.status == Deliverable.Status.DONE
    evidence = Evidence.objects.get(deliverable=owned)
    assert evidence.file_name == "Risk review (final).pdf"
    assert evidence.content_type == "application/pdf" and evidence.size == len(PDF)
    assert evidence.sha256 == hashlib.sha256(PDF).hexdigest()
    assert re.fullmatch(r"evidence/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", evidence.file.name)
    stored = media / evidence.file.name
    assert stored.read_bytes() == PDF
    assert uploads.sha256_of_stored(evidence.file.name) == evidence.sha256


def test_a_tick_with_htmx_shows_the_file_in_the_row(client, owner, owned):
    client.force_login(owner)
    response = _tick(
        client, owned, {"evidence_file": upload("dpia.docx", DOCX)}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    evidence = Evidence.objects.get(deliverable=owned)
    body = response.content.decode()
    assert reverse("evidence-download", args=[owned.pilot_id, evidence.pk]) in body
    assert "dpia.docx" in body


def test_my_work_ticks_with_a_file_too(client, owner, owned):
    client.force_login(owner)
    response = client.post(
        reverse("my-work-tick", args=[owned.pk]),
        {"version": owned.version, "evidence_file": upload("screen.png", PNG)},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert Evidence.objects.get(deliverable=owned).content_type == "image/png"


def test_the_tick_forms_are_multipart_and_the_page_carries_the_fields_once(
    client, owner, owned, pilot
):
    client.force_login(owner)
    for url in (reverse("pilot-detail", args=[pilot.pk]), reverse("my-work")):
        body = client.get(url).content.decode()
        form = re.search(rf'<form id="(?:work-)?tick-{owned.pk}"[^>]*>', body).group(0)
        assert 'enctype="multipart/form-data"' in form
        form_id = re.search(r'id="([^"]+)"', form).group(1)
        # The row names its tick form; the script copies the page's one set of fields in.
        assert f'<details class="evidence-form" data-form="{form_id}">' in body
        assert body.count('type="file" name="evidence_file"') == 1
        fields = re.search(r'<template id="evidence-fields">(.*?)</template>', body, re.S)
        assert 'type="file" name="evidence_file"' in fields.group(1)
        assert reverse("deliverable-evidence", args=[owned.pk]) in body


def test_without_scripts_the_evidence_form_is_a_page_that_ticks(client, owner, owned, pilot):
    client.force_login(owner)
    page = client.get(reverse("deliverable-evidence", args=[owned.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    tick_url = reverse("deliverable-tick", args=[pilot.pk, owned.pk])
    assert f'<form method="post" action="{tick_url}" enctype="multipart/form-data"' in body
    assert f'name="version" value="{owned.version}"' in body
    assert 'name="evidence_url"' in body and 'name="note"' in body
    response = client.post(
        tick_url,
        {"version": owned.version, "note": "Checked", "evidence_file": upload("a.pdf", PDF)},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#deliverable-{owned.pk}")
    owned.refresh_from_db()
    assert owned.status == Deliverable.Status.DONE
    evidence = Evidence.objects.get(deliverable=owned)
    assert evidence.note == "Checked" and evidence.file_name == "a.pdf"


def test_the_evidence_page_of_a_closed_deliverable_goes_back_to_the_pilot(
    client, owner, owned, pilot
):
    client.force_login(owner)
    _tick(client, owned, {})
    response = client.get(reverse("deliverable-evidence", args=[owned.pk]))
    assert response.status_code == 302
    assert response["Location"] == f"/pilots/{pilot.pk}/#deliverable-{owned.pk}"
    page = client.get(response["Location"]).content.decode()
    assert f"“{owned.title}” is closed already." in page


def test_a_refused_file_ticks_nothing_and_stores_nothing(client, owner, owned, media):
    client.force_login(owner)
    response = _tick(
        client,
        owned,
        {"evidence_file": upload("x.pdf", b"MZ\x90\x00" + bytes(64))},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "not one Ninety accepts" in response.content.decode()
    owned.refresh_from_db()
    assert owned.status == Deliverable.Status.TODO
    assert not Evidence.objects.exists()
    assert not media.exists() or not any(media.rglob("*.*"))


def test_a_file_over_the_limit_is_refused(client, owner, owned, settings, media):
    settings.NINETY_EVIDENCE_MAX_BYTES = 1024
    client.force_login(owner)
    too_big = upload("big.pdf", PDF + bytes(3072 - len(PDF)))
    response = _tick(client, owned, {"evidence_file": too_big})
    assert response.status_code == 302  # without JavaScript: back to the page, with the error
    page = client.get(response["Location"]).content.decode()
    assert "This file is 3.0 KB; evidence files can be at most 1.0 KB." in page
    owned.refresh_from_db()
    assert owned.status == Deliverable.Status.TODO and not Evidence.objects.exists()


def test_a_stale_tick_leaves_no_file_behind(client, owner, owned, media):
    client.force_login(owner)
    owned.version += 5  # the page the owner saw is older than the row
    response = _tick(
        client, owned, {"evidence_file": upload("late.pdf", PDF)}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 409
    assert not Evidence.objects.exists()
    assert not media.exists() or not any(media.rglob("*.pdf"))


# --- Downloading -----------------------------------------------------------------------------


@pytest.fixture
def evidence(client, owner, owned) -> Evidence:
    client.force_login(owner)
    _tick(client, owned, {"evidence_file": upload('Q3 "review"\r\n.pdf', PDF)})
    client.logout()
    return Evidence.objects.get(deliverable=owned)


def _download_url(evidence: Evidence, pilot_pk: int | None = None) -> str:
    return reverse(
        "evidence-download", args=[pilot_pk or evidence.deliverable.pilot_id, evidence.pk]
    )


@pytest.mark.parametrize("persona", ["owner", "pm", "leader", "reviewer", "sponsor", "admin_user"])
def test_readers_of_the_pilot_download_it_as_an_attachment(client, evidence, persona, request):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(_download_url(evidence))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "\r" not in disposition and "\n" not in disposition
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_outsiders_and_other_pilots_urls_find_nothing(client, evidence, outsider, pm, playbook):
    client.force_login(outsider)
    assert client.get(_download_url(evidence)).status_code == 404
    other = build_pilot(programme_manager=pm, playbook=playbook, name="Elsewhere")
    client.force_login(pm)
    assert client.get(_download_url(evidence, pilot_pk=other.pk)).status_code == 404


def test_anonymous_users_are_sent_to_log_in_and_writes_are_refused(client, evidence, owner):
    response = client.get(_download_url(evidence))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    client.force_login(owner)
    assert client.post(_download_url(evidence)).status_code == 405


def test_evidence_without_a_file_has_nothing_to_download(client, owner, owned):
    client.force_login(owner)
    _tick(client, owned, {"evidence_url": "https://example.com/doc"})
    link_only = Evidence.objects.get(deliverable=owned)
    assert client.get(_download_url(link_only)).status_code == 404


def test_markup_uploaded_as_text_stays_text_and_is_never_rendered(client, owner, owned):
    # Valid UTF-8 is text, whatever it says; it goes back only as a sandboxed download.
    client.force_login(owner)
    _tick(client, owned, {"evidence_file": upload("page.html", b"<svg onload=alert(1)>")})
    evidence = Evidence.objects.get(deliverable=owned)
    assert evidence.content_type == "text/plain; charset=utf-8"
    assert evidence.file.name.endswith(".txt")
    response = client.get(_download_url(evidence))
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "text/plain; charset=utf-8"


def test_a_file_missing_from_storage_is_a_404_not_a_500(client, evidence, owner, media):
    (media / evidence.file.name).unlink()
    client.force_login(owner)
    assert client.get(_download_url(evidence)).status_code == 404


def test_a_rows_evidence_is_listed_oldest_first_on_the_pilot_page_and_my_work(
    client, owner, owned, pilot
):
    client.force_login(owner)
    _tick(client, owned, {"note": "First look"})
    owned.refresh_from_db()
    client.post(
        reverse("deliverable-untick", args=[pilot.pk, owned.pk]), {"version": owned.version}
    )
    owned.refresh_from_db()
    _tick(client, owned, {"note": "Second look"})
    owned.refresh_from_db()
    client.post(
        reverse("deliverable-untick", args=[pilot.pk, owned.pk]), {"version": owned.version}
    )
    for url in (reverse("pilot-detail", args=[pilot.pk]), reverse("my-work")):
        body = client.get(url).content.decode()
        assert body.index("First look") < body.index("Second look"), url
