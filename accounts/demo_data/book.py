"""The demo account book: every demo account with its contacts, drawn in order from one
`random.Random(slug)` stream (unsaved rows; `accounts.demo_data.accounts` writes them)."""

from __future__ import annotations

import itertools
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.text import slugify

from accounts.demo_data.names import (
    BRANCH_CITIES,
    EN_COMPANY_STEMS,
    EN_FIRST_NAMES,
    EN_LEGAL_SUFFIXES,
    EN_SECTORS,
    EN_SURNAMES,
    PHONE_AREA_CODES,
    PT_COMPANY_STEMS,
    PT_FIRST_NAMES,
    PT_LEGAL_SUFFIXES,
    PT_SECTORS,
    PT_SURNAMES,
)
from accounts.models import Account, Consent, Contact, Segment, Stage
from tenancy.models import Membership, Organization

EXTERNAL_ID_PREFIX = "DEMO-"
UNASSIGNED_SHARE = 0.07

SEGMENTS = (
    (Segment.SMB, 50),
    (Segment.MID_MARKET, 30),
    (Segment.ENTERPRISE, 15),
    (Segment.STRATEGIC, 5),
)
CONTACTS_PER_SEGMENT = {
    Segment.SMB: (1, 3),
    Segment.MID_MARKET: (2, 3),
    Segment.ENTERPRISE: (2, 4),
    Segment.STRATEGIC: (3, 4),
}


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


class _Weighted:
    """A weighted choice with the cumulative weights computed once."""

    def __init__(self, pairs) -> None:
        values, weights = zip(*pairs, strict=True)
        self.values = values
        self.cumulative = tuple(itertools.accumulate(weights))

    def pick(self, rng: random.Random):
        return rng.choices(self.values, cum_weights=self.cumulative)[0]


_AREA_CODES = _Weighted(PHONE_AREA_CODES)
_SEGMENTS = _Weighted(SEGMENTS)


@dataclass(frozen=True)
class _Company:
    name: str
    industry: str
    domain: str
    english: bool


def _company(rng: random.Random, used_names: set[str]) -> _Company:
    for _attempt in range(8):
        english = rng.random() < 0.25
        if english:
            stem = rng.choice(EN_COMPANY_STEMS)
            word, industry = rng.choice(EN_SECTORS)
            base = f"{stem} {word}"
            name = base + rng.choice(EN_LEGAL_SUFFIXES)
            tld = "com"
        else:
            stem = rng.choice(PT_COMPANY_STEMS)
            word, industry, before = rng.choice(PT_SECTORS)
            base = f"{word} {stem}" if before else f"{stem} {word}"
            holding = rng.random() < 0.12
            if holding and not before:
                base = f"Grupo {base}"
            name = base + rng.choice(PT_LEGAL_SUFFIXES)
            tld = "com.br"
        if name not in used_names:
            break
    else:
        name = f"{name} {rng.choice(BRANCH_CITIES)}"
    used_names.add(name)
    domain = f"{slugify(base).replace('-', '')}.{tld}"
    return _Company(name=name, industry=industry, domain=domain, english=english)


def _person(rng: random.Random, *, english: bool) -> tuple[str, str]:
    """(full name, email local part)."""
    if english:
        first, last = rng.choice(EN_FIRST_NAMES), rng.choice(EN_SURNAMES)
    else:
        first, last = rng.choice(PT_FIRST_NAMES), rng.choice(PT_SURNAMES)
    given = _ascii(first.split()[0]).lower()
    family = _ascii(last).lower()
    style = rng.random()
    if style < 0.6:
        local = f"{given}.{family}"
    elif style < 0.85:
        local = f"{given[0]}{family}"
    else:
        local = given
    return f"{first} {last}", local


def _mobile(rng: random.Random) -> str:
    area = _AREA_CODES.pick(rng)
    return f"+55{area}9{rng.randint(6, 9)}{rng.randrange(10**7):07d}"


def _moment(rng: random.Random, day: date, tz: ZoneInfo, now: datetime) -> datetime:
    """An office-hours moment on `day` in the organization's zone, never after `now`."""
    moment = datetime.combine(day, time(rng.randint(8, 18), rng.randrange(60)), tzinfo=tz)
    return min(moment, now)


@dataclass(frozen=True)
class _Lifecycle:
    go_live_date: date | None
    stage: Stage
    stage_entered_on: date
    churned_on: date | None


