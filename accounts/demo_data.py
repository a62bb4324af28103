"""Demo data: a deterministic, realistic customer book for a demo organization.

Contract:
- Everything is drawn from one `random.Random(slug)` stream, walked over *all* requested
  accounts in order (existing ones included), so the same slug and count always describe the
  same accounts and contacts; only dates move with the day the seed runs.
- Seeding is idempotent: members are found by email, accounts by `external_id`
  (`DEMO-0001`, …); what exists is left untouched, what is missing is created. A second run
  creates nothing.
- Demo users live under `@<slug>.jornada.test` and share one published password. An existing
  organization is only seeded when its owner is that demo owner, so the command can never
  pour demo rows into a real tenant that happens to use the slug.
- Names, industries and phones are hand-written lists (Faker is a dev-only dependency);
  phones are Brazilian mobiles in E.164 (`+55` + a real DDD + a 9-digit number starting
  with 9) that `phonenumbers.is_valid_number` accepts.

`demo_team_ensure` writes control-plane rows only (users, organization, memberships) and
needs no scope; `demo_accounts_seed` writes tenant rows and runs inside the organization's
scope, entered by the caller (the management command).
"""

from __future__ import annotations

import itertools
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Account, Consent, Contact, Segment, Stage
from tenancy.models import Membership, Organization, Role, User
from tenancy.services import organization_create

DEMO_PASSWORD = "jornada-demo"  # noqa: S105 - published on purpose: demo logins only
DEMO_EMAIL_DOMAIN = "jornada.test"
EXTERNAL_ID_PREFIX = "DEMO-"
BATCH_SIZE = 2000  # accounts generated and flushed per round
INSERT_BATCH_SIZE = 1000  # rows per INSERT statement


@dataclass(frozen=True)
class DemoMember:
    role: Role
    local_part: str
    name: str
    # Relative share of the account book; 0 = owns no accounts.
    book_weight: int


DEMO_MEMBERS: tuple[DemoMember, ...] = (
    DemoMember(Role.OWNER, "owner", "Marina Couto", 0),
    DemoMember(Role.ADMIN, "admin", "Rafael Toledo", 0),
    DemoMember(Role.MANAGER, "manager", "Carla Nogueira", 1),
    DemoMember(Role.CSM, "csm", "Lucas Ferreira", 3),
    DemoMember(Role.CSM, "csm2", "Juliana Rocha", 3),
    DemoMember(Role.CSM, "csm3", "Pedro Amaral", 3),
    DemoMember(Role.VIEWER, "viewer", "Sofia Martins", 0),
)
UNASSIGNED_SHARE = 0.07

# ---------------------------------------------------------------------------------------------
# Hand-written name lists
# ---------------------------------------------------------------------------------------------
PT_FIRST_NAMES = (
    "Ana", "Ana Paula", "Beatriz", "Bruna", "Camila", "Carolina", "Débora", "Fernanda",
    "Gabriela", "Isabela", "Juliana", "Larissa", "Letícia", "Luana", "Maria Eduarda",
    "Mariana", "Natália", "Patrícia", "Priscila", "Renata", "Sabrina", "Tatiane", "Thaís",
    "Vanessa", "Aline", "Cláudia", "Helena", "Lívia", "Joana", "Raquel",
    "João", "João Victor", "Pedro", "Lucas", "Gabriel", "Rafael", "Felipe", "Gustavo",
    "Thiago", "Bruno", "Rodrigo", "Diego", "André", "Marcelo", "Leonardo", "Eduardo",
    "Vinícius", "Matheus", "Caio", "Henrique", "Daniel", "Fábio", "Ricardo", "Márcio",
    "Otávio", "Luiz Felipe", "Sérgio", "César", "Renato", "Paulo",
)  # fmt: skip
PT_SURNAMES = (
    "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira",
    "Lima", "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares",
    "Fernandes", "Vieira", "Barbosa", "Rocha", "Dias", "Nascimento", "Andrade", "Moreira",
    "Nunes", "Marques", "Machado", "Mendes", "Freitas", "Cardoso", "Ramos", "Gonçalves",
    "Santana", "Teixeira", "Araújo", "Monteiro", "Moura", "Cavalcanti", "Barros", "Campos",
    "Correia", "Batista", "Azevedo", "Pinto", "Nogueira", "Castro", "Borges", "Melo",
    "Sampaio", "Prado", "Siqueira", "Brandão", "Figueiredo", "Queiroz", "Tavares",
)  # fmt: skip
EN_FIRST_NAMES = (
    "Emily", "Olivia", "Sarah", "Jessica", "Hannah", "Rachel", "Megan", "Laura", "Grace",
    "Chloe", "Emma", "Sophie", "Amanda", "Claire", "James", "Michael", "David", "Daniel",
    "Matthew", "Andrew", "Ryan", "Kevin", "Brian", "Jason", "Thomas", "Christopher",
    "Nathan", "Patrick", "Steven", "Mark",
)  # fmt: skip
EN_SURNAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
    "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White",
    "Harris", "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green",
    "Baker", "Adams", "Nelson", "Carter", "Mitchell", "Roberts", "Turner", "Phillips",
    "Campbell", "Parker", "Evans", "Edwards", "Collins", "Stewart", "Murphy", "Cook", "Reed",
)  # fmt: skip

