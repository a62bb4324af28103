"""Account pages: list (search, filters, sort, pagination), create/edit/delete, Account 360,
contacts. Every object is looked up inside the active organization (404 otherwise)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts import selectors, services
from accounts.forms import AccountFilterForm, AccountForm, ContactForm
from accounts.models import Account, Contact, Stage
from tenancy.ids import id_parse
from tenancy.models import Role
from tenancy.views_base import TenantObjectMixin, TenantView

PAGE_SIZE = 50


def account_filters_from_form(form: AccountFilterForm) -> selectors.AccountFilters:
    data = form.cleaned_data if form.is_valid() else {}
    owner_value = (data.get("owner") or "").strip()
    owner = id_parse(owner_value)
    return selectors.AccountFilters(
        q=(data.get("q") or "").strip(),
        owner=owner,
        unowned=owner_value == "none",
        segment=data.get("segment") or "",
        stage=data.get("stage") or "",
        band=data.get("band") or "",
        sort=data.get("sort") or "name",
    )


class AccountListView(TenantView):
    def get(self, request):
        form = AccountFilterForm(request.GET or None)
        filters = account_filters_from_form(form)
        queryset = selectors.account_list(organization=self.organization, filters=filters)
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        sort_query = query.copy()
        sort_query.pop("sort", None)
        context = {
            "form": form,
            "filters": filters,
            "page": page,
            "owners": selectors.owner_choices(organization=self.organization),
            "stages": Stage.choices,
            "querystring": query.urlencode(),
            "sort_querystring": sort_query.urlencode(),
            "sorts": selectors.ACCOUNT_SORTS,
        }
        template = "accounts/_account_table.html" if request.htmx else "accounts/account_list.html"
        return render(request, template, context)


class AccountCreateView(TenantView):
    read_role = Role.CSM  # the form itself is for editors

    def get(self, request):
        form = AccountForm(organization=self.organization)
        return render(request, "accounts/account_form.html", {"form": form})

    def post(self, request):
        form = AccountForm(request.POST, organization=self.organization)
        if form.is_valid():
            account = services.account_create(
                organization=self.organization, actor=request.user, **form.cleaned_data
            )
            messages.success(request, _("Account “%(name)s” created.") % {"name": account.name})
            return redirect("account_detail", pk=account.pk)
        return render(request, "accounts/account_form.html", {"form": form}, status=400)


class AccountDetailView(TenantObjectMixin, TenantView):
    model = Account
    select_related = ("owner__user",)

    def get(self, request, pk):
        account = self.get_object()
        contacts = selectors.contact_list_for_account(
            organization=self.organization, account=account
        )
        return render(
            request, "accounts/account_detail.html", {"account": account, "contacts": contacts}
        )


class AccountEditView(TenantObjectMixin, TenantView):
    model = Account
    read_role = Role.CSM

    def get(self, request, pk):
        account = self.get_object()
        form = AccountForm(instance=account, organization=self.organization)
        return render(request, "accounts/account_form.html", {"form": form, "account": account})

    def post(self, request, pk):
        account = self.get_object()
        form = AccountForm(request.POST, instance=account, organization=self.organization)
        if form.is_valid():
            services.account_update(
                organization=self.organization,
                account=account,
                actor=request.user,
                **form.cleaned_data,
            )
            messages.success(request, _("Account saved."))
            return redirect("account_detail", pk=account.pk)
        return render(
            request, "accounts/account_form.html", {"form": form, "account": account}, status=400
        )


class AccountDeleteView(TenantObjectMixin, TenantView):
    model = Account
    read_role = Role.MANAGER
    write_role = Role.MANAGER

    def get(self, request, pk):
        return render(
            request, "accounts/account_confirm_delete.html", {"account": self.get_object()}
        )

    def post(self, request, pk):
        account = self.get_object()
        services.account_delete(organization=self.organization, account=account, actor=request.user)
        messages.success(request, _("Account “%(name)s” deleted.") % {"name": account.name})
        return redirect("account_list")


class ContactCreateView(TenantObjectMixin, TenantView):
    """Addressed by the account's pk: adds a contact to that account."""

    model = Account
    read_role = Role.CSM

    def get(self, request, pk):
        account = self.get_object()
        form = ContactForm(organization=self.organization, account=account)
        return render(request, "accounts/contact_form.html", {"form": form, "account": account})

    def post(self, request, pk):
        account = self.get_object()
        form = ContactForm(request.POST, organization=self.organization, account=account)
        if form.is_valid():
            services.contact_create(
                organization=self.organization,
                actor=request.user,
                account=account,
                **form.cleaned_data,
            )
            messages.success(request, _("Contact added."))
            return redirect("account_detail", pk=account.pk)
        return render(
            request, "accounts/contact_form.html", {"form": form, "account": account}, status=400
        )


class ContactEditView(TenantObjectMixin, TenantView):
    model = Contact
    read_role = Role.CSM
    select_related = ("account",)

    def get(self, request, pk):
        contact = self.get_object()
        form = ContactForm(
            instance=contact, organization=self.organization, account=contact.account
        )
        return render(
            request,
            "accounts/contact_form.html",
            {"form": form, "account": contact.account, "contact": contact},
        )

    def post(self, request, pk):
        contact = self.get_object()
        form = ContactForm(
            request.POST, instance=contact, organization=self.organization, account=contact.account
        )
        if form.is_valid():
            services.contact_update(
                organization=self.organization,
                contact=contact,
                actor=request.user,
                **form.cleaned_data,
            )
            messages.success(request, _("Contact saved."))
            return redirect("account_detail", pk=contact.account_id)
        return render(
            request,
            "accounts/contact_form.html",
            {"form": form, "account": contact.account, "contact": contact},
            status=400,
        )


class ContactDeleteView(TenantObjectMixin, TenantView):
    model = Contact
    select_related = ("account",)

    def get(self, request, pk):
        return redirect("account_detail", pk=self.get_object().account_id)

    def post(self, request, pk):
        contact = self.get_object()
        services.contact_delete(organization=self.organization, contact=contact, actor=request.user)
        messages.success(request, _("Contact removed."))
        return redirect("account_detail", pk=contact.account_id)
