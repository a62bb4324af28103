"""Routes of the task and playbook pages (included by lifecycle/urls.py)."""

from django.urls import path

from lifecycle.views import tasks as views

urlpatterns = [
    path("tasks/", views.TaskListView.as_view(), name="task_list"),
    path("tasks/complete/", views.TaskBulkCompleteView.as_view(), name="task_bulk_complete"),
    path("tasks/<int:pk>/edit/", views.TaskEditView.as_view(), name="task_edit"),
    path("tasks/<int:pk>/complete/", views.TaskCompleteView.as_view(), name="task_complete"),
    path("tasks/<int:pk>/reopen/", views.TaskReopenView.as_view(), name="task_reopen"),
    path(
        "accounts/<int:pk>/tasks/",
        views.AccountTasksPanelView.as_view(),
        name="account_tasks_panel",
    ),
    path(
        "accounts/<int:pk>/tasks/new/",
        views.AccountTaskCreateView.as_view(),
        name="account_task_create",
    ),
    path("playbooks/", views.PlaybookListView.as_view(), name="playbook_list"),
    path("playbooks/new/", views.PlaybookCreateView.as_view(), name="playbook_create"),
    path("playbooks/<int:pk>/edit/", views.PlaybookEditView.as_view(), name="playbook_edit"),
    path("playbooks/<int:pk>/toggle/", views.PlaybookToggleView.as_view(), name="playbook_toggle"),
]
