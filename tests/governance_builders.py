"""Small explicit builders for the governance tests: classification answers, gates made
ready to sign, and reading a PDF's text and word positions with poppler's pdftotext."""

import re
import shutil
import subprocess
from dataclasses import dataclass

import pytest
from django.core.management import call_command

from governance.questionnaire import QUESTIONS
from pilots import services
from pilots.models import Deliverable, PhaseRun
from playbook.models import Playbook


def answers(**yes) -> dict:
    """Every yes/no question answered no, the role deployer, then the overrides."""
    base = {q["key"]: False for q in QUESTIONS if "choices" not in q}
    base["organisation_role"] = "deployer"
    base["purpose"] = "Route incoming claims to the right team."
    base.update(yes)
    return base


def default_playbook() -> Playbook:
    """The product's own playbook, loaded from playbook/data."""
    call_command("load_playbooks", verbosity=0)
    return Playbook.default()


def phase_run(pilot, number: int) -> PhaseRun:
    return pilot.phase_runs.select_related("phase", "pilot").get(number=number)


def close_mandatory(run: PhaseRun, actor) -> None:
    for item in Deliverable.objects.filter(phase_run=run, mandatory=True).open():
        services.deliverable_set_done(
            deliverable=item, actor=actor, done=True, expected_version=None
        )


def _pdf_path(data: bytes, tmp_path):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed; `make system-deps`")
    path = tmp_path / "doc.pdf"
    path.write_bytes(bytes(data))
    return path


def pdf_text(data: bytes, tmp_path, *, layout: bool = False) -> str:
    """The PDF's words in reading order, whatever the line breaks; with `layout`, each
    line as laid out on the page, spaced as printed (a label beside its value)."""
    path = _pdf_path(data, tmp_path)
    text = subprocess.run(
        ["pdftotext", *(["-layout"] if layout else []), str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return text if layout else " ".join(text.split())


def pdf_links(data: bytes, tmp_path) -> set[str]:
    """The addresses of the PDF's link annotations."""
    path = _pdf_path(data, tmp_path)
    listing = subprocess.run(
        ["pdfinfo", "-url", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return {line.split()[-1] for line in listing.splitlines()[1:] if line.strip()}


@dataclass(frozen=True)
class Word:
    page: int
    x_min: float
    x_max: float
    page_width: float
    text: str


def pdf_words(data: bytes, tmp_path) -> list[Word]:
    """Every word with its page and horizontal position, in points."""
    path = _pdf_path(data, tmp_path)
    xhtml = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    words = []
    for number, page in enumerate(re.findall(r"<page (.*?)</page>", xhtml, re.S), start=1):
        width = float(re.search(r'width="([\d.]+)"', page).group(1))
        for x_min, x_max, text in re.findall(
            r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>',
            page,
        ):
            words.append(Word(number, float(x_min), float(x_max), width, text))
    return words
