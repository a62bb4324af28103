"""Reads of the accounts app: the account list (search, filters, sort), the 360 view, imports."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from accounts.models import Account, Contact, ImportJob
from tenancy.ids import id_parse
from tenancy.models import Membership, Organization

# Each sort key maps to an index (organization, key, id) in accounts.models.
ACCOUNT_SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "stage": ("stage", "name", "id"),
    "go_live": ("go_live_date", "id"),
    "-go_live": ("-go_live_date", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
    "score": ("health_score", "id"),
    "-score": ("-health_score", "-id"),
}


@dataclass(frozen=True)
class AccountFilters:
    q: str = ""
    owner: int | None = None
    unowned: bool = False
    segment: str = ""
    stage: str = ""
    band: str = ""
    sort: str = "name"


def account_list(
    *, organization: Organization, filters: AccountFilters | None = None
) -> QuerySet[Account]:
    filters = filters or AccountFilters()
    queryset = Account.objects.filter(organization=organization).select_related("owner__user")
    if filters.q:
        term = filters.q.strip()
        queryset = queryset.filter(Q(name__icontains=term) | Q(external_id=term))
    if filters.unowned:
        queryset = queryset.filter(owner__isnull=True)
    elif filters.owner is not None:
        queryset = queryset.filter(owner_id=filters.owner)
    if filters.segment:
        queryset = queryset.filter(segment=filters.segment)
    if filters.stage:
        queryset = queryset.filter(stage=filters.stage)
    if filters.band:
        queryset = queryset.filter(health_band=filters.band)
    return queryset.order_by(*ACCOUNT_SORTS.get(filters.sort, ACCOUNT_SORTS["name"]))


def account_get(*, organization: Organization, pk: int) -> Account:
    if id_parse(pk) is None:
        raise Http404
    try:
        return (
            Account.objects.filter(organization=organization)
            .select_related("owner__user")
            .get(pk=pk)
        )
    except (Account.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def account_get_by_external_id(*, organization: Organization, external_id: str) -> Account | None:
    if not external_id:
        return None
    return Account.objects.filter(organization=organization, external_id=external_id).first()


def contact_list_for_account(*, organization: Organization, account: Account) -> QuerySet[Contact]:
    return Contact.objects.filter(organization=organization, account=account).order_by(
        "-is_primary", "name"
    )


def contact_get(*, organization: Organization, pk: int) -> Contact:
    if id_parse(pk) is None:
        raise Http404
    try:
        return (
            Contact.objects.filter(organization=organization).select_related("account").get(pk=pk)
        )
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def owner_choices(*, organization: Organization) -> QuerySet[Membership]:
    """Members who can own accounts (CSM and up), for filters and forms."""
    return (
        Membership.objects.filter(organization=organization)
        .exclude(role="viewer")
        .select_related("user")
        .order_by("user__name", "user__email")
    )


def account_stage_counts(*, organization: Organization) -> dict[str, int]:
    rows = (
        Account.objects.filter(organization=organization)
        .values("stage")
        .annotate(total=Count("id"))
        .order_by()
    )
    return {row["stage"]: row["total"] for row in rows}


def import_job_list_recent(*, organization: Organization, limit: int = 10) -> list[ImportJob]:
    """The latest background imports, without their stored file or report (both may be MBs)."""
    return list(
        ImportJob.objects.filter(organization=organization)
        .defer("content", "report")
        .select_related("created_by")
        .order_by("-created_at", "-id")[:limit]
    )
