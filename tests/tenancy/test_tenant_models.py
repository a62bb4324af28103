"""Guards STYLE.md rule 5: every tenant model is scoped, carries `organization`, and every
unique constraint and index starts with it. GLOBAL_MODELS may only shrink."""

import pytest
from django.apps import apps
from django.db import models
from django_scopes import ScopeError

from tenancy.models import Organization

PROJECT_APPS = {
    "tenancy",
    "accounts",
    "outreach",
    "surveys",
    "renewals",
    "healthscore",
    "lifecycle",
    "dashboards",
}

# Control plane: how a request finds its organization (DESIGN.md, Scale).
GLOBAL_MODELS = {"tenancy.User", "tenancy.Organization", "tenancy.Membership"}


def tenant_models():
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS and model._meta.label not in GLOBAL_MODELS
    ]


def test_there_are_tenant_models_to_check():
    labels = {model._meta.label for model in tenant_models()}
    assert {
        "accounts.Account",
        "accounts.Contact",
        "tenancy.ApiKey",
        "tenancy.AuditEvent",
    } <= labels


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m._meta.label)
def test_tenant_model_has_direct_organization_column(model):
    field = model._meta.get_field("organization")
    assert isinstance(field, models.ForeignKey)
    assert field.related_model is Organization


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m._meta.label)
def test_tenant_model_query_outside_scope_raises(model, db):
    with pytest.raises(ScopeError):
        list(model.objects.all())
    with pytest.raises(ScopeError):
        model.objects.filter(pk=1).exists()


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m._meta.label)
def test_tenant_model_default_manager_is_scoped(model):
    assert model._default_manager is model.objects


def _leading_field(entry):
    if getattr(entry, "fields", None):
        return entry.fields[0]
    expression = entry.expressions[0]
    return getattr(expression, "name", None)


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m._meta.label)
def test_tenant_model_constraints_and_indexes_start_with_organization(model):
    offenders = []
    for constraint in model._meta.constraints:
        if (
            isinstance(constraint, models.UniqueConstraint)
            and _leading_field(constraint) != "organization"
        ):
            offenders.append(constraint.name)
    for index in model._meta.indexes:
        if _leading_field(index) not in ("organization", "organization_id"):
            offenders.append(index.name)
    for field in model._meta.local_fields:
        if field.unique and not field.primary_key:
            offenders.append(f"{field.name} (unique=True: make it unique per organization)")
    assert offenders == []
