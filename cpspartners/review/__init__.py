"""Review (/review): the partnership specialists' side of the directory: the change-request queue,
vetting records and the publishing gate, verification, archive and restore, merge, the audit log.
"""
