"""Controlled vocabularies: every category the tracker stores, with a label and a definition.

Why one module: forms, filters, facets, CSV headers, the database CHECK constraints and the
methodology page all read the terms from here, so a category cannot drift between them
(Open States' ``common.py`` is the model).

Policy for adding a term: add it here with a label and a one-line definition, add an
Alembic migration that widens the CHECK constraint, and mention it in ``data/README.md``.
Never rename a term in place: published CSVs and URLs use the codes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    code: str
    label: str
    definition: str


class Vocabulary:
    """An ordered set of terms; order is meaningful (lifecycle order, strength order)."""

    def __init__(self, name: str, terms: list[Term]):
        self.name = name
        self.terms = terms
        self._by_code = {t.code: t for t in terms}
        if len(self._by_code) != len(terms):
            raise ValueError(f"duplicate code in vocabulary {name}")

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self):
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    @property
    def codes(self) -> list[str]:
        return [t.code for t in self.terms]

    def label(self, code: str | None) -> str:
        if code is None:
            return ""
        term = self._by_code.get(code)
        return term.label if term else code

    def definition(self, code: str) -> str:
        return self._by_code[code].definition

    def choices(self) -> list[tuple[str, str]]:
        """(code, label) pairs for WTForms select fields."""
        return [(t.code, t.label) for t in self.terms]

    def index(self, code: str) -> int:
        return self.codes.index(code)


ACTOR_KINDS = Vocabulary(
    "actor kind",
    [
        Term("country", "Country", "A sovereign state, or the EU as a bloc (country code EU)."),
        Term("region", "State or region", "A first-level subdivision: a US state, a province."),
        Term("county", "County", "A county or equivalent second-level government."),
        Term("city", "City or town", "A municipality: city, town, township."),
        Term(
            "agency",
            "Agency",
            "A government body that is not a legislature or court: a police "
            "department, a regulator, an executive office.",
        ),
        Term(
            "legislature",
            "Legislature",
            "A law-making body: Congress, a state legislature, a "
            "city council acting as a body distinct from its city.",
        ),
        Term("court", "Court", "A court or tribunal."),
        Term("company", "Company", "A business, including its shareholders acting as such."),
        Term(
            "organisation",
            "Organisation",
            "A non-governmental organisation, coalition, university centre, newspaper or research group.",
        ),
        Term("person", "Person", "An individual acting in their own name (a researcher, a journalist)."),
        Term(
            "international_body",
            "International body",
            "An institution above the state: the European Commission, the European Parliament, a UN body.",
        ),
    ],
)

PLACE_KINDS = ("country", "region", "county", "city")

MEASURE_TYPES = Vocabulary(
    "measure type",
    [
        # Order is strength on the map: earlier terms are stronger.
        Term("ban", "Ban", "Prohibits the use of a technology outright, without an end date."),
        Term("moratorium", "Moratorium", "Prohibits use for a period, or until conditions are met."),
        Term(
            "restriction",
            "Restriction",
            "Allows use under limits: warrants, consent, listed purposes, prohibited uses.",
        ),
        Term(
            "oversight",
            "Oversight",
            "Requires approval, reporting, audits or public process before or while a technology is used.",
        ),
        Term(
            "discontinuation",
            "Discontinuation",
            "A government's decision to stop using a "
            "technology or to end a vendor's contract, without a rule against future use.",
        ),
        Term(
            "corporate_moratorium",
            "Corporate moratorium",
            "A company's pause on selling or "
            "offering a technology, for a period or until conditions are met.",
        ),
        Term(
            "corporate_exit",
            "Corporate exit",
            "A company's decision to stop offering a technology altogether.",
        ),
        Term(
            "corporate_restriction",
            "Corporate restriction",
            "A company's limits on who may use its technology or for what.",
        ),
        Term(
            "court_order",
            "Court or regulator order",
            "An order, judgment or consent decree that imposes rules on a party.",
        ),
        Term("settlement", "Settlement", "An agreement ending a dispute that imposes rules on a party."),
        Term("resolution", "Resolution", "A non-binding call by a legislature or body."),
    ],
)

MAP_STRENGTH = ("ban", "moratorium", "restriction", "oversight")
CORPORATE_MEASURE_TYPES = ("corporate_moratorium", "corporate_exit", "corporate_restriction")

SCOPES = Vocabulary(
    "scope",
    [
        Term("government_use", "Government use", "Use by any department of the adopting government."),
        Term("police_use", "Police use", "Use by law enforcement."),
        Term("body_cameras", "Body cameras", "Use on or with police body-worn camera footage."),
        Term("federal_use", "Federal use", "Use by a national government's agencies."),
        Term("sales_to_police", "Sales to police", "A company's sales or licences to law enforcement."),
        Term("sales_general", "Sales to anyone", "A company's offering of the technology to any customer."),
        Term("private_use", "Private use", "Use by private businesses and people."),
        Term("public_places", "Public places", "Use in publicly accessible spaces."),
        Term("schools", "Schools", "Use in schools."),
        Term(
            "one_product",
            "One company's product",
            "Only one named company's product or service (a directive about one vendor).",
        ),
    ],
)

REQUIREMENTS = Vocabulary(
    "requirement",
    [
        # What an oversight measure requires before or while a technology is used.
        Term(
            "approval",
            "Approval",
            "The legislative body (council, board) must approve acquiring "
            "or using a surveillance technology.",
        ),
        Term("use_policy", "Use policy", "A use policy for each technology must be adopted or published."),
        Term(
            "impact_report",
            "Impact report",
            "A surveillance impact report or privacy assessment must be prepared before approval.",
        ),
        Term(
            "annual_report",
            "Annual report",
            "Periodic, usually annual, public reports on how each technology was used.",
        ),
        Term(
            "public_process",
            "Public process",
            "Public notice, a public meeting or a hearing before approval.",
        ),
        Term(
            "advisory_body",
            "Advisory body",
            "A privacy or surveillance advisory commission reviews proposals.",
        ),
        Term("warrant", "Warrant", "A warrant or court order is needed for each use."),
        Term("audit", "Audit", "Use is audited, by an auditor, an inspector or the agency itself."),
    ],
)

STATUSES = Vocabulary(
    "status",
    [
        Term("pending", "Pending", "Proposed or introduced, not yet finally passed or adopted."),
        Term("passed", "Passed", "Finally passed by the legislature, awaiting signature."),
        Term("adopted", "Adopted", "Signed or adopted, with a later date on which it takes effect."),
        Term("in_effect", "In effect", "In force."),
        Term("expired", "Expired", "Lapsed, by its sunset date or an expiry event."),
        Term("repealed", "Repealed", "Repealed, or replaced by a weaker measure."),
        Term(
            "failed",
            "Failed",
            "Vetoed, withdrawn, or died without passing (a bill not enacted "
            "when its legislative session ended has failed from the next day).",
        ),
        Term("struck_down", "Struck down", "Annulled by a court."),
        Term("replaced", "Replaced", "Ended when a measure that replaces it took effect."),
    ],
)

# Event kinds in lifecycle order: events on the same day apply in this order.
# ``effect`` is the status the measure has after the event; None leaves it unchanged.
EVENT_KINDS = Vocabulary(
    "event kind",
    [
        Term("proposed", "Proposed", "Drafted or proposed, not yet formally introduced."),
        Term("introduced", "Introduced", "Formally introduced in a legislature."),
        Term(
            "first_reading",
            "First reading",
            "A council's first vote on an ordinance (its first "
            "reading or introduction): not adoption, which needs the final vote.",
        ),
        Term("hearing", "Hearing", "A hearing on the measure or the technology."),
        Term("committee_action", "Committee action", "Reported, amended or voted in committee."),
        Term("passed_chamber", "Passed a chamber", "Passed one chamber of a legislature."),
        Term("passed", "Passed", "Final legislative passage, awaiting signature."),
        Term("vetoed", "Vetoed", "Vetoed by an executive."),
        Term("veto_overridden", "Veto overridden", "The legislature overrode a veto."),
        Term(
            "adopted",
            "Adopted",
            "Signed, adopted by a council's final vote, approved by voters, "
            "ordered, or (companies) announced as policy.",
        ),
        Term("effective", "Takes effect", "The measure takes effect."),
        Term("amended", "Amended", "Changed, still in force."),
        Term("extended", "Extended", "Prolonged; sets a new sunset, or none (indefinite)."),
        Term("expired", "Expired", "Lapsed (also automatic from the sunset date)."),
        Term("repealed", "Repealed", "Repealed, or replaced by a weaker measure."),
        Term("withdrawn", "Withdrawn", "Withdrawn by its sponsors."),
        Term("failed", "Failed", "Died, for example at the end of a legislative session."),
        Term("struck_down", "Struck down", "Annulled by a court."),
        Term("announcement", "Announcement", "A public statement that changes no rule."),
        Term("report", "Report", "A study, audit, investigation result or journalism."),
        Term("lawsuit_filed", "Lawsuit filed", "A lawsuit or complaint filed."),
        Term("ruling", "Ruling", "A court decision (one that imposes rules is also a measure)."),
        Term("settlement", "Settlement", "A settlement reached (one that imposes rules is also a measure)."),
        Term("enforcement", "Enforcement", "A regulator's enforcement action or decision."),
        Term("fine", "Fine", "A monetary penalty."),
        Term("advocacy", "Advocacy", "A campaign, letter or coalition demand."),
        Term("shareholder_vote", "Shareholder vote", "A vote at a company's shareholder meeting."),
        Term("deployment", "Deployment", "A technology put into use."),
        Term("investigation", "Investigation", "An inquiry opened by an authority."),
    ],
)

# What each event kind does to its measure's status (docs/architecture.md, "Status rules").
KIND_EFFECT: dict[str, str | None] = {
    "proposed": "pending",
    "introduced": "pending",
    "first_reading": "pending",
    "hearing": None,
    "committee_action": None,
    "passed_chamber": None,
    "passed": "passed",
    "vetoed": "failed",
    "veto_overridden": "in_effect",
    "adopted": "in_effect",  # or "adopted" when a later `effective` event exists
    "effective": "in_effect",
    "amended": None,
    "extended": "in_effect",
    "expired": "expired",
    "repealed": "repealed",
    "withdrawn": "failed",
    "failed": "failed",
    "struck_down": "struck_down",
}
LIFECYCLE_KINDS = tuple(KIND_EFFECT)

# Families of event kinds, for charts: 29 kinds are too many colours to tell apart, so the
# timeline colours a handful of families (each kind is named in the hover text). Every kind
# is in exactly one family (tests/test_vocab.py); the order is the lifecycle's, then the
# happenings around it.
EVENT_FAMILIES = Vocabulary(
    "event family",
    [
        Term(
            "proposed", "Proposed or introduced", "A measure is drafted, introduced or has its first reading."
        ),
        Term(
            "legislative",
            "Legislative steps",
            "Hearings, committee votes, passage of one chamber and final passage.",
        ),
        Term("enacted", "Adopted or enacted", "Adopted, signed or voted into law; a veto overridden."),
        Term(
            "in_force", "In force, amended, extended", "A measure takes effect, is amended or is prolonged."
        ),
        Term(
            "ended",
            "Ended or failed",
            "Expired, repealed, struck down; vetoed, withdrawn or died.",
        ),
        Term(
            "courts",
            "Courts and regulators",
            "Lawsuits, rulings, settlements, investigations, enforcement and fines.",
        ),
        Term("public", "Statements and campaigns", "Announcements, reports and advocacy."),
        Term("business", "Deployments and shareholders", "A technology put into use; a shareholder vote."),
    ],
)
EVENT_KIND_FAMILIES: dict[str, tuple[str, ...]] = {
    "proposed": ("proposed", "introduced", "first_reading"),
    "legislative": ("hearing", "committee_action", "passed_chamber", "passed"),
    "enacted": ("adopted", "veto_overridden"),
    "in_force": ("effective", "amended", "extended"),
    "ended": ("expired", "repealed", "struck_down", "vetoed", "withdrawn", "failed"),
    "courts": ("lawsuit_filed", "ruling", "settlement", "enforcement", "fine", "investigation"),
    "public": ("announcement", "report", "advocacy"),
    "business": ("deployment", "shareholder_vote"),
}
FAMILY_OF_KIND: dict[str, str] = {
    kind: family for family, kinds in EVENT_KIND_FAMILIES.items() for kind in kinds
}
"""``{event kind: its family}`` (built from :data:`EVENT_KIND_FAMILIES`)."""


def event_family(kind: str) -> str:
    """The family an event kind is charted in (:data:`EVENT_FAMILIES`)."""
    return FAMILY_OF_KIND[kind]


DATE_PRECISIONS = Vocabulary(
    "date precision",
    [
        Term("day", "Day", "The exact day is known."),
        Term("month", "Month", "Only the month is known; stored as its first day."),
        Term("year", "Year", "Only the year is known; stored as 1 January."),
    ],
)

CERTAINTIES = Vocabulary(
    "certainty",
    [
        Term("verified", "Verified", "The date is stated in a cited source."),
        Term(
            "derived",
            "Derived",
            "Worked out rather than read: from a weekday in a dated article "
            "('on Tuesday'), or from the date in a page's web address.",
        ),
        Term("partial", "Partial", "Only part of the date (say the year) is confirmed by a source."),
        Term("unverified", "Unverified", "Not confirmed in a source; kept with a note."),
    ],
)

SOURCE_KINDS = Vocabulary(
    "source kind",
    [
        Term("statement", "Statement", "An organisation's statement or press release."),
        Term("news_article", "News article", "Reporting by a news outlet."),
        Term("blog_post", "Blog post", "A post on a blog or an organisation's website."),
        Term("legislation", "Legislation", "A bill, act, ordinance or its official record."),
        Term(
            "government_record",
            "Government record",
            "Minutes, transcripts, agendas, official notices and other records published by a government.",
        ),
        Term("court_document", "Court document", "A filing, order or judgment."),
        Term("report", "Report", "A study, audit or paper."),
        Term("tracker", "Tracker or database", "A secondary compilation of events by a third party."),
        Term("repository_file", "Repository file", "A file in a public code repository."),
        Term(
            "advocacy",
            "Advocacy",
            "A page, post or statement of an advocacy group about events it did not itself carry out.",
        ),
        Term(
            "mirror",
            "Mirror or aggregator",
            "A copy of another page, or a site that aggregates "
            "others' reporting: cited only where no better source was found.",
        ),
    ],
)

# The order in which an event's evidence is shown: the record itself first, copies last.
SOURCE_STRENGTH = (
    "legislation",
    "court_document",
    "government_record",
    "statement",
    "news_article",
    "report",
    "advocacy",
    "blog_post",
    "tracker",
    "repository_file",
    "mirror",
)

CITATION_ROLES = Vocabulary(
    "citation role",
    [
        Term("primary_record", "Primary record", "The official record of the event itself."),
        Term("announcement", "Announcement", "The actor's own announcement of the event."),
        Term("news_report", "News report", "Reporting on the event by a third party."),
        Term("reaction", "Reaction", "A response to the event by someone else."),
        Term("mention", "Mention", "Refers to the event in passing or as background."),
    ],
)

_ROLE_RANK: dict[str | None, int] = {code: i for i, code in enumerate(CITATION_ROLES.codes)}
# Keyed by str | None: a citation without a source has no kind (it ranks last).
_KIND_RANK: dict[str | None, int] = {code: i for i, code in enumerate(SOURCE_STRENGTH)}


def evidence_strength(kind: str | None, role: str | None, quote: str | None) -> tuple:
    """How strong a citation's evidence is, as a sort key (smaller is stronger), from its
    source's kind, its role and its quote: copies and aggregators last, then by role (the
    official record, the actor's own announcement, news, reactions, mentions), then by what
    the source is (:data:`SOURCE_STRENGTH`), then quoted before unquoted.

    Here, beside the vocabularies it ranks, because it is a definition of the record that
    every layer needs: event pages and exports show evidence in this order
    (``render.formatting``), and the read layer picks a measure's strongest source with it
    ("what applies here", ``read.details``)."""
    return (
        kind == "mirror",
        _ROLE_RANK.get(role, len(_ROLE_RANK)),
        _KIND_RANK.get(kind, len(_KIND_RANK)),
        not quote,
    )


USER_ROLES = Vocabulary(
    "user role",
    [
        Term("editor", "Editor", "Can create, edit and delete records."),
        Term("admin", "Administrator", "An editor who can also manage users and revert revisions."),
    ],
)

ALL = [
    ACTOR_KINDS,
    MEASURE_TYPES,
    SCOPES,
    REQUIREMENTS,
    STATUSES,
    EVENT_KINDS,
    DATE_PRECISIONS,
    CERTAINTIES,
    SOURCE_KINDS,
    CITATION_ROLES,
]

RESERVED_SLUGS = frozenset({"new", "ingest", "changes"})
