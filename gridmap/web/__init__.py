"""web: the pages and the JSON API. One blueprint per audience (signin, overview, center, field,
cases, planner, admin, audit, open311, and the JSON APIs api, incidents_api, planner_api), each
only parsing, calling a service and rendering; and the helpers they share: who is asking and
what they may do (``users``, ``access``), errors (``errors``), maps made offline (``mapping``,
``offline``, ``basemap``), JSON out (``jsonout``), the server (``serving``).

Blueprints never import each other, the data layer or the demo (tests/test_house.py).
"""
