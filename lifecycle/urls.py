from django.urls import path  # noqa: F401

from lifecycle import urls_records, urls_tasks

urlpatterns: list = []
urlpatterns += urls_records.urlpatterns
urlpatterns += urls_tasks.urlpatterns

from lifecycle import urls_followup  # noqa: E402

urlpatterns += urls_followup.urlpatterns

from lifecycle import urls_stages  # noqa: E402

urlpatterns += urls_stages.urlpatterns
