"""Forms of the healthscore pages: model settings, manual adjustment, events CSV upload."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from healthscore import scoring

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.\-]{0,79}$")


class HealthModelForm(forms.Form):
    key_features = forms.CharField(
        label=_("Key features"),
        required=False,
        help_text=_(
            "Feature keys separated by commas, as in feature.<key> events (e.g. reports, export)."
        ),
        widget=forms.TextInput(attrs={"placeholder": "reports, export, api"}),
    )
    green_min = forms.IntegerField(label=_("Green from"), min_value=1, max_value=100)
    yellow_min = forms.IntegerField(label=_("Yellow from"), min_value=0, max_value=99)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in scoring.COMPONENTS:
            self.fields[f"weight_{name}"] = forms.IntegerField(
                label=scoring.component_label(name), min_value=0, max_value=100
            )
        for name in scoring.DEFAULT_THRESHOLDS:
            self.fields[f"bad_{name}"] = forms.FloatField(label=_("Scores 0 at"))
            self.fields[f"good_{name}"] = forms.FloatField(label=_("Scores 100 at"))

    @classmethod
    def initial_from(cls, config: scoring.ModelConfig) -> dict:
        initial = {
            "key_features": ", ".join(config.key_features),
            "green_min": config.green_min,
            "yellow_min": config.yellow_min,
        }
        for name in scoring.COMPONENTS:
            initial[f"weight_{name}"] = config.weight(name)
        for name in scoring.DEFAULT_THRESHOLDS:
            bad, good = config.threshold(name)
            initial[f"bad_{name}"] = bad
            initial[f"good_{name}"] = good
        return initial

    def clean_key_features(self):
        keys = [
            k.strip().lower() for k in self.cleaned_data["key_features"].split(",") if k.strip()
        ]
        keys = [k.removeprefix("feature.") for k in keys]
        bad = [k for k in keys if not KEY_PATTERN.match(k)]
        if bad:
            raise forms.ValidationError(
                _("Not a feature key: %(keys)s (use a-z, 0-9, _ . -).") % {"keys": ", ".join(bad)}
            )
        if len(keys) > 50:
            raise forms.ValidationError(_("At most 50 key features."))
        return list(dict.fromkeys(keys))

    def clean(self):
        data = super().clean()
        green, yellow = data.get("green_min"), data.get("yellow_min")
        if green is not None and yellow is not None and yellow >= green:
            self.add_error("yellow_min", _("Yellow must start below green."))
        weights = [data.get(f"weight_{n}") or 0 for n in scoring.COMPONENTS]
        if not any(weights):
            raise forms.ValidationError(_("At least one component needs a weight above 0."))
        for name in scoring.DEFAULT_THRESHOLDS:
            if data.get(f"bad_{name}") is not None and data.get(f"bad_{name}") == data.get(
                f"good_{name}"
            ):
                self.add_error(f"good_{name}", _("The two values must differ."))
        return data

    def config(self, version: int = 0) -> scoring.ModelConfig:
        data = self.cleaned_data
        return scoring.ModelConfig(
            version=version,
            weights={n: data[f"weight_{n}"] for n in scoring.COMPONENTS},
            thresholds={
                n: {"bad": data[f"bad_{n}"], "good": data[f"good_{n}"]}
                for n in scoring.DEFAULT_THRESHOLDS
            },
            key_features=tuple(data["key_features"]),
            green_min=data["green_min"],
            yellow_min=data["yellow_min"],
        )

    def component_rows(self):
        rows = []
        for name in scoring.COMPONENTS:
            rows.append(
                {
                    "label": scoring.component_label(name),
                    "weight": self[f"weight_{name}"],
                    "bad": self[f"bad_{name}"] if name in scoring.DEFAULT_THRESHOLDS else None,
                    "good": self[f"good_{name}"] if name in scoring.DEFAULT_THRESHOLDS else None,
                    "unit": scoring_unit(name),
                }
            )
        return rows


def scoring_unit(name: str) -> str:
    units = {
        "breadth": _("percent of key features used (30 days)"),
        "depth": _("percent of contacts active (30 days)"),
        "trend": _("percent change vs previous 30 days"),
        "support": _("open tickets + ½ × opened in 30 days"),
        "recency": _("days since last activity"),
        "billing": _("0 while an invoice is overdue"),
        "sentiment": _("mean of follow-up and touchpoint sentiment (90 days)"),
        "outcomes": _("success-plan objectives on track (at risk 40, missed 0)"),
    }
    return str(units.get(name, ""))


class AdjustmentForm(forms.Form):
    points = forms.IntegerField(label=_("Points (±)"), min_value=-50, max_value=50)
    reason = forms.CharField(label=_("Reason"), max_length=300)
    days = forms.IntegerField(label=_("Counts for (days)"), min_value=1, max_value=90, initial=14)

    def clean_points(self):
        points = self.cleaned_data["points"]
        if points == 0:
            raise forms.ValidationError(_("Give a number of points other than 0."))
        return points


class EventUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Columns: account, name, occurred_at, quantity, contact, idempotency_key."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 5 MB; split it."))
        return upload
