"""Core: the domain's vocabulary, the status rules, dates and places.

Pure Python: no Flask, no database, no HTTP. Everything else may import it; it imports
nothing of the tracker's but itself. Why a layer of its own: the status rules and the
vocabulary are the record's definitions, and must be testable (and readable) without a
running app."""
