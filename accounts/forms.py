from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Contact, HealthBand, Segment, Stage
from accounts.selectors import account_get_by_external_id, owner_choices
from accounts.validators import phone_normalize, region_for_organization


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.user.display_name


class AccountForm(forms.ModelForm):
    class Meta:
        model = Account
        # No stage: the lifecycle engine sets it; a manual change has its own page with a reason.
        fields = ["name", "external_id", "owner", "segment", "industry", "go_live_date"]
        widgets = {"go_live_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        field_classes = {"owner": OwnerChoiceField}

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["owner"].queryset = owner_choices(organization=organization)
        self.fields["owner"].empty_label = _("— Unassigned —")
        self.fields["segment"].choices = [("", _("— None —")), *Segment.choices]

    def clean_external_id(self):
        value = self.cleaned_data["external_id"].strip()
        existing = account_get_by_external_id(organization=self.organization, external_id=value)
        if existing is not None and existing.pk != self.instance.pk:
            raise forms.ValidationError(
                _("Another account (%(name)s) already uses this external ID."),
                code="duplicate_external_id",
                params={"name": existing.name},
            )
        return value

    def _post_clean(self):
        # The model instance is built by the service, not by ModelForm (which would need the
        # organization set and would run the scoped uniqueness queries itself).
        pass


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = [
            "name",
            "email",
            "phone",
            "role",
            "locale",
            "is_primary",
            "email_consent",
            "whatsapp_consent",
        ]
        widgets = {
            "phone": forms.TextInput(attrs={"placeholder": "+5511987654321", "inputmode": "tel"})
        }

    def __init__(self, *args, organization, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.account = account

    def clean_phone(self):
        return phone_normalize(
            self.cleaned_data["phone"], default_region=region_for_organization(self.organization)
        )

    def clean_email(self):
        value = self.cleaned_data["email"].strip().lower()
        if value:
            clash = Contact.objects.filter(
                organization=self.organization, account=self.account, email=value
            ).exclude(pk=self.instance.pk)
            if clash.exists():
                raise forms.ValidationError(
                    _("This account already has a contact with this email."), code="duplicate_email"
                )
        return value

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("email") and not cleaned.get("phone"):
            raise forms.ValidationError(
                _("Give at least an email or a phone number."), code="no_channel"
            )
        return cleaned

    def _post_clean(self):
        pass


class AccountFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    owner = forms.CharField(label=_("Owner"), required=False)
    segment = forms.ChoiceField(
        label=_("Segment"), required=False, choices=[("", _("All segments")), *Segment.choices]
    )
    stage = forms.ChoiceField(
        label=_("Stage"), required=False, choices=[("", _("All stages")), *Stage.choices]
    )
    band = forms.ChoiceField(
        label=_("Health"), required=False, choices=[("", _("All bands")), *HealthBand.choices]
    )
    sort = forms.CharField(required=False)
