"""Forms of the outreach pages. Validation of templates lives in the model/service (the
no-selling guard and the variable check): the form hands its data to the service and shows
the ValidationError it raises."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from outreach.models import Channel, MessageStatus, OutreachSettings
from tenancy.ids import id_parse

TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class OutreachSettingsForm(forms.ModelForm):
    """Secrets are write-only: never rendered back; empty keeps the stored value."""

    whatsapp_base_url = forms.URLField(
        label=_("WhatsApp API base URL"), max_length=200, assume_scheme="https"
    )
    whatsapp_access_token = forms.CharField(
        label=_("Access token"),
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    whatsapp_app_secret = forms.CharField(
        label=_("App secret (webhook signatures)"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    whatsapp_verify_token = forms.CharField(
        label=_("Verify token (webhook handshake)"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )

    class Meta:
        model = OutreachSettings
        fields = [
            "whatsapp_enabled",
            "whatsapp_base_url",
            "whatsapp_phone_number_id",
            "quiet_hours_start",
            "quiet_hours_end",
            "selling_words_pt_br",
            "selling_words_en",
        ]
        widgets = {
            "quiet_hours_start": TIME_INPUT,
            "quiet_hours_end": TIME_INPUT,
            "selling_words_pt_br": forms.Textarea(attrs={"rows": 4}),
            "selling_words_en": forms.Textarea(attrs={"rows": 4}),
        }

    SECRET_FIELDS = ("whatsapp_access_token", "whatsapp_app_secret", "whatsapp_verify_token")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.SECRET_FIELDS:
            stored = getattr(self.instance, name, "")
            self.fields[name].help_text = (
                _("Stored. Leave empty to keep it.") if stored else _("Not set.")
            )

    def clean(self):
        data = super().clean()
        start, end = data.get("quiet_hours_start"), data.get("quiet_hours_end")
        if (start is None) != (end is None):
            raise forms.ValidationError(
                _("Give both the start and the end of the quiet hours, or neither."),
                code="quiet_hours_incomplete",
            )
        if data.get("whatsapp_enabled"):
            token = data.get("whatsapp_access_token") or self.instance.whatsapp_access_token
            if not data.get("whatsapp_phone_number_id") or not token:
                raise forms.ValidationError(
                    _("To enable WhatsApp, give the phone number ID and the access token."),
                    code="whatsapp_incomplete",
                )
        return data


class MessageTemplateForm(forms.Form):
    subject = forms.CharField(label=_("Email subject"), max_length=200, required=False)
    body = forms.CharField(
        label=_("Body"), max_length=4000, widget=forms.Textarea(attrs={"rows": 14})
    )
    whatsapp_template_name = forms.CharField(
        label=_("Approved WhatsApp template name"),
        max_length=120,
        required=False,
        help_text=_(
            "Sent when the contact has not written in the last 24 hours (WhatsApp only "
            "allows approved templates then). Its body parameters are this template's "
            "variables in order of appearance."
        ),
    )
    whatsapp_template_language = forms.CharField(
        label=_("WhatsApp template language"),
        max_length=12,
        required=False,
        help_text=_("As approved at Meta, e.g. pt_BR or en_US."),
    )


class MessageFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All statuses")), *MessageStatus.choices], required=False
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("All channels")), *Channel.choices], required=False
    )
    account = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_account(self):
        value = self.cleaned_data.get("account")
        if not value:
            return None
        pk = id_parse(value)
        if pk is None:
            raise forms.ValidationError(_("Unknown account."), code="invalid")
        return pk
