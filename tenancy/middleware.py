"""The one place a web or API request enters its tenant scope.

The organization comes from the API key (`Authorization: Bearer jor_…`) or, for a signed-in
user, from the session's active organization (falling back to their first membership). The
view then runs inside `django_scopes.scope(organization=…)`; with no organization the scope
stays closed and any tenant query raises (fail-closed).

Public tokenized links (an invitation, later a survey) are the one exception to "the session
decides": their view is marked with `@scope_from_token(resolver)`, and `process_view` enters
the scope of the organization that owns the token (the resolver finds the row by the hash of
its secret), handing the row to the view as `request.token_object`.

A signed-in member's pages show and read times in the organization's time zone (the zone
its "days" are counted in); API-key requests keep UTC, so integrations see stable offsets.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.utils import timezone
from django_scopes import scope

from tenancy.selectors import api_key_get_for_authentication_unscoped, membership_get_for_user
from tenancy.services import api_key_touch

SESSION_KEY = "active_organization_id"


class TenantScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.organization = None
        request.membership = None
        request.api_key = None
        request.api_key_invalid = False

        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            api_key = api_key_get_for_authentication_unscoped(raw_key=header[7:].strip())
            if api_key is None:
                request.api_key_invalid = True
            else:
                request.api_key = api_key
                request.organization = api_key.organization
        elif request.user.is_authenticated:
            membership = membership_get_for_user(
                user=request.user, organization_id=request.session.get(SESSION_KEY)
            )
            if membership is not None:
                request.membership = membership
                request.organization = membership.organization
                if request.session.get(SESSION_KEY) != membership.organization_id:
                    request.session[SESSION_KEY] = membership.organization_id

        if request.organization is None:
            return self.get_response(request)
        with scope(organization=request.organization):
            if request.api_key is not None:
                api_key_touch(api_key=request.api_key)
                return self.get_response(request)
            timezone.activate(ZoneInfo(request.organization.time_zone))
            try:
                return self.get_response(request)
            finally:
                timezone.deactivate()

    def process_view(self, request, view_func, view_args, view_kwargs):
        resolver = getattr(view_func, "scope_token_resolver", None)
        if resolver is None:
            return None
        token_object = resolver(**view_kwargs)
        request.token_object = token_object
        if token_object is None:
            response = view_func(request, *view_args, **view_kwargs)
        else:
            with scope(organization=token_object.organization):
                response = view_func(request, *view_args, **view_kwargs)
        # The URL holds a secret: a Referer carries the origin only, never the path. Not
        # "no-referrer": under it browsers send `Origin: null` on the page's own POST, which
        # Django's CSRF check refuses (the invitation accept form).
        response["Referrer-Policy"] = "strict-origin"
        return response


def scope_from_token(resolver):
    """Mark a public view whose URL token decides the organization scope."""

    def decorate(view_func):
        view_func.scope_token_resolver = resolver
        return view_func

    return decorate


def activate_organization(request, organization_id: int) -> None:
    request.session[SESSION_KEY] = organization_id
