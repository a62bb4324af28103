"""REST API of this app: ROUTES = [(prefix, viewset, basename)], PATHS = [path(...)]."""

ROUTES: list = []
PATHS: list = []

from lifecycle import api_tasks  # noqa: E402

ROUTES += api_tasks.ROUTES

from lifecycle import api_records  # noqa: E402

ROUTES += api_records.ROUTES

from lifecycle import api_stages  # noqa: E402

ROUTES += api_stages.ROUTES
PATHS += api_stages.PATHS

from lifecycle import api_followup  # noqa: E402

ROUTES += api_followup.ROUTES
