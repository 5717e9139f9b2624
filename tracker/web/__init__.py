"""Web: the public blueprints (home, lists and details, charts, feeds, methodology and the
data package), error pages, caching headers and security headers; templates and static files
sit beside this package in ``tracker/templates`` and ``tracker/static``.

Views are thin: parse (``read``) → query (``read``) → render (``render``). May import every
layer below; never ``editing``, ``accounts`` or ``corrections``, which are blueprints of
their own."""
