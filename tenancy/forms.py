from allauth.core import context as allauth_context
from django import forms
from django.utils.translation import gettext_lazy as _

from tenancy.models import TIME_ZONE_CHOICES, ApiKey, Organization, Role


class SignupOrganizationForm(forms.Form):
    """Extra fields on allauth's signup: the person's name and their organization."""

    field_order = ["name", "organization_name", "email", "password1", "password2"]

    name = forms.CharField(label=_("Your name"), max_length=150)
    organization_name = forms.CharField(
        label=_("Company name"),
        max_length=120,
        required=False,
        help_text=_("We create your workspace with this name. Leave empty if you were invited."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs.update(autocomplete="name")
        self.fields["organization_name"].widget.attrs.update(autocomplete="organization")

    def clean(self):
        cleaned = super().clean()
        request = allauth_context.request
        invited = bool(request and request.session.get("pending_invitation_token"))
        if not invited and not (cleaned.get("organization_name") or "").strip():
            self.add_error("organization_name", _("Tell us your company's name."))
        return cleaned

    def signup(self, request, user):
        from tenancy.services import organization_create

        user.name = self.cleaned_data["name"].strip()
        user.save(update_fields=["name"])
        if not request.session.get("pending_invitation_token"):
            organization = organization_create(
                name=self.cleaned_data["organization_name"],
                owner=user,
                locale="pt-br" if (request.LANGUAGE_CODE or "").startswith("pt") else "en",
            )
            request.session["active_organization_id"] = organization.id


class OrganizationForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES)

    class Meta:
        model = Organization
        fields = ["name", "time_zone", "currency", "locale"]

    def clean_currency(self):
        value = self.cleaned_data["currency"].strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise forms.ValidationError(_("Use a three-letter ISO code, such as BRL or USD."))
        return value


class OrganizationCreateForm(forms.Form):
    name = forms.CharField(label=_("Company name"), max_length=120)


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.CSM)

    def __init__(self, *args, can_invite_owner: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_invite_owner:
            self.fields["role"].choices = [c for c in Role.choices if c[0] != Role.OWNER]


class MembershipRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80, help_text=_("Where this key is used."))
    scope = forms.ChoiceField(
        label=_("Access"), choices=ApiKey.Scope.choices, initial=ApiKey.Scope.READ
    )
