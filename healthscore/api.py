"""REST API v1 resources of the healthscore app.

config/api_urls.py registers every (prefix, viewset, basename) in ROUTES on the v1 router and
appends PATHS (plain views such as reports) under /api/v1/.
"""

ROUTES: list = []
PATHS: list = []
