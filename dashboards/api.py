"""REST API of this app: ROUTES = [(prefix, viewset, basename)], PATHS = [path(...)]."""

ROUTES: list = []
PATHS: list = []
