"""Operations that change state. Views, CLI commands, imports and jobs call these; nothing else writes.

Each public function that writes is one transaction through ``_base.transaction``: it checks its
rule, writes through the ORM session (so session listeners, such as search indexing, see every
change), records the audit entry, and commits; on any error it rolls back and re-raises. Refusals
are ``ServiceError``s (``services.errors``) with a message for the person.
"""

from cpspartners.services.errors import ServiceError

__all__ = ["ServiceError"]