PT_COMPANY_STEMS = (
    "Nuvem", "Aurora", "Horizonte", "Atlântico", "Ipê", "Jacarandá", "Cerrado", "Pampa",
    "Maré", "Farol", "Vértice", "Sol Nascente", "Estrela do Sul", "Araucária", "Guará",
    "Tucano", "Serra Azul", "Vale Verde", "Rio Claro", "Pedra Branca", "Bandeirante",
    "Brisa", "Âncora", "Alvorada", "Primavera", "Cristal", "Safira", "Jequitibá", "Sabiá",
    "Mandacaru", "Boa Vista", "Lagoa Santa", "Nova Era", "Rota Sul", "Trilha", "Conecta",
    "Integra", "Quintal", "Beija-Flor", "Carnaúba", "Aroeira", "Oceânica", "Planalto",
    "Litoral", "Ponte Alta", "Campo Belo", "Santa Luzia", "Vila Rica", "Tropical", "Capim Dourado",
)  # fmt: skip
# (word, industry, goes before the stem)
PT_SECTORS = (
    ("Serviços", "Serviços", False),
    ("Logística", "Logística", False),
    ("Transportes", "Logística", True),
    ("Alimentos", "Alimentos e bebidas", False),
    ("Distribuidora", "Distribuição", True),
    ("Saúde", "Saúde", False),
    ("Clínicas", "Saúde", True),
    ("Educação", "Educação", False),
    ("Escola", "Educação", True),
    ("Varejo", "Varejo", False),
    ("Magazine", "Varejo", True),
    ("Engenharia", "Construção", False),
    ("Construtora", "Construção", True),
    ("Agro", "Agronegócio", False),
    ("Energia", "Energia", False),
    ("Pagamentos", "Fintech", False),
    ("Crédito", "Fintech", False),
    ("Seguros", "Seguros", False),
    ("Tecnologia", "Software", False),
    ("Sistemas", "Software", False),
    ("Telecom", "Telecomunicações", False),
    ("Imóveis", "Imobiliário", False),
    ("Turismo", "Turismo", False),
    ("Farmácias", "Farmacêutico", True),
    ("Contabilidade", "Serviços profissionais", False),
    ("Consultoria", "Serviços profissionais", False),
    ("Moda", "Varejo", False),
    ("Cosméticos", "Bens de consumo", False),
    ("Indústria", "Manufatura", True),
    ("Metalúrgica", "Manufatura", True),
)
PT_LEGAL_SUFFIXES = ("", "", "", " Ltda.", " Ltda.", " S.A.", " Brasil")

