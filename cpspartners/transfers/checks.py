"""An import's dry run, on the upload request for a small file and in the background for a large one.

Either way the result is one report (``imports.report``) kept beside the stored upload, and one
page shows it: the reader sees the messages in their language, whichever process and locale did
the check. A check that was started but never finished (its worker killed) says so after
``STALE_SECONDS`` instead of leaving the page waiting for ever.
"""

import time
from types import SimpleNamespace

from cpspartners.formats.spreadsheets import ImportFileError
from cpspartners.i18n import thaw
from cpspartners.services import imports
from cpspartners.transfers import uploads

STALE_SECONDS = 3600  # the job's own timeout


def begin(base, user_id, token, what, filename):
    """Mark the check of a stored upload as started (the page shows "Checking...")."""
    uploads.save_report(
        base, user_id, token, {"state": "checking", "what": what, "filename": filename, "started": time.time()}
    )


def check(base, user_id, token, what, filename):
    """Plan the stored upload and keep the report; a file with rejected rows or that cannot be read
    is dropped (only its report stays), so it can never be committed. Returns the report."""
    raw = uploads.load(base, user_id, token)
    if raw is None:
        return None
    try:
        report = imports.report(imports.plan(what, raw), filename)
    except ImportFileError as error:
        report = imports.file_report(what, filename, error)
    uploads.save_report(base, user_id, token, report)
    if not Report(report).ok:
        uploads.discard(base, user_id, token, report=False)
    return report


class Report:
    """A stored report as the page reads it: counts, the rows shown, messages in the current locale."""

    def __init__(self, data, now=None):
        self.state = data.get("state")
        if self.state == "checking" and (now or time.time()) - data.get("started", 0) > STALE_SECONDS:
            self.state = "stalled"
        self.what = data.get("what")
        self.filename = data.get("filename") or ""
        self.counts = data.get("counts") or {}
        self.error = thaw(data.get("error")) if data.get("error") else ""
        self.rows = [
            SimpleNamespace(
                number=row["number"],
                external_id=row["external_id"],
                action=row["action"],
                reasons=[thaw(reason) for reason in row.get("reasons", [])],
                changes=row.get("changes") or {},
            )
            for row in data.get("rows", [])
        ]

    def count(self, action):
        return self.counts.get(action, 0)

    @property
    def total(self):
        return sum(self.counts.values())

    @property
    def ok(self):
        return self.state == "checked" and self.count("reject") == 0
