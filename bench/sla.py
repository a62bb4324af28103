"""Accounts past an SLA over a big book (the data of `bench.my_day`: 2,000 accounts times
BENCH_SCALE, a follow-up each, about a third overdue): the first page of
`/api/v1/sla-breaches/` and the whole count. Target: well under a second."""

from __future__ import annotations

import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from bench.my_day import _ensure_data, _scale
from lifecycle.selectors_sla import sla_breach_list


def run():
    count = int(2_000 * _scale())
    membership = _ensure_data(count)
    browser = Client()
    browser.force_login(membership.user)
    browser.get("/api/v1/sla-breaches/")
    times = []
    for _ in range(5):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = browser.get("/api/v1/sla-breaches/?page_size=50")
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"sla-breaches answered {response.status_code}")
    organization = membership.organization
    with scope(organization=organization):
        started = time.perf_counter()
        breaching = sla_breach_list(organization=organization).count()
        count_ms = (time.perf_counter() - started) * 1000
    return [
        {"name": "sla_breaches_page_ms", "value": round(statistics.median(times), 1), "unit": "ms"},
        {"name": "sla_breaches_page_queries", "value": len(queries), "unit": "queries"},
        {"name": "sla_breaches_count_ms", "value": round(count_ms, 1), "unit": "ms"},
        {"name": "sla_breaches_accounts", "value": breaching, "unit": "accounts"},
    ]
