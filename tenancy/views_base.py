"""Base classes for HTML views of tenant data.

`TenantView` requires a signed-in member of the active organization and a minimum role per
HTTP method (reads: `read_role`, writes: `write_role`). `TenantObjectMixin.get_object` looks
the object up inside the active organization only, so another tenant's object is a 404.
`TenantFormView` is the form page over such an object: show, validate, call the service, flash
and redirect, or show the errors again with a 400.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from tenancy.ids import id_parse
from tenancy.models import Role, role_at_least

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class TenantView(View):
    read_role: str = Role.VIEWER
    write_role: str = Role.CSM

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.membership is None:
            return redirect("organization_create")
        self.organization = request.organization
        self.membership = request.membership
        minimum = self.read_role if request.method in SAFE_METHODS else self.write_role
        if not role_at_least(self.membership.role, minimum):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class TenantObjectMixin:
    """For views addressed by `<int:pk>`: `model` is looked up within the organization."""

    model: type | None = None
    select_related: tuple[str, ...] = ()

    def get_queryset(self):
        queryset = self.model.objects.filter(organization=self.request.organization)
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        return queryset

    def get_object(self):
        pk = id_parse(self.kwargs["pk"])
        if pk is None:
            raise Http404
        try:
            return self.get_queryset().get(pk=pk)
        except self.model.DoesNotExist:
            raise Http404 from None


class TenantActionView(TenantObjectMixin, TenantView):
    """A POST-only action on one object (revoke, remove…). A GET looks the object up (so a
    foreign id is still a 404) and goes back to `back_to`."""

    back_to = "home"

    def get(self, request, pk):
        self.get_object()
        return redirect(self.back_to)


def errors_apply(
    form: forms.BaseForm, error: ValidationError, fields: dict[str, str] | None = None
) -> None:
    """Copy a service's ValidationError onto the form. `fields` renames a service field to the
    form's (`{"due_at": "due_date"}`); an unknown field, or an error without fields, becomes a
    form error."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    fields = fields or {}
    for field, field_messages in error.message_dict.items():
        name = fields.get(field, field)
        target = name if name in form.fields else None
        for message in field_messages:
            form.add_error(target, message)


class TenantFormView(TenantObjectMixin, TenantView):
    """A form page over one object: `get_object()` (`model` by `<pk>`, or overridden).

    GET shows `form_class` with `initial(obj)`. POST validates it and calls `save(form, obj)`,
    the service call; when it returns, `success_message` is flashed and the answer redirects
    to `success_url(obj)`. An invalid form, or the service's ValidationError (copied onto the
    form, `error_fields` renaming fields), shows `template_name` again with a 400.

    A view states those, plus `form_kwargs(obj)` (the form's own arguments) and `context(obj)`
    (the template's besides `form`) where it needs them; `form_saved` and `form_failed` are the
    two answers, for a view that answers otherwise (htmx).
    """

    template_name: str
    form_class: type[forms.BaseForm]
    success_message: StrOrPromise = ""
    error_fields: dict[str, str] = {}

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        return {}

    def initial(self, obj: Any) -> dict[str, Any]:
        return {}

    def context(self, obj: Any) -> dict[str, Any]:
        return {}

    def save(self, form: Any, obj: Any) -> None:
        raise NotImplementedError

    def success_url(self, obj: Any) -> str:
        raise NotImplementedError

    def render_form(self, form: forms.BaseForm, obj: Any, status: int = 200) -> HttpResponse:
        context = {"form": form, **self.context(obj)}
        return render(self.request, self.template_name, context, status=status)

    def form_saved(self, form: forms.BaseForm, obj: Any) -> HttpResponse:
        messages.success(self.request, self.success_message)
        return redirect(self.success_url(obj))

    def form_failed(self, form: forms.BaseForm, obj: Any) -> HttpResponse:
        return self.render_form(form, obj, status=400)

    def get(self, request, *args, **kwargs):
        obj = self.get_object()
        form = self.form_class(initial=self.initial(obj), **self.form_kwargs(obj))
        return self.render_form(form, obj)

    def post(self, request, *args, **kwargs):
        obj = self.get_object()
        form = self.form_class(request.POST, **self.form_kwargs(obj))
        if form.is_valid():
            try:
                self.save(form, obj)
            except ValidationError as error:
                errors_apply(form, error, self.error_fields)
            else:
                return self.form_saved(form, obj)
        return self.form_failed(form, obj)
