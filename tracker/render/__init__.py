"""Render: records, CSV rows, the data package, Plotly figures, the OpenAPI description
and the plain-words captions, built from what ``read`` returns.

May import ``core``, ``db`` and ``read``; never Flask views or request state, so each
output can be tested as a function of its input."""
