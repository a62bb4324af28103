"""Factories keep a graph inside one organization: SubFactories inherit `organization`."""

from datetime import timedelta

import factory
from django.utils import timezone
from django_scopes import scopes_disabled

from tenancy.models import (
    ApiKey,
    AuditEvent,
    Invitation,
    Membership,
    Organization,
    Role,
    ScheduledAction,
    User,
)
from tenancy.tokens import token_hash

PASSWORD = "correct-horse-battery-staple"


class ScopedFactory(factory.django.DjangoModelFactory):
    """Creates tenant rows without an active scope (factories are allowed to)."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with scopes_disabled():
            return super()._create(model_class, *args, **kwargs)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create and results:
            instance.save()


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Org {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    time_zone = "America/Sao_Paulo"
    currency = "BRL"
    locale = "en"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.CSM


class ApiKeyFactory(ScopedFactory):
    """`ApiKeyFactory(...).raw_key` holds the clear key for tests."""

    class Meta:
        model = ApiKey

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Integration {n}")
    prefix = factory.Sequence(lambda n: f"{n:012x}")
    scope = ApiKey.Scope.WRITE
    raw_key = factory.LazyAttribute(lambda o: f"jor_{o.prefix}_secret-{o.name.replace(' ', '-')}")
    key_hash = factory.LazyAttribute(lambda o: token_hash(o.raw_key))

    class Params:
        read_only = factory.Trait(scope=ApiKey.Scope.READ)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        raw_key = kwargs.pop("raw_key")
        instance = super()._create(model_class, *args, **kwargs)
        instance.raw_key = raw_key
        return instance


class InvitationFactory(ScopedFactory):
    class Meta:
        model = Invitation

    organization = factory.SubFactory(OrganizationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.CSM
    token = factory.Sequence(lambda n: f"invitation-token-{n}-0123456789abcdef")
    token_hash = factory.LazyAttribute(lambda o: token_hash(o.token))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        token = kwargs.pop("token")
        instance = super()._create(model_class, *args, **kwargs)
        instance.token = token
        return instance


class AuditEventFactory(ScopedFactory):
    class Meta:
        model = AuditEvent

    organization = factory.SubFactory(OrganizationFactory)
    action = "test.event"
    target_type = "account"
    target_id = "1"


class ScheduledActionFactory(ScopedFactory):
    class Meta:
        model = ScheduledAction

    organization = factory.SubFactory(OrganizationFactory)
    kind = "test.kind"
    subject = factory.Sequence(lambda n: f"subject-{n}")
    due_at = factory.LazyFunction(timezone.now)
