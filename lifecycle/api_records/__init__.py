"""REST API v1: touchpoints, success plans, objectives and advocacy records.

Appended to lifecycle/api.py's ROUTES. Ids inside payloads (account, contact, plan) are
resolved inside the organization; rules are the services' (a contact of another account, a
touchpoint in the future, a target equal to the baseline, a status step that is not allowed)
and answer 400 with the field and a stable code. Touchpoints may be changed by the member who
logged them or by a manager (403 `not_author` otherwise; API keys create, never edit).
Advocacy status changes through `POST advocacy-records/{id}/transition/`.
"""

from lifecycle.api_records.advocacy import (
    AdvocacyNextStepsSerializer,
    AdvocacyRecordFilter,
    AdvocacyRecordSerializer,
    AdvocacyRecordUpdateSerializer,
    AdvocacyRecordViewSet,
    AdvocacyTransitionSerializer,
)
from lifecycle.api_records.common import MAX_VALUE, SuccessPlanReferenceField
from lifecycle.api_records.success import (
    ObjectiveFilter,
    ObjectiveSerializer,
    ObjectiveUpdateSerializer,
    ObjectiveViewSet,
    SuccessPlanFilter,
    SuccessPlanSerializer,
    SuccessPlanUpdateSerializer,
    SuccessPlanViewSet,
)
from lifecycle.api_records.touchpoints import (
    TouchpointFilter,
    TouchpointSerializer,
    TouchpointUpdateSerializer,
    TouchpointViewSet,
)

ROUTES = [
    ("touchpoints", TouchpointViewSet, "touchpoint"),
    ("success-plans", SuccessPlanViewSet, "success-plan"),
    ("objectives", ObjectiveViewSet, "objective"),
    ("advocacy-records", AdvocacyRecordViewSet, "advocacy-record"),
]
PATHS: list = []

__all__ = [
    "MAX_VALUE",
    "PATHS",
    "ROUTES",
    "AdvocacyNextStepsSerializer",
    "AdvocacyRecordFilter",
    "AdvocacyRecordSerializer",
    "AdvocacyRecordUpdateSerializer",
    "AdvocacyRecordViewSet",
    "AdvocacyTransitionSerializer",
    "ObjectiveFilter",
    "ObjectiveSerializer",
    "ObjectiveUpdateSerializer",
    "ObjectiveViewSet",
    "SuccessPlanFilter",
    "SuccessPlanReferenceField",
    "SuccessPlanSerializer",
    "SuccessPlanUpdateSerializer",
    "SuccessPlanViewSet",
    "TouchpointFilter",
    "TouchpointSerializer",
    "TouchpointUpdateSerializer",
    "TouchpointViewSet",
]