def _lifecycle(rng: random.Random, today: date) -> _Lifecycle:
    """A stage that fits the go-live date (DESIGN.md, lifecycle default rules)."""
    draw = rng.random()
    days = rng.randrange(3 * 365)  # since go-live
    pick = rng.random()
    offset = rng.random()  # where inside its window the stage began

    def ago(lo: int, hi: int) -> date:
        return today - timedelta(days=lo + int(offset * max(hi - lo, 0)))

    if draw < 0.04:  # signed, kickoff not scheduled yet
        return _Lifecycle(None, Stage.ONBOARDING, ago(0, 45), None)
    if draw < 0.08:  # go-live scheduled
        return _Lifecycle(today + timedelta(days=1 + days % 60), Stage.ONBOARDING, ago(0, 30), None)
    go_live = today - timedelta(days=days)
    if days < 90:
        if days >= 45 and pick < 0.4:
            return _Lifecycle(go_live, Stage.ADOPTION, ago(0, days - 30), None)
        return _Lifecycle(go_live, Stage.ONBOARDING, go_live, None)
    if days < 365:
        if pick < 0.08:  # onboarding overdue
            return _Lifecycle(go_live, Stage.ONBOARDING, go_live, None)
        if pick < 0.12:
            churned = ago(0, days - 90)
            return _Lifecycle(go_live, Stage.CHURNED, churned, churned)
        if pick < 0.16:
            return _Lifecycle(go_live, Stage.EXPANSION, ago(0, 60), None)
        if days >= 245 and pick < 0.40:  # annual contract inside the renewal window
            return _Lifecycle(go_live, Stage.RENEWAL, ago(0, days - 245), None)
        return _Lifecycle(go_live, Stage.ADOPTION, ago(days - 90, days - 30), None)
    if pick < 0.10:
        churned = ago(0, days - 300)
        return _Lifecycle(go_live, Stage.CHURNED, churned, churned)
    if pick < 0.25:
        return _Lifecycle(go_live, Stage.RENEWAL, ago(0, 110), None)
    if pick < 0.37:
        return _Lifecycle(go_live, Stage.EXPANSION, ago(0, 120), None)
    if pick < 0.47:
        return _Lifecycle(go_live, Stage.ADVOCACY, ago(0, 180), None)
    return _Lifecycle(go_live, Stage.RETENTION, ago(0, min(days - 365, 365)), None)


def _consent(rng: random.Random, opted_in: float, opted_out: float) -> Consent:
    draw = rng.random()
    if draw < opted_in:
        return Consent.OPTED_IN
    if draw < opted_in + opted_out:
        return Consent.OPTED_OUT
    return Consent.UNKNOWN


def _contacts(
    rng: random.Random,
    *,
    organization: Organization,
    company: _Company,
    segment: Segment,
    since: date,
    today: date,
    tz: ZoneInfo,
    now: datetime,
) -> list[Contact]:
    low, high = CONTACTS_PER_SEGMENT[segment]
    contacts = []
    used_emails: set[str] = set()
    for position in range(rng.randint(low, high)):
        english = rng.random() < (0.5 if company.english else 0.08)
        name, local = _person(rng, english=english)
        email, suffix = f"{local}@{company.domain}", 2
        while email in used_emails:
            email, suffix = f"{local}{suffix}@{company.domain}", suffix + 1
        used_emails.add(email)
        if position == 0:
            role = Contact.ContactRole.CHAMPION
        elif position == 1 and segment in (Segment.ENTERPRISE, Segment.STRATEGIC):
            role = Contact.ContactRole.EXECUTIVE_SPONSOR
        else:
            role = rng.choice(
                (Contact.ContactRole.ADMIN, Contact.ContactRole.USER, Contact.ContactRole.USER)
            )
        email_consent = _consent(rng, opted_in=0.82, opted_out=0.05)
        whatsapp_consent = _consent(rng, opted_in=0.40, opted_out=0.06)
        consent_day = since + timedelta(days=rng.randrange((today - since).days + 1))
        consent_at = _moment(rng, consent_day, tz, now)
        contacts.append(
            Contact(
                organization=organization,
                name=name,
                email=email,
                phone=_mobile(rng),
                role=role,
                locale=Contact.Locale.EN if english else Contact.Locale.PT_BR,
                is_primary=position == 0,
                email_consent=email_consent,
                email_consent_at=consent_at if email_consent != Consent.UNKNOWN else None,
                whatsapp_consent=whatsapp_consent,
                whatsapp_consent_at=consent_at if whatsapp_consent != Consent.UNKNOWN else None,
            )
        )
    return contacts


def demo_external_id(index: int) -> str:
    return f"{EXTERNAL_ID_PREFIX}{index:04d}"


def _demo_book(
    *,
    organization: Organization,
    owners: tuple[tuple[Membership, int], ...],
    account_count: int,
) -> Iterator[tuple[Account, list[Contact]]]:
    """Every demo account 1..account_count with its contacts, in order, unsaved."""
    rng = random.Random(organization.slug)  # noqa: S311 - demo data, not a secret
    tz = ZoneInfo(organization.time_zone)
    now = timezone.now()
    today = timezone.localdate(now, timezone=tz)
    assigned_weight = sum(weight for _member, weight in owners)
    unassigned_weight = max(1, round(assigned_weight * UNASSIGNED_SHARE))
    owner_choice = _Weighted([*owners, (None, unassigned_weight)])
    used_names: set[str] = set()
    for index in range(1, account_count + 1):
        company = _company(rng, used_names)
        segment = _SEGMENTS.pick(rng)
        owner = owner_choice.pick(rng)
        life = _lifecycle(rng, today)
        account = Account(
            organization=organization,
            name=company.name,
            external_id=demo_external_id(index),
            owner=owner,
            segment=segment,
            industry=company.industry,
            go_live_date=life.go_live_date,
            stage=life.stage,
            stage_entered_at=_moment(rng, life.stage_entered_on, tz, now),
            churned_at=None,
        )
        if life.churned_on is not None:
            account.churned_at = account.stage_entered_at
        since = min(life.go_live_date or today, life.stage_entered_on) - timedelta(days=30)
        contacts = _contacts(
            rng,
            organization=organization,
            company=company,
            segment=segment,
            since=since,
            today=today,
            tz=tz,
            now=now,
        )
        yield account, contacts
