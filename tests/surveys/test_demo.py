from surveys.demo import demo_surveys_seed
from surveys.models import Survey, SurveyResponse
from surveys.signals import survey_answered
from tests.accounts.factories import AccountFactory, ContactFactory


def test_seed_is_idempotent_spread_and_silent(org, in_scope):
    sent = []

    def receiver(**kwargs):
        sent.append(kwargs)

    survey_answered.connect(receiver, weak=False)
    try:
        for band in ["green"] * 40 + ["yellow"] * 20 + ["red"] * 20:
            ContactFactory(account=AccountFactory(organization=org, health_band=band))
        with in_scope(org):
            first = demo_surveys_seed(organization=org)
            second = demo_surveys_seed(organization=org)
            nps = Survey.objects.get(kind="nps")
            scores = list(nps.responses.values_list("score", flat=True))
    finally:
        survey_answered.disconnect(receiver)

    assert first == {"surveys": 2, "responses": 78}
    assert second == {}
    assert len(scores) == 60
    assert any(s >= 9 for s in scores)
    assert any(7 <= s <= 8 for s in scores)
    assert any(s <= 6 for s in scores)
    assert sent == []
    with in_scope(org):
        assert SurveyResponse.objects.exclude(comment="").exists()