EN_COMPANY_STEMS = (
    "Northwind", "Bluebird", "Summit", "Redwood", "Silverline", "Brightpath", "Ironclad",
    "Keystone", "Lighthouse", "Evergreen", "Bluewater", "Cobalt", "Granite", "Harbor",
    "Maple", "Oakridge", "Pinnacle", "Riverbend", "Stonebridge", "Tidewater", "Westfield",
    "Clearview", "Crescent", "Falcon", "Juniper", "Meridian", "Nimbus", "Orion", "Sterling",
    "Vantage", "Willow", "Zephyr", "Beacon", "Copperleaf", "Driftwood", "Halcyon", "Lakeshore",
)  # fmt: skip
EN_SECTORS = (
    ("Analytics", "Software"),
    ("Health", "Healthcare"),
    ("Healthcare", "Healthcare"),
    ("Logistics", "Logistics"),
    ("Payments", "Fintech"),
    ("Capital", "Fintech"),
    ("Labs", "Software"),
    ("Software", "Software"),
    ("Retail", "Retail"),
    ("Foods", "Food & beverage"),
    ("Energy", "Energy"),
    ("Media", "Media"),
    ("Learning", "Education"),
    ("Insurance", "Insurance"),
    ("Robotics", "Manufacturing"),
    ("Systems", "Software"),
    ("Security", "Cybersecurity"),
    ("Travel", "Travel"),
    ("Realty", "Real estate"),
    ("Biotech", "Biotech"),
)
EN_LEGAL_SUFFIXES = ("", "", " Inc.", " LLC", " Ltd.", " Group")

# A branch name keeps large books from repeating the same company name over and over.
BRANCH_CITIES = (
    "São Paulo", "Campinas", "Rio de Janeiro", "Belo Horizonte", "Curitiba", "Porto Alegre",
    "Florianópolis", "Joinville", "Brasília", "Goiânia", "Salvador", "Recife", "Fortaleza",
    "Manaus", "Belém", "Vitória", "Ribeirão Preto", "Sorocaba", "Londrina", "Natal",
)  # fmt: skip

# Real area codes (DDD), weighted roughly by where Brazilian SaaS customers are.
PHONE_AREA_CODES = (
    (11, 30), (12, 2), (13, 2), (15, 2), (16, 2), (19, 6), (21, 12), (24, 1), (27, 3),
    (31, 8), (34, 1), (41, 6), (43, 2), (47, 3), (48, 3), (51, 6), (54, 1), (61, 5), (62, 3),
    (65, 1), (67, 1), (71, 4), (81, 4), (83, 1), (84, 1), (85, 4), (91, 2), (92, 2), (98, 1),
)  # fmt: skip

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


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DemoLogin:
    role: Role
    email: str


@dataclass(frozen=True)
class DemoTeam:
    organization: Organization
    created: bool
    logins: tuple[DemoLogin, ...]
    # (membership, share of the account book) for everyone who owns accounts.
    book_owners: tuple[tuple[Membership, int], ...]


@dataclass(frozen=True)
class DemoSeedResult:
    accounts_created: int
    contacts_created: int
    account_count: int
    contact_count: int

    @property
    def changed(self) -> bool:
        return bool(self.accounts_created or self.contacts_created)


class NotADemoOrganizationError(Exception):
    """The slug belongs to an organization the demo seed did not create."""


# ---------------------------------------------------------------------------------------------
# Team
# ---------------------------------------------------------------------------------------------
def demo_organization_name(slug: str) -> str:
    if slug == "demo":
        return "Demo — Nuvem Serviços"
    return f"Demo — {slug.replace('-', ' ').title()}"


def demo_email(*, slug: str, local_part: str) -> str:
    return f"{local_part}@{slug}.{DEMO_EMAIL_DOMAIN}"


def _demo_users_ensure(*, slug: str) -> dict[str, User]:
    """The demo users by local part; existing ones are kept as they are (password included)."""
    emails = {
        member.local_part: demo_email(slug=slug, local_part=member.local_part)
        for member in DEMO_MEMBERS
    }
    users = {user.email: user for user in User.objects.filter(email__in=emails.values())}
    missing = [member for member in DEMO_MEMBERS if emails[member.local_part] not in users]
    if missing:
        # One hash for every demo user: the password is published anyway, and each PBKDF2
        # run costs a noticeable fraction of a second.
        password_hash = make_password(DEMO_PASSWORD)
        for member in missing:
            email = emails[member.local_part]
            users[email] = User.objects.create(
                email=email, name=member.name, password=password_hash
            )
            # Verified, so signing in works even with ACCOUNT_EMAIL_VERIFICATION="mandatory".
            EmailAddress.objects.create(user=users[email], email=email, verified=True, primary=True)
    return {local_part: users[email] for local_part, email in emails.items()}


