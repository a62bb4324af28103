"""Message templates: the defaults in code, the variables each key may use, rendering, and
the no-selling guard.

Variables are written `{name}` (letters, digits, underscore). Rendering substitutes only
those names — never attribute or index access — so a template cannot reach into objects.
A template using a variable its key does not provide is refused when saved; rendering with a
context that lacks a used variable raises before anything is written.

The no-selling guard (DESIGN.md, 7-day follow-up): every template whose key starts with
`followup.` is refused when its subject or body contains selling words of its language
(defaults below, extended per organization in OutreachSettings) or a price-like amount
("R$ 99", "$99", "10%"), because this contact exists to listen.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,79}$")
GUARDED_PREFIX = "followup."
LOCALES = ("pt-br", "en")

COMMON_VARIABLES = frozenset({"contact_name", "account_name", "csm_name", "organization_name"})
# The variables a key's caller provides; other keys may use the common ones.
KEY_VARIABLES: dict[str, frozenset[str]] = {
    "followup.welcome": COMMON_VARIABLES | {"benefits", "followup_days"},
}

# Sample values for the template preview.
SAMPLE_CONTEXT = {
    "contact_name": "Ana Souza",
    "account_name": "Acme Ltda",
    "csm_name": "Bruno Lima",
    "organization_name": "Jornada",
    "benefits": "Suporte prioritário, 20 licenças, treinamento de implantação",
    "followup_days": "7",
}


@dataclass(frozen=True)
class DefaultTemplate:
    subject: str
    body: str


DEFAULT_TEMPLATES: dict[tuple[str, str], DefaultTemplate] = {
    ("followup.welcome", "pt-br"): DefaultTemplate(
        subject="Boas-vindas à {organization_name}, {contact_name}!",
        body=(
            "Olá, {contact_name}! Aqui é {csm_name}, da {organization_name}.\n\n"
            "Que bom ter a {account_name} com a gente. Quero ajudar vocês a tirar o máximo "
            "proveito desde o começo: se tiver qualquer dúvida sobre como usar o produto, é só "
            "responder esta mensagem que eu mostro o caminho.\n\n"
            "Lembrando o que faz parte do contrato de vocês:\n{benefits}\n\n"
            "E se algo não estiver como esperavam, por menor que seja, me conte: quero ouvir e "
            "resolver. Estou à disposição."
        ),
    ),
    ("followup.welcome", "en"): DefaultTemplate(
        subject="Welcome to {organization_name}, {contact_name}!",
        body=(
            "Hi {contact_name}, this is {csm_name} from {organization_name}.\n\n"
            "We are glad to have {account_name} with us. I would like to help you get the most "
            "out of the product from day one: if anything about using it is unclear, just reply "
            "to this message and I will walk you through it.\n\n"
            "A reminder of what your contract includes:\n{benefits}\n\n"
            "And if anything is not as you expected, however small, tell me: I want to hear it "
            "and fix it. I am here for you."
        ),
    ),
}

DEFAULT_SELLING_WORDS: dict[str, tuple[str, ...]] = {
    "pt-br": (
        "preço",
        "preços",
        "desconto",
        "descontos",
        "promoção",
        "promoções",
        "promocional",
        "cupom",
        "oferta especial",
        "ofertas",
        "upgrade",
        "upsell",
        "comprar",
        "compre",
        "adquira",
        "plano premium",
        "por tempo limitado",
        "mais barato",
        "orçamento",
    ),
    "en": (
        "price",
        "prices",
        "pricing",
        "discount",
        "discounts",
        "promo",
        "promotion",
        "coupon",
        "special offer",
        "upgrade",
        "upgrades",
        "upsell",
        "cross-sell",
        "buy",
        "purchase",
        "premium plan",
        "limited time",
        "cheaper",
        "quote",
    ),
}

# Amounts of money and percentages, in any language ("R$ 99", "$99", "€ 10", "10%", "10 %").
PRICE_PATTERNS = (
    re.compile(r"(?:R\$|US\$|\$|€|£)\s?\d[\d.,]*"),
    re.compile(r"\d+(?:[.,]\d+)?\s?(?:%|por cento\b|percent\b)", re.IGNORECASE),
    re.compile(
        r"\d+(?:[.,]\d+)?\s?(?:reais|dólares|dolares|dollars|euros|BRL|USD|EUR)\b", re.IGNORECASE
    ),
)


def template_variables(text: str) -> list[str]:
    """Variables used in `text`, in order of first appearance."""
    seen: dict[str, None] = {}
    for match in VARIABLE.finditer(text):
        seen.setdefault(match.group(1), None)
    return list(seen)


def allowed_variables(key: str) -> frozenset[str]:
    return KEY_VARIABLES.get(key, COMMON_VARIABLES)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def selling_words_for(*, organization, locale: str) -> list[str]:
    from outreach.selectors import outreach_settings_get

    extra = outreach_settings_get(organization=organization).extra_selling_words(locale)
    return [*DEFAULT_SELLING_WORDS.get(locale, DEFAULT_SELLING_WORDS["en"]), *extra]


def selling_words_find(*, text: str, words: list[str]) -> list[str]:
    """The selling words and price-like amounts found in `text` (case and accent blind, whole
    words), in the order of the list, then the amounts as written."""
    folded = _fold(text)
    found: list[str] = []
    for word in words:
        folded_word = _fold(word)
        if folded_word and re.search(rf"(?<!\w){re.escape(folded_word)}(?!\w)", folded):
            found.append(word)
    for pattern in PRICE_PATTERNS:
        for match in pattern.finditer(text):
            fragment = match.group(0).rstrip(".,").strip()
            if fragment not in found:
                found.append(fragment)
    return found


def template_validate(*, organization, key: str, locale: str, subject: str, body: str) -> None:
    """Raise ValidationError (field errors) for a bad key, unknown variables or, for follow-up
    templates, selling words."""
    errors: dict[str, list[ValidationError]] = {}
    if not KEY_PATTERN.match(key or ""):
        errors.setdefault("key", []).append(
            ValidationError(
                _(
                    "Use lowercase letters, digits, dots, dashes and underscores, e.g. followup.welcome."
                ),
                code="invalid_key",
            )
        )
    allowed = allowed_variables(key)
    for field, text in (("subject", subject), ("body", body)):
        unknown = [name for name in template_variables(text) if name not in allowed]
        if unknown:
            errors.setdefault(field, []).append(
                ValidationError(
                    _("Unknown variables: %(unknown)s. This template may use: %(allowed)s.")
                    % {
                        "unknown": ", ".join(f"{{{name}}}" for name in unknown),
                        "allowed": ", ".join(f"{{{name}}}" for name in sorted(allowed)),
                    },
                    code="unknown_variable",
                )
            )
    if key.startswith(GUARDED_PREFIX) and organization is not None:
        words = selling_words_for(organization=organization, locale=locale)
        for field, text in (("subject", subject), ("body", body)):
            found = selling_words_find(text=text, words=words)
            if found:
                errors.setdefault(field, []).append(
                    ValidationError(
                        _(
                            "A follow-up message must not sell: remove %(words)s. This contact "
                            "exists to listen — no prices, discounts or upgrades."
                        )
                        % {"words": ", ".join(f"“{word}”" for word in found)},
                        code="selling_words",
                    )
                )
    if errors:
        raise ValidationError(errors)


def template_render(*, text: str, context: dict) -> str:
    """Substitute `{name}` with context values; a missing value raises ValidationError."""
    missing = [name for name in template_variables(text) if name not in context]
    if missing:
        raise ValidationError(
            _("Missing values for %(names)s.") % {"names": ", ".join(missing)},
            code="missing_context",
        )
    return VARIABLE.sub(lambda match: str(context[match.group(1)]), text)
