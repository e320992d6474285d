"""Every class of the header's UserId (操作者ID の値域), from header-v1.xsd: step ``user_ids``
(P-USER-01 on every provider service, S-USER-01 on the notice endpoint).

pfh:UserIdType is ``[A-Za-z0-9][A-Za-z0-9._@\\-]{0,63}``: 1 to 64 characters, the first a
letter or a digit, the others letters, digits, ``.``, ``_``, ``@`` and ``-`` — an account name
of the sending system, written to the routing log (never a person's name). Nothing else limits
it: the README leaves who may call to the hub's access rights, and no document gives the UserId
a meaning a product could check (an account list, an e-mail form, a letter first). ``USER_IDS``
enumerates the pattern: its widths' edges (1, 2, 63, 64), each class of the first character
(upper, lower, digit), each class of the others (digits only, letters only, each punctuation
mark between two letters, at the end, doubled), the whole class set at 64.

Each value is sent once per profile run (the profile's services taking them in turn, SOAP 1.1
and 1.2 in turn), on the suite's own request (a fresh resident's notice on the notice endpoint):
each must be answered exactly as the same request with the profile's ``user_id``
(answer_comparison.compare, the fields that name the message ignored) — never refused
PF-HEADER-INVALID, never a server fault.
"""

from __future__ import annotations

import re
from typing import Any

from . import answer_comparison
from .parties import _post as post_sample  # the sample request, fresh values, header overrides
from .records import Exchange

PATTERN = r"[A-Za-z0-9][A-Za-z0-9._@\-]{0,63}"  # header-v1.xsd UserIdType
WIDTH_MAX = 64
PUNCTUATION = "._@-"
_ALL = "Aa0._@-Zz9"

USER_IDS: tuple[tuple[str, str], ...] = (
    ("1 character, an upper-case letter", "A"),
    ("1 character, a lower-case letter", "z"),
    ("1 character, a digit", "0"),
    ("2 characters", "Z9"),
    ("digits only", "0123456789"),
    ("letters only", "clerkTanaka"),
    *((f"{mark!r} between letters", f"user{mark}name") for mark in PUNCTUATION),
    *((f"{mark!r} at the end", f"9user{mark}") for mark in PUNCTUATION),
    ("each punctuation mark doubled", "a..b__c@@d--e"),
    ("an e-mail-like account with two @", "clerk@city@lg.jp"),
    (f"{WIDTH_MAX - 1} characters of every class", ("a" + _ALL * 7)[:WIDTH_MAX - 1]),
    (f"{WIDTH_MAX} characters of every class", ("Z" + _ALL * 7)[:WIDTH_MAX]),
    (f"{WIDTH_MAX} digits", ("1234567890" * 7)[:WIDTH_MAX]),
)


def run_step(runner, step, values: dict[str, Any]) -> list[str]:
    if step.target != "every_class":
        raise ValueError(f"{step.where}: unknown user_ids {step.target!r} (every_class)")
    services = list(runner.s.profile.services) or [runner.instance.service]
    mine = services.index(runner.instance.service) if runner.instance.service in services else 0
    ignore, ns = step.get("ignore", []), runner.s.context.namespaces
    canon: dict[str, Exchange] = {}
    problems: list[str] = []
    for k, (what, user_id) in enumerate(USER_IDS[mine::len(services)]):
        soap = "1.2" if (k + mine) % 2 else "1.1"
        if soap not in canon:
            canon[soap] = post_sample(runner, step, values, soap, {}, f"canonical SOAP {soap}")
        at = f"UserId {user_id!r} ({what}, {len(user_id)} characters) SOAP {soap}"
        ex = post_sample(runner, step, values, soap, {"user_id": user_id}, at)
        problems += [f"{at}: {p}" for p in answer_comparison.compare(canon[soap], ex, ignore, ns)]
    return problems


def valid(user_id: str) -> bool:
    return re.fullmatch(PATTERN, user_id) is not None
