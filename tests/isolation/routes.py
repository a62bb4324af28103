"""Walk the URLconf and classify every route for the isolation tests.

Each route is one of:
- an *object route*: it has a `pk` kwarg and its view names the model it addresses
  (DRF: `queryset.model`; Django views: `model`) — tested against another tenant's object;
- a *collection route*: no kwargs — tested for leaks of another tenant's data;
- an allowlisted route (public, authentication, platform admin, non-object kwargs).
An unclassifiable route fails the tests, so new routes are covered by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# Routes outside tenant data, by namespace-qualified name or prefix, each with the reason.
PUBLIC_ROUTE_NAMES = {
    "home": "public landing / redirect",
    "healthz": "liveness probe",
    "set_language": "language cookie",
    "api_schema": "OpenAPI schema (no data)",
    "api_docs": "Swagger UI (no data)",
    "organization_switch": "switches among the user's own memberships (tested in tenancy tests)",
    "organization_create": "creates a new organization for the user",
    "invitation_accept": "tokenized public link (tested in tenancy tests)",
    "survey_answer": "public survey link: its 256-bit token names the invitation and its "
    "organization; unknown/expired/foreign tokens tested in tests/surveys/test_public_page.py",
    "whatsapp_webhook": "public provider webhook: its token names the organization and the "
    "app-secret HMAC authenticates it; cross-tenant safety in tests/outreach/test_webhook.py",
}
PUBLIC_PATH_PREFIXES = {
    "admin/": "platform admin, staff only",
    "auth/": "django-allauth sign-in, sign-up, email and MFA pages (the user's own)",
    "i18n/": "language cookie",
}
# Routes whose kwargs are not object ids.
NON_OBJECT_KWARG_ROUTES = {
    "account_import_sample": "kind of sample CSV (accounts/contacts), no tenant data",
    "message_template_edit": "addressed by (template key, language) inside the active "
    "organization, never by id; tested in tests/outreach/test_views.py",
}


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    callback: object
    kwargs: tuple[str, ...]

    @property
    def view_class(self):
        return getattr(self.callback, "view_class", None) or getattr(self.callback, "cls", None)

    @property
    def is_api(self) -> bool:
        return self.name.startswith("api:")

    @property
    def model(self):
        view_class = self.view_class
        if view_class is None:
            return None
        queryset = getattr(view_class, "queryset", None)
        if queryset is not None:
            return queryset.model
        return getattr(view_class, "model", None)

    @property
    def allowed_methods(self) -> set[str]:
        actions = getattr(self.callback, "actions", None)
        if actions:
            return {method.upper() for method in actions}
        view_class = self.view_class
        if view_class is None:
            return {"GET", "POST"}
        return {m.upper() for m in view_class.http_method_names if hasattr(view_class, m)} - {
            "OPTIONS",
            "HEAD",
        }


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else ""
            regex = entry.pattern.regex
            yield Route(
                name=name,
                pattern=prefix + str(entry.pattern),
                callback=entry.callback,
                kwargs=tuple(regex.groupindex),
            )


def all_routes() -> list[Route]:
    routes = []
    for route in _walk(get_resolver().url_patterns):
        if route.name.endswith("-root") or "format" in route.kwargs:
            continue  # DRF's format-suffix duplicates
        routes.append(route)
    return routes


def is_public(route: Route) -> bool:
    return route.name in PUBLIC_ROUTE_NAMES or route.pattern.startswith(tuple(PUBLIC_PATH_PREFIXES))


def object_routes() -> list[Route]:
    return [r for r in all_routes() if not is_public(r) and r.kwargs == ("pk",)]


def collection_routes() -> list[Route]:
    return [r for r in all_routes() if not is_public(r) and not r.kwargs]


def unclassified_routes() -> list[Route]:
    result = []
    for route in all_routes():
        if is_public(route) or route.name in NON_OBJECT_KWARG_ROUTES:
            continue
        if not route.name or (route.kwargs and (route.kwargs != ("pk",) or route.model is None)):
            result.append(route)
    return result
