"""The mixed workload of `make load`: people log in for real, then read My work and pilot
pages, tick and untick their deliverables with htmx, and (the programme office) read the
portfolio, with a person's pauses between clicks.

Run by tests/load/run.py, which starts gunicorn and passes the accounts in LOAD_PEOPLE.
"""

import json
import os
import random
import re
from collections import Counter

from locust import FastHttpUser, between, events, task

PEOPLE = json.loads(open(os.environ["LOAD_PEOPLE"]).read())  # noqa: SIM115 - read once
OWNERS = iter(PEOPLE["owners"] * 10)
LEADS = iter(PEOPLE["leads"] * 10)
STATUS = Counter()

TICK = re.compile(
    r'action="/my-work/(\d+)/tick/"[^>]*>\s*'
    r'<input type="hidden" name="csrfmiddlewaretoken"[^>]*>'
    r'<input type="hidden" name="version" value="(\d+)"'
)
PILOT = re.compile(r'href="/pilots/(\d+)/')
VERSION = re.compile(r'name="version" value="(\d+)"')


@events.request.add_listener
def _count(request_type, name, response_time, response_length, response=None, **kwargs):
    STATUS[getattr(response, "status_code", 0) or 0] += 1


@events.test_stop.add_listener
def _write_statuses(environment, **kwargs):
    with open(os.environ["LOAD_STATUSES"], "w") as handle:
        json.dump({str(k): v for k, v in STATUS.items()}, handle)


class Person(FastHttpUser):
    abstract = True
    wait_time = between(1, 3)
    accounts = None

    def on_start(self) -> None:
        self.username = next(self.accounts)
        self.pilots: list[str] = []
        self.client.get("/accounts/login/", name="login page")
        response = self.client.post(
            "/accounts/login/",
            data={"username": self.username, "password": PEOPLE["password"]},
            headers={"X-CSRFToken": self._csrf()},
            allow_redirects=False,
            name="log in",
        )
        if response.status_code != 302:
            raise RuntimeError(f"login of {self.username} failed: {response.status_code}")

    def _csrf(self) -> str:
        return next(c.value for c in self.client.cookiejar if c.name == "csrftoken")

    def _pilot_page(self) -> None:
        if not self.pilots:
            page = self.client.get("/pilots/", name="pilot list")
            self.pilots = PILOT.findall(page.text or "") or []
        if self.pilots:
            self.client.get(f"/pilots/{random.choice(self.pilots)}/", name="/pilots/[id]/")


class Owner(Person):
    weight = 4
    accounts = OWNERS

    @task(4)
    def my_work(self) -> None:
        page = self.client.get("/my-work/", name="/my-work/")
        self.open_items = TICK.findall(page.text or "")
        self.pilots = self.pilots or list(dict.fromkeys(PILOT.findall(page.text or "")))

    @task(3)
    def pilot_page(self) -> None:
        self._pilot_page()

    @task(2)
    def tick_and_untick(self) -> None:
        items = getattr(self, "open_items", None)
        if not items:
            return self.my_work()
        pk, version = items.pop(random.randrange(len(items)))
        headers = {"X-CSRFToken": self._csrf(), "HX-Request": "true"}
        ticked = self.client.post(
            f"/my-work/{pk}/tick/", data={"version": version}, headers=headers, name="tick (htmx)"
        )
        new_version = VERSION.search(ticked.text or "")
        if ticked.status_code == 200 and new_version:
            self.client.post(
                f"/my-work/{pk}/untick/",
                data={"version": new_version.group(1)},
                headers=headers,
                name="untick (htmx)",
            )


class ProgrammeOffice(Person):
    weight = 1
    accounts = LEADS

    @task(3)
    def portfolio(self) -> None:
        self.client.get("/portfolio/", name="/portfolio/")

    @task(1)
    def portfolio_filtered(self) -> None:
        unit = random.choice(["Operations", "Finance", "Retail banking", "Claims", "HR"])
        self.client.get(f"/portfolio/?unit={unit}", name="/portfolio/?unit=")

    @task(2)
    def pilot_page(self) -> None:
        self._pilot_page()
