"""Tenant isolation over every route, enumerated from the URLconf (DESIGN.md, Tenancy).

Organization B — its owner in the browser and its write API key — is pointed at organization
A's objects on every object route with every verb: GET is a 404, writes are answered exactly
as for an id that does not exist (404, or 405 where the verb is not offered at all), A's
object is unchanged, and no audit row or email was produced. Every collection page and list
endpoint is read as B and must not contain any of A's data.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core import mail
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, Contact, ImportJob
from lifecycle.models import (
    AdvocacyRecord,
    FollowUp,
    Objective,
    Playbook,
    SuccessPlan,
    Task,
    Touchpoint,
)
from lifecycle.models.stages import StageTransition
from outreach.models import MessageTemplate, OutboundMessage
from renewals.models import Contract, Opportunity
from surveys.models import Survey, SurveyResponse
from tenancy.models import ApiKey, AuditEvent, Invitation, Membership, Role, ScheduledAction
from tests.accounts.factories import AccountFactory, ContactFactory, ImportJobFactory
from tests.healthscore.factories import (
    HealthAdjustmentFactory,
    HealthAlertFactory,
    HealthModelFactory,
    HealthScoreFactory,
    HealthSnapshotFactory,
)
from tests.isolation.routes import collection_routes, object_routes, unclassified_routes
from tests.lifecycle.factories_followup import FollowUpFactory
from tests.lifecycle.factories_records import (
    AdvocacyRecordFactory,
    ObjectiveFactory,
    SuccessPlanFactory,
    TouchpointFactory,
)
from tests.lifecycle.factories_stages import StageHoldFactory, StageTransitionFactory
from tests.lifecycle.factories_tasks import PlaybookFactory, PlaybookStepFactory, TaskFactory
from tests.outreach.factories import MessageTemplateFactory, OutboundMessageFactory
from tests.renewals.factories import ContractFactory, OpportunityFactory
from tests.surveys.factories import (
    SurveyFactory,
    SurveyInvitationFactory,
    SurveyResponseFactory,
)
from tests.tenancy.factories import (
    ApiKeyFactory,
    AuditEventFactory,
    InvitationFactory,
    MembershipFactory,
    ScheduledActionFactory,
    UserFactory,
)

FACTORIES = {
    Account: AccountFactory,
    Contact: ContactFactory,
    ApiKey: ApiKeyFactory,
    Invitation: InvitationFactory,
    Membership: MembershipFactory,
    ImportJob: ImportJobFactory,
    FollowUp: FollowUpFactory,
    ScheduledAction: ScheduledActionFactory,
    Contract: ContractFactory,
    Opportunity: OpportunityFactory,
    StageTransition: StageTransitionFactory,
    OutboundMessage: OutboundMessageFactory,
    MessageTemplate: MessageTemplateFactory,
    Task: TaskFactory,
    Playbook: PlaybookFactory,
    Touchpoint: TouchpointFactory,
    SuccessPlan: SuccessPlanFactory,
    Objective: ObjectiveFactory,
    AdvocacyRecord: AdvocacyRecordFactory,
    Survey: SurveyFactory,
    SurveyResponse: SurveyResponseFactory,
}
MISSING_PK = 987654321
WRITE_PAYLOAD = {"name": "hijacked", "role": Role.OWNER, "email": "hijack@example.com"}
MARKERS = [
    "Zeta Leak Account",
    "LEAK-EXT-0001",
    "leak-contact@secret.example",
    "Leak Integration Key",
    "leak-invitee@secret.example",
    "leak-member@secret.example",
    "leak.audit.action",
    "leak-import-file.csv",
    "leak-health-why-feature",
    "leak-adjustment-reason",
    "leak-key-feature",
    "Leak Plan Platinum",
    "Leak Expansion Deal",
    "leak-stage-reason",
    "leak-hold-reason",
    "leak-followup-note",
    "leak.scheduled.kind",
    "Leak-marker-message",
    "Leak-marker-template",
    "Leak-marker-task-title",
    "Leak-marker-playbook",
    "leak-touchpoint-summary",
    "Leak Success Plan",
    "leak-objective-metric",
    "Leak Referred Company",
    "Leak Survey Name",
    "leak-survey-comment",
]


def test_every_route_is_classified():
    unclassified = [f"{r.name or '<unnamed>'} {r.pattern}" for r in unclassified_routes()]
    assert unclassified == [], (
        "Routes the isolation tests cannot cover: give each a `pk` kwarg and a view `model`/"
        "`queryset`, or allowlist it with a reason in tests/isolation/routes.py"
    )


def test_every_object_route_model_has_a_factory():
    missing = {route.model.__name__ for route in object_routes() if route.model not in FACTORIES}
    assert missing == set()


def test_enumeration_finds_the_known_routes():
    names = {route.name for route in object_routes()}
    assert {
        "account_detail",
        "contact_edit",
        "api_key_revoke",
        "api:account-detail",
        "api:contact-detail",
    } <= names
    assert {"account_list", "api:account-list", "api:me"} <= {r.name for r in collection_routes()}


@pytest.fixture
def intruder(other_org, member, client_for, api_client_for):
    owner = member(Role.OWNER, organization=other_org)
    return {
        "session": client_for(owner),
        "api_key": api_client_for(ApiKeyFactory(organization=other_org, scope=ApiKey.Scope.WRITE)),
        "org": other_org,
    }


def _request(client, method, url, is_api):
    if method in ("GET", "DELETE"):
        return getattr(client, method.lower())(url)
    if is_api:
        return getattr(client, method.lower())(
            url, data=json.dumps(WRITE_PAYLOAD), content_type="application/json"
        )
    if method == "DELETE":
        return getattr(client, method.lower())(url)
    if method == "POST":
        return client.post(url, WRITE_PAYLOAD)
    return getattr(client, method.lower())(
        url, data="name=hijacked", content_type="application/x-www-form-urlencoded"
    )


def _snapshot(in_scope, obj):
    with in_scope(obj.organization):
        fresh = type(obj).objects.filter(pk=obj.pk).first()
        return None if fresh is None else model_to_dict(fresh)


def _object_cases():
    cases = []
    for route in object_routes():
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            cases.append(
                pytest.param(route, method, "session", id=f"{route.name}-{method}-session")
            )
            if route.is_api:
                cases.append(
                    pytest.param(route, method, "api_key", id=f"{route.name}-{method}-key")
                )
    return cases


@pytest.mark.parametrize(("route", "method", "credential"), _object_cases())
def test_other_tenant_object_is_not_found(route, method, credential, org, intruder, in_scope):
    # Given an object of organization A
    victim = FACTORIES[route.model](organization=org)
    before = _snapshot(in_scope, victim)
    with in_scope(org):
        audit_a = AuditEvent.objects.filter(organization=org).count()
    with in_scope(intruder["org"]):
        audit_b = AuditEvent.objects.filter(organization=intruder["org"]).count()
    client = intruder[credential]

    # When organization B addresses it, and an id that does not exist
    response = _request(client, method, reverse(route.name, kwargs={"pk": victim.pk}), route.is_api)
    missing = _request(client, method, reverse(route.name, kwargs={"pk": MISSING_PK}), route.is_api)

    # Then the answer is "not found", indistinguishable from a missing id
    if method == "GET":
        assert response.status_code == 404
    # 403 only where API keys may never write (admin resources such as playbooks): refused
    # before any lookup, so a foreign id and a missing one get the same answer.
    refused = credential == "api_key" and response.status_code == 403
    assert response.status_code in (404, 405) or refused
    assert response.status_code == missing.status_code
    assert _snapshot(in_scope, victim) == before
    with in_scope(org):
        assert AuditEvent.objects.filter(organization=org).count() == audit_a
    with in_scope(intruder["org"]):
        assert AuditEvent.objects.filter(organization=intruder["org"]).count() == audit_b
    assert mail.outbox == []


@pytest.fixture
def tenant_a_data(org):
    account = AccountFactory(
        organization=org, name="Zeta Leak Account", external_id="LEAK-EXT-0001"
    )
    ContactFactory(account=account, email="leak-contact@secret.example")
    ApiKeyFactory(organization=org, name="Leak Integration Key")
    InvitationFactory(organization=org, email="leak-invitee@secret.example")
    MembershipFactory(organization=org, user=UserFactory(email="leak-member@secret.example"))
    AuditEventFactory(
        organization=org, action="leak.audit.action", target_label="Zeta Leak Account"
    )
    ImportJobFactory(organization=org, file_name="leak-import-file.csv")
    red = AccountFactory(
        organization=org,
        name="Zeta Leak Account Red",
        health_band="red",
        health_score=5,
        arr_cents=10**9,
    )
    HealthScoreFactory(
        account=red,
        band="red",
        score=5,
        drivers=[{"code": "breadth", "used": 0, "total": 1, "leak": "leak-health-why-feature"}],
    )
    HealthSnapshotFactory(account=red)
    HealthAlertFactory(account=account)
    HealthAdjustmentFactory(account=red, reason="leak-adjustment-reason")
    HealthModelFactory(organization=org, key_features=["leak-key-feature"])
    contract = ContractFactory(account=account, plan="Leak Plan Platinum")
    OpportunityFactory(contract=contract, kind="expansion", title="Leak Expansion Deal")
    StageTransitionFactory(
        account=red, to_stage="renewal", reason_code="manual", reason_text="leak-stage-reason"
    )
    StageHoldFactory(account=red, stage="renewal", reason="leak-hold-reason")
    FollowUpFactory(account=account, status="open")
    FollowUpFactory(
        account=red,
        status="done",
        outcome="issue_found",
        note="leak-followup-note",
        recorded_at=timezone.now(),
    )
    ScheduledActionFactory(organization=org, kind="leak.scheduled.kind", status="dead")
    OutboundMessageFactory(account=account, body="Hi. Leak-marker-message.")
    MessageTemplateFactory(organization=org, key="custom.leak", body="Leak-marker-template")
    TaskFactory(account=account, title="Leak-marker-task-title", outcome="Leak-marker-task-title")
    PlaybookStepFactory(
        playbook=PlaybookFactory(organization=org, name="Leak-marker-playbook"),
        title="Leak-marker-playbook step",
    )
    TouchpointFactory(account=account, summary="leak-touchpoint-summary")
    ObjectiveFactory(
        plan=SuccessPlanFactory(account=account, title="Leak Success Plan"),
        metric="leak-objective-metric",
    )
    AdvocacyRecordFactory(
        account=account, kind="referral", referred_company="Leak Referred Company"
    )
    leak_survey = SurveyFactory(organization=org, name="Leak Survey Name")
    SurveyResponseFactory(
        organization=org,
        survey=leak_survey,
        account=account,
        contact=None,
        comment="leak-survey-comment",
        invitation=SurveyInvitationFactory(organization=org, survey=leak_survey),
    )
    # past the onboarding SLA: listed by sla-breaches/
    AccountFactory(organization=org, name="Zeta Leak Account Late", go_live_date=date(2020, 1, 6))
    return account


def _collection_cases():
    cases = []
    for route in collection_routes():
        cases.append(pytest.param(route, "session", id=f"{route.name}-session"))
        if route.is_api:
            cases.append(pytest.param(route, "api_key", id=f"{route.name}-key"))
    return cases


@pytest.mark.parametrize(("route", "credential"), _collection_cases())
def test_collection_never_shows_other_tenant_data(route, credential, tenant_a_data, intruder):
    response = intruder[credential].get(reverse(route.name))

    assert response.status_code in (200, 302, 403, 405)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", errors="replace")
    leaked = [marker for marker in MARKERS if marker in text]
    assert leaked == []


@pytest.mark.parametrize("resource", ["accounts", "contacts"])
def test_api_lists_hold_exactly_own_rows(resource, org, other_org, tenant_a_data, api_client_for):
    # Given A has data and B has exactly two accounts with one contact each
    for _ in range(2):
        ContactFactory(account=AccountFactory(organization=other_org))
    key_b = ApiKeyFactory(organization=other_org, scope=ApiKey.Scope.READ)

    response = api_client_for(key_b).get(f"/api/v1/{resource}/")

    assert response.status_code == 200
    assert len(response.json()["results"]) == 2


@pytest.mark.parametrize("pk", ["99999999999999999999999999999", "9223372036854775808"])
def test_out_of_range_ids_are_not_found(pk, org, member, client_for, api_client_for):
    browser = client_for(member(Role.CSM))
    api = api_client_for(ApiKeyFactory(organization=org))

    assert browser.get(f"/accounts/{pk}/").status_code == 404
    assert api.get(f"/api/v1/accounts/{pk}/").status_code == 404
    assert api.get(f"/api/v1/contacts/?account={pk}").status_code == 400
    response = api.post(
        "/api/v1/contacts/", {"account": int(pk), "name": "X", "email": "x@x.com"}, format="json"
    )
    assert response.status_code == 400
