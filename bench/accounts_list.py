"""Account list at scale: the page a CSM opens most, on an organization of 100k accounts.

Measures the list page (first page, deepest page, search, filter + sort), the API list, and
the naive way (load every account, then read each row's owner: an N+1) for the ratio.
"""

from __future__ import annotations

import os
import statistics
import time
from io import StringIO

from django.core.management import call_command
from django.test import Client
from django_scopes import scope
from rest_framework.test import APIClient

from accounts.models import Account
from tenancy.models import Membership, Organization, Role
from tenancy.services import api_key_create

SLUG = "bench-accounts"


def _scale() -> float:
    return float(os.environ.get("BENCH_SCALE", "1"))


def _median_ms(call, repeat: int = 5) -> float:
    call()  # warm caches and connections
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def _ensure_data(count: int) -> Organization:
    started = time.perf_counter()
    call_command("seed_demo", slug=SLUG, accounts=count, stdout=StringIO())
    print(f"  data ready: {count} accounts in {time.perf_counter() - started:.1f} s")
    return Organization.objects.get(slug=SLUG)


def run():
    count = int(100_000 * _scale())
    organization = _ensure_data(count)
    csm = (
        Membership.objects.filter(organization=organization, role=Role.CSM)
        .select_related("user")
        .first()
    )
    browser = Client()
    browser.force_login(csm.user)
    with scope(organization=organization):
        total = Account.objects.filter(organization=organization).count()
        issued = api_key_create(organization=organization, name="bench", scope="read", actor=None)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.key}")
    last_page = (total + 49) // 50

    def page(path):
        def call():
            response = browser.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")

        return call

    def naive():
        with scope(organization=organization):
            rows = list(Account.objects.filter(organization=organization).order_by("name"))
            return [(a.name, a.owner.user.email if a.owner_id else "") for a in rows][:50]

    first = _median_ms(page("/accounts/"))
    figures = [
        {"name": "accounts.list_rows", "value": total, "unit": "accounts"},
        {"name": "accounts.list_first_page_ms", "value": first, "unit": "ms"},
        {
            "name": "accounts.list_last_page_ms",
            "value": _median_ms(page(f"/accounts/?page={last_page}")),
            "unit": "ms",
        },
        {
            "name": "accounts.list_search_ms",
            "value": _median_ms(page("/accounts/?q=log")),
            "unit": "ms",
        },
        {
            "name": "accounts.list_filter_sort_ms",
            "value": _median_ms(page("/accounts/?stage=renewal&segment=enterprise&sort=-updated")),
            "unit": "ms",
        },
        {
            "name": "accounts.api_list_ms",
            "value": _median_ms(lambda: api.get("/api/v1/accounts/?page_size=100")),
            "unit": "ms",
        },
    ]
    naive_ms = _median_ms(naive, repeat=1)
    figures.append({"name": "accounts.list_naive_ms", "value": naive_ms, "unit": "ms"})
    figures.append(
        {"name": "accounts.list_naive_ratio", "value": round(naive_ms / first, 1), "unit": "x"}
    )
    return figures
