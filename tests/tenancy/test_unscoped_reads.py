"""Unscoped reads are an audited list: a new `with_scopes_disabled`/`scopes_disabled` in app
code fails here until it is reviewed and added with its reason (STYLE.md rule 7)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP_DIRS = [
    "tenancy",
    "accounts",
    "outreach",
    "surveys",
    "renewals",
    "healthscore",
    "lifecycle",
    "dashboards",
    "config",
]
AUDITED = {
    ("tenancy/selectors.py", "ApiKey.objects.with_scopes_disabled()"),
    ("tenancy/selectors.py", "Invitation.objects.with_scopes_disabled()"),
    # The public WhatsApp webhook URL's token decides the organization (outreach webhook).
    ("outreach/selectors.py", "OutreachSettings.objects.with_scopes_disabled()"),
    # The public survey page's token decides the organization (surveys answer link).
    ("surveys/selectors.py", "SurveyInvitation.objects.with_scopes_disabled()"),
}
PATTERN = re.compile(r"[\w.]*(?:with_scopes_disabled\(\)|scopes_disabled\(\))")


def test_only_audited_unscoped_reads_exist():
    found = set()
    for app in APP_DIRS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for match in PATTERN.finditer(path.read_text()):
                found.add((str(path.relative_to(ROOT)), match.group(0)))
    assert found == AUDITED
