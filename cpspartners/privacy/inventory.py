"""The data inventory, as code: every column we hold about a student, a family, an application or
an account, with why we keep it, who sees it, how long (always finite) and what deletion does.

SOPPA 85/27(a)(1) wants it published (``/privacy/data`` renders this), COPPA 312.10 wants a finite
retention for every element, and ``tests/test_privacy_inventory.py`` fails on a column of these
tables without an entry or an entry without a column. ``flask privacy sweep`` and the erasure of
a student (``services.privacy``) read the retention and deletion rules from here, so the page,
the code and the law cannot drift apart.

To add a table: add a ``Table(...)`` to ``TABLES`` under its table name, one ``Field`` per column
(``cols(...)`` gives several columns the same entry). A table that refers to accounts but holds
nothing personal goes in ``NOT_PERSONAL`` with the reason.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

DAY = timedelta(days=1)
YEAR = timedelta(days=365)

# What happens to a column when its student is erased or its retention ends.
DELETE = "delete"  # the value (or its row) goes
ANONYMISE = "anonymise"  # the row stays with no link to the person (the person's columns are emptied)
KEEP_COUNTS = "keep_counts"  # the row goes; an anonymised count stays (AnonymisedOutcome)
AT_DELETION = (DELETE, ANONYMISE, KEEP_COUNTS)
AT_DELETION_LABELS = {
    DELETE: _l("Deleted"),
    ANONYMISE: _l("Anonymised: kept with no link to the person"),
    KEEP_COUNTS: _l("Deleted; only an anonymous count stays"),
}


@dataclass(frozen=True)
class Retention:
    """Kept for ``keep`` after ``clock`` (a column of the row); ``after`` says that in words.

    ``where`` narrows the rows the clock applies to (SQL on the table: finished applications, read
    notifications); rows outside it wait for the condition (or for the student's erasure).
    """

    keep: timedelta
    after: object  # a lazy string
    clock: str = "created_at"
    where: str = ""

    def describe(self):
        days = self.keep.days
        if days % 365 == 0:
            amount = lazy_ngettext("%(num)d year", "%(num)d years", days // 365)
        else:
            amount = lazy_ngettext("%(num)d day", "%(num)d days", days)
        return _l("%(amount)s after %(after)s", amount=amount, after=self.after)


@dataclass(frozen=True)
class Field:
    purpose: object
    seen_by: object
    retention: Retention | None = None  # None: the table's
    at_deletion: str | None = None  # None: the table's


@dataclass(frozen=True)
class Table:
    """One table's entry. ``owner`` is the column naming the student (``id`` on ``user``);
    ``owner_role`` limits the user table's rules to student accounts."""

    about: object
    owner: str
    retention: Retention
    at_deletion: str
    fields: dict[str, Field] = field(default_factory=dict)
    owner_role: str = ""

    def retention_of(self, column):
        return self.fields[column].retention or self.retention

    def at_deletion_of(self, column):
        return self.fields[column].at_deletion or self.at_deletion


def cols(names, purpose, seen_by, **extra):
    """The same entry for several columns: ``**cols(("a", "b"), purpose, seen_by)``."""
    return {name: Field(purpose, seen_by, **extra) for name in names.split()}


# Who sees what, reused in many entries.
NOBODY = _l("Nobody on the site (the system uses it)")
STUDENT = _l("The student")
STUDENT_STAFF = _l("The student; specialists and admins (their views are logged)")
APPLICATION_SIDES = _l("The student; that partner's staff; specialists (views are logged)")
STAFF = _l("Specialists and admins")
RECORD_KEEPING = _l("Record keeping: when, and the link to its record")

CLOSED = _l("the account is made (students: grade 6 to graduation and one more year), or at once when it is closed")
FINISHED = _l("the application is finished (completed, declined or withdrawn) and last changed")
FINISHED_APPLICATIONS = "state IN ('completed', 'declined', 'withdrawn')"

STUDENT_ACCOUNT = Retention(8 * YEAR, CLOSED)
PROFILE_KEPT = Retention(8 * YEAR, _l("it was last changed, or at once when the account is closed"), clock="updated_at")
ACCOUNT_COLUMNS = {
    "id": Field(RECORD_KEEPING, NOBODY),
    "email": Field(
        _l("Sign-in, password reset and notices"),
        _l("The account holder; admins on the account's page (logged). Never partners or specialists"),
    ),
    "name": Field(
        _l("How the site greets the person; partners see a student's first name on an application"),
        _l("The account holder; partners (a student's first name only); staff (logged)"),
    ),
    "role": Field(_l("What the account may do"), STAFF),
    "school_id": Field(_l("Matching by school and distance; reports by school"), APPLICATION_SIDES),
    "grade": Field(_l("Grade-appropriate listings and eligibility"), APPLICATION_SIDES),
    "partner_id": Field(_l("Which organization a partner's staff member works for"), STAFF),
    "preferred_language": Field(_l("Pages and emails in English or Spanish"), STUDENT),
    "password_hash": Field(_l("Sign-in (an Argon2id hash, never the password)"), NOBODY),
    "is_approved": Field(_l("Whether a specialist approved the account"), STAFF),
    **cols("created_at email_confirmed_at active", _l("Support, and whether the account is confirmed or off"), STAFF),
    **cols(
        "calendar_nonce session_version",
        _l("Revoking calendar links and signing out everywhere"),
        NOBODY,
    ),
    "newsletter_opt_out": Field(_l("Honouring an unsubscribe"), NOBODY),
    # Staff accounts only (students sign in with a password): the TOTP second step.
    **cols("totp_secret totp_enrolled_at totp_last_step", _l("The second sign-in step of staff accounts"), NOBODY),
}

PROFILE = _l("Matching listings to the student's interests and needs")
TABLES: dict[str, Table] = {
    "user": Table(_l("Accounts"), "id", STUDENT_ACCOUNT, DELETE, ACCOUNT_COLUMNS, owner_role="student"),
    "student_profile": Table(
        _l("A student's interests and needs"),
        "user_id",
        PROFILE_KEPT,
        DELETE,
        {
            "user_id": Field(RECORD_KEEPING, NOBODY),
            **cols("clusters tags free_words languages modality needs_paid needs_transportation", PROFILE, STUDENT),
            "updated_at": Field(RECORD_KEEPING, NOBODY),
        },
    ),
    "teacher_profile": Table(
        _l("A teacher's subjects and grades"),
        "user_id",
        PROFILE_KEPT,
        DELETE,
        {
            "user_id": Field(RECORD_KEEPING, NOBODY),
            **cols("subjects grade_bands", _l("Matching listings to what a teacher teaches"), _l("The teacher")),
            "updated_at": Field(RECORD_KEEPING, NOBODY),
        },
    ),
    "saved_opportunity": Table(
        _l("Saved listings"),
        "user_id",
        Retention(2 * YEAR, _l("it was saved")),
        DELETE,
        cols("user_id opportunity_id created_at", _l("Saved listings and deadline reminders"), STUDENT),
    ),
    "dismissal": Table(
        _l("Listings marked not interested"),
        "user_id",
        Retention(2 * YEAR, _l("it was marked")),
        DELETE,
        cols("user_id opportunity_id created_at", _l("Hiding listings the student does not want"), STUDENT),
    ),
    "application": Table(
        _l("Applications"),
        "student_id",
        Retention(5 * YEAR, FINISHED, clock="updated_at", where=FINISHED_APPLICATIONS),
        KEEP_COUNTS,
        {
            **cols("id opportunity_id student_id kind created_at updated_at", RECORD_KEEPING, APPLICATION_SIDES),
            **cols(
                "state holds_seat hours completed_on",
                _l("Following the application; outcome reports (as counts)"),
                APPLICATION_SIDES,
            ),
            "answer": Field(
                _l("The student's answer to the partner's question (contact details masked)"),
                APPLICATION_SIDES,
                retention=Retention(2 * YEAR, FINISHED, clock="updated_at", where=FINISHED_APPLICATIONS),
                at_deletion=DELETE,
            ),
            "partner_note": Field(
                _l("The partner's note on the application"),
                _l("That partner's staff; specialists"),
                retention=Retention(2 * YEAR, FINISHED, clock="updated_at", where=FINISHED_APPLICATIONS),
                at_deletion=DELETE,
            ),
        },
    ),
    "message": Table(
        _l("Messages through the site"),
        "sender_id",
        Retention(YEAR, _l("it was sent")),
        DELETE,
        {
            **cols("id sender_id application_id request_id created_at", RECORD_KEEPING, _l("The two sides")),
            "body": Field(
                _l("A message between a student and a partner; contact details masked"),
                _l("The two sides of the thread; specialists when a concern is raised"),
            ),
        },
    ),
    "notification": Table(
        _l("Notifications"),
        "user_id",
        Retention(YEAR, _l("it was made")),
        DELETE,
        cols(
            "id user_id kind params endpoint args link created_at read_at emailed_at",
            _l("Telling the person about changes"),
            _l("The person it is for"),
        ),
    ),
    "feedback": Table(
        _l("Survey answers"),
        "respondent_id",
        Retention(5 * YEAR, _l("it was given")),
        DELETE,
        {
            **cols("id application_id request_id opportunity_id partner_id created_at", RECORD_KEEPING, STAFF),
            **cols(
                "respondent_id respondent_role",
                _l("Who answered"),
                STAFF,
            ),
            **cols(
                "relevance engagement organization recommend",
                _l("Measuring the quality of partnerships"),
                _l("Specialists; partners see averages only"),
            ),
            "comment": Field(_l("A comment on the experience"), STAFF),
        },
    ),
    "credential": Table(
        _l("Credentials earned"),
        "student_id",
        Retention(6 * YEAR, _l("it was earned"), clock="earned_on"),
        DELETE,
        {
            **cols("id student_id opportunity_id created_at", RECORD_KEEPING, STUDENT_STAFF),
            **cols(
                "kind name credits earned_on evidence status confirmed_by_id confirmed_at",
                _l("Credentials and college credit earned, confirmed by a specialist"),
                STUDENT_STAFF,
            ),
        },
    ),
    "seat_assignment": Table(
        _l("Seats and licences held"),
        "holder_user_id",
        Retention(YEAR, _l("the seat expires"), clock="expires_on"),
        DELETE,
        {
            **cols("id allocation_id holder_user_id created_at", RECORD_KEEPING, _l("The distributor; specialists")),
            **cols(
                "holder_name holder_email holder_language",
                _l("A family's adult contact for reminders (never a child's)"),
                _l("The distributor; specialists"),
            ),
            **cols(
                "starts_on expires_on status renewals reminded_on claim_code",
                _l("Running the seat: dates, renewals, the one-time claim code"),
                _l("The distributor; the holder"),
            ),
        },
    ),
    "seat_waitlist_entry": Table(
        _l("Seat waiting lists"),
        "holder_user_id",
        Retention(YEAR, _l("joining the list")),
        DELETE,
        {
            **cols("id allocation_id holder_user_id status created_at", RECORD_KEEPING, _l("The distributor")),
            **cols(
                "holder_name holder_email holder_language",
                _l("A family's adult contact for the waiting list"),
                _l("The distributor; specialists"),
            ),
        },
    ),
    "newsletter_delivery": Table(
        _l("Newsletter deliveries"),
        "recipient",
        Retention(30 * DAY, _l("it was sent"), clock="sent_at"),
        DELETE,
        cols(
            "newsletter_id recipient sent_at refused",
            _l("Not sending a newsletter twice (an account number, never an address)"),
            NOBODY,
        ),
    ),
    "licence_request": Table(
        _l("Families' requests for a learning licence"),
        "",
        Retention(
            2 * YEAR,
            _l(
                "the request was made; a daily prune deletes it sooner: 30 days if never confirmed, "
                "a year after the answer or the end of the licence"
            ),
        ),
        DELETE,
        {
            **cols("id allocation_id status created_at confirmed_at handled_at", RECORD_KEEPING, STAFF),
            **cols(
                "name email language",
                _l("The adult the licence is for, the confirmed address its notices go to, and their language"),
                _l("The organization the family asked; specialists see counts only"),
            ),
            "community_area_number": Field(
                _l("Optional: counting which neighbourhoods the licences reach"), _l("Specialists, as counts")
            ),
        },
    ),
    "newsletter_story": Table(
        _l("Newsletter stories"),
        "",
        Retention(2 * YEAR, _l("the story was written")),
        DELETE,
        {
            **cols("id newsletter_id position created_at", RECORD_KEEPING, STAFF),
            **cols(
                "title body image_name image_alt names_student",
                _l("A short story beside the listings; its image is kept without its metadata"),
                _l("Everyone who receives the newsletter"),
            ),
            **cols(
                "consent_by consent_recorded_at consent_recorded_by_id",
                _l("Who consented to naming or showing a student, when, and who recorded it"),
                STAFF,
            ),
        },
    ),
    "newsletter_subscriber": Table(
        _l("Family newsletter subscriptions"),
        "",
        Retention(3 * YEAR, _l("subscribing (families subscribe again)")),
        DELETE,
        {
            "id": Field(RECORD_KEEPING, NOBODY),
            "email": Field(_l("Sending the newsletter a family asked for"), NOBODY),
            **cols(
                "language school_id created_at confirmed_at unsubscribed_at",
                _l("Language, school and the double opt-in"),
                STAFF,
            ),
        },
    ),
    "audit_entry": Table(
        _l("Audit and access log"),
        "subject_id",
        Retention(5 * YEAR, _l("the entry"), clock="at", where="subject_type = 'student_record'"),
        ANONYMISE,
        {
            **cols("id at action subject_type subject_id import_run_id", _l("Who did what, when"), STAFF),
            "note": Field(_l("A note on the entry (the page a record was opened on)"), STAFF, at_deletion=DELETE),
            "note_message": Field(
                _l("The same note, kept to be read in each reader's language"), STAFF, at_deletion=DELETE
            ),
            **cols("actor_id actor_label", _l("Who acted (a student as a record number)"), STAFF),
            "changes": Field(_l("Old and new values of a change"), STAFF, at_deletion=DELETE),
        },
    ),
    "record_share": Table(
        _l("Links a student made to show their record"),
        "student_id",
        Retention(YEAR, _l("the link was made (a link works 90 days at most)")),
        DELETE,
        {
            **cols("id student_id created_at", RECORD_KEEPING, STUDENT),
            "token_hash": Field(_l("Checking a link (only a hash of it is kept)"), NOBODY),
            "label": Field(_l("The student's own name for the link"), STUDENT),
            **cols(
                "expires_at revoked_at views last_viewed_at",
                _l("When the link stops working and how often it was opened"),
                STUDENT,
            ),
        },
    ),
    "event_signup": Table(
        _l("Places at community events"),
        "user_id",
        Retention(5 * YEAR, _l("it was last changed (outcome reports)"), clock="updated_at"),
        DELETE,
        {
            **cols("id opportunity_id user_id created_at updated_at", RECORD_KEEPING, _l("The person; staff")),
            **cols(
                "state holds_place attended marked_by_id reminded_at",
                _l("A place or the waiting list, its reminder, and whether the person came"),
                _l("The person; the event's partner staff and specialists (viewing is logged)"),
            ),
        },
    ),
    "rights_request": Table(
        _l("Requests to see, correct or delete records"),
        "student_id",
        Retention(3 * YEAR, _l("it was received"), clock="received_at"),
        ANONYMISE,
        {
            **cols("id student_id kind requested_by state", _l("Answering the request"), STUDENT_STAFF),
            **cols(
                "received_at due_at decided_at confirm_due_at closed_at handled_by_id",
                _l("The legal clock of the request"),
                STUDENT_STAFF,
            ),
            **cols(
                "field requested_value decision_note",
                _l("What a correction asks for and what was decided"),
                STUDENT_STAFF,
                at_deletion=DELETE,
            ),
        },
    ),
    "family_link": Table(
        _l("Parents linked to a student"),
        "student_id",
        STUDENT_ACCOUNT,
        DELETE,
        {
            **cols("id student_id state created_at confirmed_at confirmed_by_id", RECORD_KEEPING, STUDENT_STAFF),
            **cols(
                "parent_email parent_language",
                _l("Sending a parent the student's records, in the parent's language"),
                STUDENT_STAFF,
            ),
        },
    ),
    "deletion_certificate": Table(
        _l("Deletion certificates"),
        "",
        Retention(5 * YEAR, _l("the deletion"), clock="completed_at"),
        DELETE,
        cols(
            "id reason request_id counts files_removed completed_at",
            _l("Proof that records were deleted (counts only, no identifier)"),
            STAFF,
        ),
    ),
    "anonymised_outcome": Table(
        _l("Anonymous outcome counts"),
        "",
        Retention(10 * YEAR, _l("it was recorded"), clock="recorded_at"),
        DELETE,
        cols(
            "id opportunity_id school_id state hours completed_on recorded_at",
            _l("Outcome reports after a student's records are deleted (no person)"),
            STAFF,
        ),
    ),
    "incident": Table(
        _l("Security incidents"),
        "",
        Retention(5 * YEAR, _l("it was opened")),
        DELETE,
        cols(
            "id title discovered_at window_start window_end data_involved operator_name parent_notice_due"
            " state created_by_id created_at",
            _l("Handling and notifying a breach"),
            STAFF,
        ),
    ),
    # Consent before disclosure and the disclosure log (cpspartners/models/consent.py).
    "consent": Table(
        _l("Consent to share a student's applications with a partner"),
        "student_id",
        Retention(5 * YEAR, _l("it was given (kept with the applications it covers)"), clock="signed_at"),
        DELETE,
        {
            **cols(
                "id student_id partner_id records purpose",
                _l("Which records go to which partner, and why"),
                APPLICATION_SIDES,
            ),
            **cols(
                "given_by signer_name method signed_at revoked_at",
                _l("Who consented, how and when, and whether it was revoked"),
                STUDENT_STAFF,
            ),
            **cols("recorded_by_id revoked_by_id", _l("Which account recorded or revoked it"), STAFF),
        },
    ),
    "consent_eligibility": Table(
        _l("The school's mark that a student gives consent themselves"),
        "student_id",
        Retention(8 * YEAR, _l("the school marked it, or at once when the account is closed"), clock="marked_at"),
        DELETE,
        {
            **cols("student_id basis marked_at", _l("Who may give consent: the student or a parent"), STUDENT_STAFF),
            "marked_by_id": Field(_l("Which staff account recorded the mark"), STAFF),
        },
    ),
    "disclosure": Table(
        _l("Disclosure log: each time a partner saw or downloaded an application"),
        "student_id",
        Retention(5 * YEAR, _l("the disclosure (FERPA keeps it as long as the application)"), clock="at"),
        DELETE,
        cols(
            "id at student_id application_id partner_id viewer_id consent_id action purpose",
            _l("Telling the family who saw what, when and under which consent"),
            STUDENT_STAFF,
        ),
    ),
}

# Tables that refer to accounts but hold nothing about a student or a family, and why.
NOT_PERSONAL = {
    "change_request": "a partner's proposed listing; names staff only",
    "import_run": "a specialist's spreadsheet import",
    "verification": "who on staff verified a listing",
    "newsletter": "a newsletter a specialist wrote",
    "speaker_request": "a teacher's request for a visit to a class; no student is named",
    "contact": "the specialists' log of meetings with partner organisations; the form asks for no students",
    "follow_up": "a task a staff member owes after a meeting",
    "prospect": "an organisation being recruited and its work contact (an adult, not a family)",
    "contact_staff": "which staff accounts attended a meeting",
    "partner_data_agreement": "a partner's data agreement with the district; names the partner's adult signer and staff",
    "recovery_code": "hashed one-time sign-in codes of staff accounts; students have none",
}

# Outside services that receive personal data (SOPPA 85/27(a)(2): operators and subcontractors).
# ``config`` names the settings that point at them: tests/test_privacy_inventory.py checks that
# every outbound setting is listed here.
SERVICES = (
    {
        "name": _l("The district's mail relay"),
        "config": ("MAIL_SERVER",),
        "receives": _l("Email addresses and the text of notices, confirmations and newsletters"),
        "why": _l("Sending email to account holders and subscribed families"),
        "agreement": _l("District-run; no outside operator"),
    },
    {
        "name": _l("The hosting and its database"),
        "config": (
            "SQLALCHEMY_DATABASE_URI",
            "REPLICA_DATABASE_URL",
            "SEARCH_INDEX_DIR",
            "IMPORT_UPLOAD_DIR",
            "STORY_IMAGE_DIR",
        ),
        "receives": _l("Everything on this page, stored and backed up"),
        "why": _l("Running the site"),
        "agreement": _l("District data centre or a hosting operator under a SOPPA agreement"),
    },
    {
        "name": _l("The job queue (Redis)"),
        "config": ("RQ_REDIS_URL", "RATELIMIT_STORAGE_URI", "PAGE_CACHE_REDIS_URL"),
        "receives": _l(
            "Newsletter numbers, sign-in counters and public pages as anyone sees them signed out; no student data"
        ),
        "why": _l(
            "Sending newsletters in the background, limiting sign-in attempts and sharing public pages between the site's workers"
        ),
        "agreement": _l("Runs beside the site on the same hosting"),
    },
)
LAST_REVIEWED = "2026-12-03"


def entries():
    """(table name, column name, table entry, field) for every declared column, in order."""
    for table_name, table in TABLES.items():
        for column_name, entry in table.fields.items():
            yield table_name, column_name, table, entry
