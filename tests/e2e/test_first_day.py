"""A new customer's first minutes, in a real browser: sign up → organization created →
import a CSV → see the accounts → open Account 360. Screenshots on failure go to
var/test-results/ (pytest-playwright's --screenshot=only-on-failure)."""

import re

import pytest
from playwright.sync_api import expect

from tenancy.models import Membership, Organization, Role

pytestmark = pytest.mark.e2e

PASSWORD = "senha-super-secreta-42"
ACCOUNTS_CSV = (
    "external_id,name,segment,industry,go_live_date,stage\n"
    "E2E-1,Padaria Pão de Açúcar,smb,Varejo,2026-10-01,onboarding\n"
    "E2E-2,Logística Rápida S.A.,enterprise,Logística,2026-09-15,adoption\n"
    "E2E-3,,smb,Varejo,2026-09-15,adoption\n"
)


def _csp_violations(page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


def test_sign_up_import_and_open_account_360(page, live_server, tmp_path):
    csp_violations = _csp_violations(page)
    # Sign up: the organization is created with the new user as its owner
    page.goto(f"{live_server.url}/auth/signup/")
    page.fill("input[name=name]", "Camila Rocha")
    page.fill("input[name=organization_name]", "Sucesso do Cliente Ltda")
    page.fill("input[name=email]", "camila@sucesso.com.br")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.locator("form[action$='/auth/signup/'] button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/my-day/$"))  # the home page; empty: import first
    expect(page.get_by_text("No accounts yet")).to_be_visible()
    organization = Organization.objects.get(name="Sucesso do Cliente Ltda")
    assert Membership.objects.get(organization=organization).role == Role.OWNER

    # Import a CSV: valid rows kept, the invalid one reported with its line
    page.get_by_role("link", name="Import CSV").first.click()
    csv_path = tmp_path / "clientes.csv"
    csv_path.write_text(ACCOUNTS_CSV, encoding="utf-8")
    page.set_input_files("input[type=file]", str(csv_path))
    page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()
    report = page.locator(".import-report")
    expect(report.locator("div", has_text="Created").locator("dd")).to_have_text("2")
    expect(report.locator("div", has_text="Rejected").locator("dd")).to_have_text("1")
    rejected_row = report.locator("tbody tr")
    expect(rejected_row).to_have_count(1)
    expect(rejected_row.locator("td").first).to_have_text("4")
    expect(rejected_row).to_contain_text("name")

    # See the accounts
    page.goto(f"{live_server.url}/accounts/")
    expect(page.get_by_role("link", name="Padaria Pão de Açúcar")).to_be_visible()
    expect(page.get_by_role("link", name="Logística Rápida S.A.")).to_be_visible()
    expect(page.locator(".result-count")).to_contain_text("2")

    # Open Account 360
    page.get_by_role("link", name="Padaria Pão de Açúcar").click()
    expect(page.locator("h1")).to_have_text("Padaria Pão de Açúcar")
    for section in ("#health", "#contacts", "#timeline", "#contracts", "#tasks"):
        expect(page.locator(section)).to_be_visible()
    expect(page.locator(".account-header .facts")).to_contain_text("E2E-1")
    expect(page.locator("#contracts")).to_contain_text("Current ARR")  # panel loaded by htmx
    assert csp_violations == []


def test_api_docs_render_offline_under_the_content_security_policy(page, live_server):
    csp_violations = _csp_violations(page)

    page.goto(f"{live_server.url}/api/docs/")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Jornada API")
    expect(page.get_by_text("/api/v1/accounts/").first).to_be_visible()
    assert csp_violations == []
