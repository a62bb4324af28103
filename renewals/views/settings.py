"""The renewals settings page (admin)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from renewals import services
from renewals.forms import RenewalSettingsForm
from tenancy.models import Role
from tenancy.views_base import TenantView


class RenewalSettingsView(TenantView):
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    def get(self, request):
        form = RenewalSettingsForm(
            initial={
                "renewal_window_days": services.renewal_window_days(organization=self.organization)
            }
        )
        return render(request, "renewals/settings.html", {"form": form})

    def post(self, request):
        form = RenewalSettingsForm(request.POST)
        if form.is_valid():
            services.renewal_settings_update(
                organization=self.organization,
                actor=request.user,
                renewal_window_days=form.cleaned_data["renewal_window_days"],
            )
            messages.success(request, _("Renewal settings saved."))
            return redirect("renewal_settings")
        return render(request, "renewals/settings.html", {"form": form}, status=400)
