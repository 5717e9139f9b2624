"""Read: request parameters → ``Filters`` → queries, and the data the charts are drawn
from. One filter layer shared by HTML, JSON, CSV, feeds and charts.

May import ``core`` and ``db`` (and werkzeug's HTTP errors, so a bad parameter is a 400 that
names it); never rendering, views or editing."""
