"""Every MessageId the suite makes spans ``pfh:MessageIdType`` (メッセージID): header-v1.xsd admits
a UUID of any version 1–8 whose variant digit is 8, 9, a or b, so the suite's fresh MessageIds
take every version and every variant digit in turn — within each case instance, from version 1
(round 29b, docs/conformance-testing.md).

Why: until round 29b every MessageId the suite sent was a version 4 UUID, and the twenty-ninth
blind batch's subscriber, whose start-up kept the seen MessageIds of version 4 only, passed every
restart case. A product may key, store, partition or parse its MessageIds by their version (a
UUID library's ``version=4``, a version 7's timestamp); a value of the type's domain it has never
been sent cannot show that. The turn restarts with each case instance, so a case's first
request carries a version 1 MessageId and a case's MessageIds are the same versions at every run
whatever ran before it (faulty adapters fail exactly their cases)."""

from __future__ import annotations

import itertools
import os
import threading

_VERSIONS = "12345678"
_VARIANTS = "89ab"

_lock = threading.Lock()
_turn = itertools.count()


def restart_turn() -> None:
    """The next MessageId is of version 1 and variant digit 8 again (a case instance begins)."""
    global _turn
    with _lock:
        _turn = itertools.count()


def fresh() -> str:
    """A fresh MessageId: random but for its version digit and variant digit, which take the
    next turn (version 1, 2, … 8; variant 8, 9, a, b)."""
    with _lock:
        k = next(_turn)
    h = os.urandom(16).hex()
    return (f"{h[:8]}-{h[8:12]}-{_VERSIONS[k % 8]}{h[13:16]}-{_VARIANTS[k % 4]}{h[17:20]}-"
            f"{h[20:]}")
