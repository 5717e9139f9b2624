"""Corrections from the public: the form anyone can send about an event or a measure, and
the editors' queue.

May import every layer below ``web``, and ``editing.forms`` for its form."""