@transaction.atomic
def demo_team_ensure(*, slug: str) -> DemoTeam:
    """The demo organization for `slug` and one user per DEMO_MEMBERS entry; creates what is
    missing. Raises NotADemoOrganizationError when `slug` is taken by a non-demo tenant."""
    users = _demo_users_ensure(slug=slug)
    owner = users[DEMO_MEMBERS[0].local_part]
    organization = Organization.objects.filter(slug=slug).first()
    created = organization is None
    if organization is None:
        organization = organization_create(
            name=demo_organization_name(slug),
            owner=owner,
            slug=slug,
            time_zone="America/Sao_Paulo",
            currency="BRL",
            locale=Organization.Locale.PT_BR,
        )
    elif not Membership.objects.filter(
        organization=organization, user=owner, role=Role.OWNER
    ).exists():
        raise NotADemoOrganizationError(slug)

    book_owners = []
    for member in DEMO_MEMBERS:
        membership, _created = Membership.objects.get_or_create(
            organization=organization,
            user=users[member.local_part],
            defaults={"role": member.role},
        )
        if member.book_weight:
            book_owners.append((membership, member.book_weight))
    return DemoTeam(
        organization=organization,
        created=created,
        logins=tuple(
            DemoLogin(role=member.role, email=users[member.local_part].email)
            for member in DEMO_MEMBERS
        ),
        book_owners=tuple(book_owners),
    )


# ---------------------------------------------------------------------------------------------
# Accounts and contacts
# ---------------------------------------------------------------------------------------------
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


@transaction.atomic
def demo_accounts_seed(
    *,
    organization: Organization,
    book_owners: tuple[tuple[Membership, int], ...],
    account_count: int,
) -> DemoSeedResult:
    """Create the demo accounts 1..account_count that do not exist yet, with their contacts.

    Runs inside `organization`'s scope. Rows go in with `bulk_create`, BATCH_SIZE accounts
    at a time, so 100k accounts are a few hundred INSERTs, not a save() per row.
    """
    for membership, _weight in book_owners:
        if membership.organization_id != organization.id:
            raise ValueError("Account owners must be members of the organization.")
    existing = set(
        Account.objects.filter(
            organization=organization, external_id__startswith=EXTERNAL_ID_PREFIX
        ).values_list("external_id", flat=True)
    )
    # The stream is walked from account 1 so each account gets its usual values; it stops at
    # the last missing one, and is not walked at all when nothing is missing.
    last_missing = max(
        (i for i in range(1, account_count + 1) if demo_external_id(i) not in existing),
        default=0,
    )
    accounts_created = contacts_created = 0
    pending: list[tuple[Account, list[Contact]]] = []

    def flush() -> None:
        nonlocal accounts_created, contacts_created
        if not pending:
            return
        accounts = Account.objects.bulk_create(
            [account for account, _contacts in pending], batch_size=INSERT_BATCH_SIZE
        )
        rows = []
        for account, contacts in pending:
            for contact in contacts:
                contact.account = account
                rows.append(contact)
        Contact.objects.bulk_create(rows, batch_size=INSERT_BATCH_SIZE)
        accounts_created += len(accounts)
        contacts_created += len(rows)
        pending.clear()

    for account, contacts in _demo_book(
        organization=organization, owners=book_owners, account_count=last_missing
    ):
        if account.external_id in existing:
            continue
        pending.append((account, contacts))
        if len(pending) >= BATCH_SIZE:
            flush()
    flush()
    return DemoSeedResult(
        accounts_created=accounts_created,
        contacts_created=contacts_created,
        account_count=Account.objects.filter(organization=organization).count(),
        contact_count=Contact.objects.filter(organization=organization).count(),
    )
