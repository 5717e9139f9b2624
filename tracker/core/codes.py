"""What identifiers look like: slugs, ISO country and region codes.

One definition for the data files, the filters, the forms and the data package's schema, so a
slug the loader accepts is one the filters accept (and the other way round)."""

from __future__ import annotations

import re

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
REGION_RE = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
