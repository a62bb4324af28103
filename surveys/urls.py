from django.urls import path

from surveys import views

urlpatterns = [
    path("surveys/", views.SurveyListView.as_view(), name="survey_list"),
    path("surveys/new/", views.SurveyCreateView.as_view(), name="survey_create"),
    path("surveys/<int:pk>/", views.SurveyDetailView.as_view(), name="survey_detail"),
    path("surveys/<int:pk>/edit/", views.SurveyEditView.as_view(), name="survey_edit"),
    path(
        "accounts/<int:pk>/surveys/",
        views.AccountSurveysPanelView.as_view(),
        name="account_surveys_panel",
    ),
    path(
        "accounts/<int:pk>/surveys/send/",
        views.AccountSurveySendView.as_view(),
        name="account_survey_send",
    ),
    path("s/<str:token>/", views.survey_answer_view, name="survey_answer"),
]
