"""Contract writes: create and update, with validation, the ARR refresh and the audit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from renewals import signals
from renewals.models import MAX_ARR_CENTS, MAX_SEATS, Contract, ContractKind, ContractStatus
from renewals.services._common import _check, _send_on_commit
from renewals.services.revenue import account_revenue_refresh
from renewals.services.spans import arr_spans_refresh
from tenancy.models import ApiKey, Organization, User
from tenancy.services import audit_record

CONTRACT_FIELDS = {
    "account",
    "kind",
    "start_date",
    "end_date",
    "arr_cents",
    "seats",
    "plan",
    "status",
    "renewed_from",
    "external_id",
}


def _contract_errors(organization: Organization, contract: Contract) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if contract.start_date and contract.end_date and contract.end_date <= contract.start_date:
        errors.setdefault("end_date", []).append(
            _("The end date must be after the start date (the end date is exclusive).")
        )
    if contract.arr_cents is None or contract.arr_cents < 0:
        errors.setdefault("arr_cents", []).append(_("ARR cannot be negative."))
    elif contract.arr_cents > MAX_ARR_CENTS:
        errors.setdefault("arr_cents", []).append(
            _("ARR above %(max)s cents is not plausible; check the value.") % {"max": MAX_ARR_CENTS}
        )
    if contract.seats is None or contract.seats < 0 or contract.seats > MAX_SEATS:
        errors.setdefault("seats", []).append(
            _("Seats must be between 0 and %(max)s.") % {"max": MAX_SEATS}
        )
    if (
        contract.start_date
        and contract.end_date
        and (contract.end_date - contract.start_date) > timedelta(days=3660)
    ):
        errors.setdefault("end_date", []).append(_("A contract cannot last more than 10 years."))
    if (
        contract.renewed_from is not None
        and contract.renewed_from.account_id != contract.account_id
    ):
        errors.setdefault("renewed_from", []).append(
            _("A contract can only renew a contract of the same account.")
        )
    if not errors and contract.kind == ContractKind.BASE and contract.status != ContractStatus.VOID:
        overlapping = (
            Contract.objects.filter(
                organization=organization,
                account_id=contract.account_id,
                kind=ContractKind.BASE,
                start_date__lt=contract.end_date,
                end_date__gt=contract.start_date,
            )
            .exclude(status=ContractStatus.VOID)
            .exclude(pk=contract.pk)
            .order_by("start_date")
            .first()
        )
        if overlapping is not None:
            errors.setdefault("start_date", []).append(
                _(
                    "This base contract overlaps the base contract from %(start)s to %(end)s. "
                    "Only add-ons may overlap: choose the kind “Add-on”, or change the dates."
                )
                % {"start": overlapping.start_date, "end": overlapping.end_date}
            )
    return errors


def _contract_snapshot(contract: Contract) -> dict[str, Any]:
    return {
        "kind": contract.kind,
        "start_date": contract.start_date.isoformat(),
        "end_date": contract.end_date.isoformat(),
        "arr_cents": contract.arr_cents,
        "seats": contract.seats,
        "plan": contract.plan,
        "status": contract.status,
    }


@transaction.atomic
def contract_create(
    *,
    organization: Organization,
    actor: User | None,
    api_key: ApiKey | None = None,
    **fields: Any,
) -> Contract:
    unknown = set(fields) - CONTRACT_FIELDS
    if unknown:
        raise ValueError(f"Unknown contract fields: {sorted(unknown)}")
    _check(organization, fields.get("account"), fields.get("renewed_from"))
    contract = Contract(organization=organization, **fields)
    errors = _contract_errors(organization, contract)
    if errors:
        raise ValidationError(errors)
    contract.save()
    account_revenue_refresh(organization=organization, account_ids=[contract.account_id])
    arr_spans_refresh(organization=organization, account_ids=[contract.account_id])
    _send_on_commit(signals.contracts_changed, organization, account_ids=[contract.account_id])
    audit_record(
        organization=organization,
        actor=actor,
        api_key=api_key,
        action="contract.created",
        target=contract,
        after=_contract_snapshot(contract),
    )
    return contract


@transaction.atomic
def contract_update(
    *,
    organization: Organization,
    contract: Contract,
    actor: User | None,
    api_key: ApiKey | None = None,
    **fields: Any,
) -> Contract:
    _check(organization, contract, fields.get("account"), fields.get("renewed_from"))
    unknown = set(fields) - CONTRACT_FIELDS
    if unknown:
        raise ValueError(f"Unknown contract fields: {sorted(unknown)}")
    before = _contract_snapshot(contract)
    previous_account = contract.account_id
    for name, value in fields.items():
        setattr(contract, name, value)
    errors = _contract_errors(organization, contract)
    if errors:
        raise ValidationError(errors)
    contract.save()
    touched = sorted({previous_account, contract.account_id})
    account_revenue_refresh(organization=organization, account_ids=touched)
    arr_spans_refresh(organization=organization, account_ids=touched)
    _send_on_commit(signals.contracts_changed, organization, account_ids=touched)
    after = _contract_snapshot(contract)
    if after != before:
        audit_record(
            organization=organization,
            actor=actor,
            api_key=api_key,
            action="contract.updated",
            target=contract,
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
        )
    return contract
