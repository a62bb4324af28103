"""Survey pages: the list (viewer+), create/edit (manager+), the results page (viewer+), the
Account 360 panel with its send form (CSM+ sends), and the public answer page `/s/<token>/`.

The public page needs no login: its token names the invitation, whose organization the tenancy
middleware enters (`@scope_from_token`). Unknown, expired and inactive links all get the same
404 page, so it never tells whether a token existed.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.models import Account
from surveys import selectors, services
from surveys.forms import AnswerForm, ResultsFilterForm, SurveyForm, SurveySendForm
from surveys.models import SCALES, Survey, SurveyKind, SurveyResponse
from surveys.scoring import score_category
from tenancy.middleware import scope_from_token
from tenancy.models import Role, role_at_least
from tenancy.views_base import TenantFormView, TenantObjectMixin, TenantView

PAGE_SIZE = 25


class SurveyListView(TenantView):
    def get(self, request):
        surveys = list(selectors.survey_list(organization=self.organization))
        return render(
            request,
            "surveys/survey_list.html",
            {
                "surveys": surveys,
                "can_manage": role_at_least(self.membership.role, Role.MANAGER),
            },
        )


class _SurveyFormView(TenantFormView):
    read_role = Role.MANAGER
    write_role = Role.MANAGER
    template_name = "surveys/survey_form.html"
    form_class = SurveyForm

    def success_url(self, survey):
        return reverse("survey_detail", args=[survey.pk])


class SurveyCreateView(_SurveyFormView):
    success_message = gettext_lazy("Survey created.")

    def get_object(self):
        return None

    def initial(self, obj):
        return {"kind": SurveyKind.NPS, "active": True}

    def save(self, form, obj):
        self.created = services.survey_create(
            organization=self.organization, actor=self.request.user, **form.cleaned_data
        )

    def form_saved(self, form, obj):
        messages.success(self.request, self.success_message)
        return redirect(self.success_url(self.created))


class SurveyEditView(_SurveyFormView):
    model = Survey
    success_message = gettext_lazy("Survey saved.")

    def initial(self, survey):
        return {name: getattr(survey, name) for name in services.SURVEY_FIELDS}

    def context(self, survey):
        return {"survey": survey}

    def save(self, form, survey):
        services.survey_update(
            organization=self.organization,
            survey=survey,
            actor=self.request.user,
            **form.cleaned_data,
        )


def _response_rows(responses) -> list[SurveyResponse]:
    rows = list(responses)
    for response in rows:
        response.category = score_category(response.kind, response.score)
    return rows


class SurveyDetailView(TenantObjectMixin, TenantView):
    model = Survey

    def get(self, request, pk):
        survey = self.get_object()
        form = ResultsFilterForm(request.GET or None)
        if form.is_bound and form.is_valid():
            since = form.since(self.organization)
            segment = form.cleaned_data["segment"]
        else:  # no filters, or bad ones (shown on the form): the default period
            if not form.is_bound:
                form = ResultsFilterForm(initial={"period": "180"})
            since = ResultsFilterForm.since_for(self.organization, "180")
            segment = ""
        results = selectors.survey_results(
            organization=self.organization, survey=survey, since=since, segment=segment
        )
        responses = selectors.survey_response_list(
            organization=self.organization,
            filters=selectors.ResponseFilters(survey=survey, since=since, segment=segment),
        )
        # The results already counted the rows: no COUNT query for the paginator.
        paginator = Paginator(responses, PAGE_SIZE)
        paginator.count = results.total
        page = paginator.get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        low, high = SCALES[SurveyKind(survey.kind)]
        return render(
            request,
            "surveys/survey_detail.html",
            {
                "survey": survey,
                "form": form,
                "results": results,
                "page": page,
                "rows": _response_rows(page.object_list),
                "querystring": query.urlencode(),
                "question": survey.question_for(
                    translation.get_language() or "en", self.organization.name
                ),
                "scale": f"{low}–{high}",
                "can_manage": role_at_least(self.membership.role, Role.MANAGER),
            },
        )


class AccountSurveysPanelView(TenantObjectMixin, TenantView):
    """The Account 360 `#surveys` fragment: latest answers and, for CSMs, the send form."""

    model = Account

    def get(self, request, pk):
        account = self.get_object()
        can_send = role_at_least(self.membership.role, Role.CSM)
        form = SurveySendForm(organization=self.organization, account=account) if can_send else None
        return render(
            request,
            "surveys/_account_panel.html",
            {
                "account": account,
                "rows": _response_rows(
                    selectors.account_survey_responses(
                        organization=self.organization, account=account
                    )
                ),
                "form": form,
                "has_surveys": form is not None and form.fields["survey"].queryset.exists(),
            },
        )


class AccountSurveySendView(TenantObjectMixin, TenantView):
    """POST survey + contact (an id or "all"): invite and queue the messages; back to the
    account page with what happened."""

    model = Account
    read_role = Role.CSM

    def _back(self, account):
        return redirect(reverse("account_detail", args=[account.pk]) + "#surveys")

    def get(self, request, pk):
        return self._back(self.get_object())

    def post(self, request, pk):
        account = self.get_object()
        form = SurveySendForm(request.POST, organization=self.organization, account=account)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return self._back(account)
        contacts = form.chosen_contacts()
        if not contacts:
            messages.error(request, _("No contact of this account accepts messages."))
            return self._back(account)
        sent = []
        try:
            for contact in contacts:
                sent.append(
                    services.survey_invitation_send(
                        organization=self.organization,
                        survey=form.cleaned_data["survey"],
                        contact=contact,
                        actor=request.user,
                    )
                )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return self._back(account)
        _flash_sent(request, sent)
        return self._back(account)


def _flash_sent(request, sent: list[services.InvitationSent]) -> None:
    queued = sum(1 for item in sent if item.created and item.status != "skipped")
    skipped = sum(1 for item in sent if item.created and item.status == "skipped")
    already = sum(1 for item in sent if not item.created)
    if queued:
        messages.success(
            request,
            ngettext(
                "Survey sent to %(count)s contact.", "Survey sent to %(count)s contacts.", queued
            )
            % {"count": queued},
        )
    if skipped:
        messages.warning(
            request,
            ngettext(
                "%(count)s contact could not be messaged (see Messages for the reason).",
                "%(count)s contacts could not be messaged (see Messages for the reason).",
                skipped,
            )
            % {"count": skipped},
        )
    if already:
        messages.info(
            request,
            ngettext(
                "%(count)s contact already has an open invitation to this survey: not sent again.",
                "%(count)s contacts already have an open invitation to this survey: not sent "
                "again.",
                already,
            )
            % {"count": already},
        )


def _public(request, template: str, context: dict, status: int = 200):
    response = render(request, template, context, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _invalid(request):
    return _public(request, "surveys/public_invalid.html", {}, status=404)


def _locale(invitation) -> str:
    return "pt-br" if invitation.contact.locale == "pt-br" else "en"


@scope_from_token(lambda token: selectors.survey_invitation_get_by_token_unscoped(token=token))
# No CSRF token: the POST is authorised by the secret in its URL, not by a cookie, so there is
# no ambient credential to forge (and browsers with strict privacy settings send
# `Origin: null`, which Django's CSRF check would refuse).
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def survey_answer_view(request, token: str):
    """The public answer page: one tap per score, an optional comment, a thank-you page; the
    answer can be changed for 24 hours, then the page only thanks."""
    if getattr(request, "token_object", None) is None:
        return _invalid(request)
    try:
        invitation = services.survey_invitation_get_for_answer(token=token)
    except services.InvalidSurveyLinkError:
        return _invalid(request)
    zone = ZoneInfo(invitation.organization.time_zone)
    with translation.override(_locale(invitation)), timezone.override(zone):
        return _answer_page(request, token, invitation)


def _answer_page(request, token, invitation):
    survey = invitation.survey
    response = invitation.responses.first()
    editable = response is not None and timezone.now() < response.editable_until
    low, high = SCALES[SurveyKind(survey.kind)]
    context = {
        "invitation": invitation,
        "survey": survey,
        "organization_name": invitation.organization.name,
        "question": survey.question_for(_locale(invitation), invitation.organization.name),
        "scores": list(range(low, high + 1)),
        "response": response,
        "editable": editable,
        "action": request.path,
        "language": _locale(invitation),
    }
    if request.method == "POST":
        if response is not None and not editable:
            return _public(request, "surveys/public_thanks.html", context)
        form = AnswerForm(request.POST)
        if form.is_valid():
            try:
                response = services.survey_response_answer(
                    token=token,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                )
            except services.InvalidSurveyLinkError:
                return _invalid(request)
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                return redirect(request.path + "?thanks=1")
        return _public(request, "surveys/public_answer.html", {**context, "form": form}, 400)
    if response is not None and (request.GET.get("change") != "1" or not editable):
        return _public(request, "surveys/public_thanks.html", context)
    initial = {"comment": response.comment} if response is not None else {}
    return _public(
        request, "surveys/public_answer.html", {**context, "form": AnswerForm(initial=initial)}
    )
