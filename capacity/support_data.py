"""Customer-support data the check learns from: a STUB until ticket imports exist.

`learned_contact_rate` is the brand's tickets per order learned from imported ticket
counts; None while there are none, and the check then uses `MOPSYNC_SUPPORT_CONTACT_RATE`
(or a SKU's own `contact_rate`). The ticket-import work replaces this body.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction


def learned_contact_rate(*, today: date) -> Fraction | None:
    return None
