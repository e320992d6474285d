"""The independent adapter run in process on a scenario, its answers as a transcript with random
parts masked — what the take-effect tests compare between the correct adapter and a variant
(test_independent_variants_take_effect.py, test_independent_seventh_batch.py).

IDs become labels in order of first appearance, SentAt its distance from now in minutes, its
offset and its shape, the right RequestHash a placeholder. A crash leaves the database files as
a SIGKILL does: what was written, uncommitted work not.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import time
import uuid
from collections.abc import Callable

import pytest
from lxml import etree

from .independent.adapter import JST, Adapter
from .independent.standard import PFF, PFR, m11_ok

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
GOV = "131016"
NOT_HELD = "0000100005"  # a valid 宛名番号 (modulus 11) that the test data does not hold
BAD_CHECK_DIGIT = "0000100006"


def request(body: str, *, service: str, soap: str = SOAP11, receiver=(GOV, "01", "indie"),
            sent_at: dt.datetime | None = None, message_id: str | None = None,
            version: str = "1") -> bytes:
    """A request as the suite's peers send it; ``version`` is the catalog's (catalog.toml: "1")."""
    sent = (sent_at or dt.datetime.now(JST)).isoformat(timespec="seconds")
    parties = "".join(
        f"<pfh:{role}><pfh:LocalGovCode>{g}</pfh:LocalGovCode><pfh:BusinessUnit>{u}"
        f"</pfh:BusinessUnit><pfh:SystemId>{s}</pfh:SystemId></pfh:{role}>"
        for role, (g, u, s) in (("Sender", (GOV, "07", "tax")), ("Receiver", receiver)))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="{soap}">'
        f'<soap:Header><pfh:PlatformHeader xmlns:pfh="urn:pfbus:platform:header:v1">'
        f"<pfh:MessageId>{message_id or uuid.uuid4()}</pfh:MessageId>{parties}"
        f"<pfh:Service><pfh:ServiceId>{service}</pfh:ServiceId><pfh:Version>{version}</pfh:Version>"
        f"</pfh:Service><pfh:SentAt>{sent}</pfh:SentAt><pfh:UserId>batch</pfh:UserId>"
        f"<pfh:LinkageKind>delta</pfh:LinkageKind><pfh:StandardVersion>1.0"
        f"</pfh:StandardVersion></pfh:PlatformHeader></soap:Header>"
        f"<soap:Body>{body}</soap:Body></soap:Envelope>").encode()


def inquiry(key: str, *, by="AddresseeNumber", as_of=None, **kw) -> bytes:
    as_of_el = f"<j:AsOf>{as_of}</j:AsOf>" if as_of else ""
    return request(f'<j:ResidentInquiryRequest xmlns:j="urn:pfbus:unit:juki:v1"><j:{by}>{key}'
                   f"</j:{by}>{as_of_el}</j:ResidentInquiryRequest>",
                   service="juki.ResidentInquiry", **kw)


def extract(page: int, *, extract_id=None, as_of=None, request_id=None, page_size=3) -> bytes:
    parts = (f"<j:ExtractId>{extract_id}</j:ExtractId>" if extract_id else "") + \
        f"<j:Page>{page}</j:Page><j:PageSize>{page_size}</j:PageSize>" + \
        (f"<j:AsOf>{as_of}</j:AsOf>" if as_of else "") + \
        (f"<j:RequestId>{request_id}</j:RequestId>" if request_id else "")
    return request(f'<j:ResidentFullExtractRequest xmlns:j="urn:pfbus:unit:juki:v1">{parts}'
                   "</j:ResidentFullExtractRequest>", service="juki.ResidentFullExtract")


def notice(*changes, soap=SOAP11, message_id=None, sent_at=None) -> bytes:
    """changes: (sequence, 宛名番号, name, reason, kana given or None)."""
    body = "".join(
        f"<j:Change><j:Sequence>{seq}</j:Sequence><j:Event><c:Reason>{reason}</c:Reason>"
        f"<c:OccurredOn>2025-04-01</c:OccurredOn></j:Event><j:Resident>"
        f"<c:AddresseeNumber>{number}</c:AddresseeNumber>"
        f"<c:IndividualNumber>890123456780</c:IndividualNumber>"
        f"<c:HouseholdNumber>0000050016</c:HouseholdNumber><c:Name><c:Text>{name}</c:Text>"
        f"<c:Kana><c:Family>ソウム</c:Family>"
        + (f"<c:Given>{given}</c:Given>" if given else "") +
        "</c:Kana></c:Name><c:DateOfBirth>1990-04-01</c:DateOfBirth><c:Gender>2</c:Gender>"
        "<c:Relationship>01</c:Relationship><c:ResidentKind>1</c:ResidentKind>"
        "<c:ResidentStatus>1</c:ResidentStatus><c:Address><c:Prefecture>東京都</c:Prefecture>"
        "<c:City>千代田区</c:City><c:Town>霞が関</c:Town></c:Address></j:Resident></j:Change>"
        for seq, number, name, reason, given in changes)
    return request(f'<j:ResidentChangeNotice xmlns:j="urn:pfbus:unit:juki:v1" '
                   f'xmlns:c="urn:pfbus:platform:common:v1">{body}</j:ResidentChangeNotice>',
                   service="juki.ResidentChangeNotice", soap=soap, receiver=(GOV, "01", "hub"),
                   message_id=message_id, sent_at=sent_at)


def change(seq=1, number="0000010014", name="総務翔子", reason="C01", given="ショウコ"):
    return (seq, number, name, reason, given)


SOAP12_TYPE = "application/soap+xml; charset=utf-8"
TEXT_XML = "text/xml; charset=utf-8"
NOTICE_A = "6f1c2a3e-1b2c-4d5e-8f90-123456789abc"
NOTICE_B = "0d6e1f2a-3b4c-4d5e-9f01-23456789abcd"


def mask(text: str, labels: dict) -> str:
    def sent_at(m):
        try:
            value = dt.datetime.fromisoformat(m[1].strip())  # xs:dateTime collapses white space
        except ValueError:  # not a date and time at all (…T10:00:00JST): its shape only
            return f"<SentAt unreadable {re.sub(r'[0-9]', '9', m[1])}>"
        if value.tzinfo is None:
            return f"<SentAt naive {m[1][10:]}>"
        minutes = round((value - dt.datetime.now(JST)).total_seconds() / 60)
        return f"<SentAt {minutes:+d}min {value.utcoffset()} {re.sub(r'[0-9]', '9', m[1])}>"
    text = re.sub(r"SentAt>([^<]+)<", lambda m: sent_at(m) + "<", text)
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}",
                  lambda m: labels.setdefault(m[0], f"ID{len(labels)}"), text)


def move_clock(monkeypatch, moved) -> None:
    """Every ``dt.datetime.now`` of the scenario, both adapters and ``mask`` reads ``moved(now
    in JST)`` for the rest of the test: a variant keyed on the hour or the day of the year then
    takes effect whenever the test runs."""
    real = dt.datetime

    class Moved(real):
        @classmethod
        def now(cls, tz=None):
            aware = moved(real.now(JST))
            return aware.astimezone(tz) if tz else aware.astimezone().replace(tzinfo=None)

    monkeypatch.setattr(dt, "datetime", Moved)


# the instants a batch's tests pin the clock to: an ordinary afternoon, and the first minutes of
# a year (where a variant keyed on the date must take effect too)
PINNED = dt.datetime(2026, 12, 9, 15, 20, tzinfo=JST)  # a Wednesday afternoon
NEW_YEAR = dt.datetime(2027, 1, 1, 0, 30, tzinfo=JST)  # 00:30 JST on the 1st of a month


def clock_from(monkeypatch, instant: dt.datetime) -> None:
    """Every clock reads ``instant`` from here on, moving with real time (``move_clock``)."""
    start = dt.datetime.now(JST)
    move_clock(monkeypatch, lambda now: instant + (now - start))


def crash(adapter, db) -> None:
    """SIGKILL: nothing runs after it; the files keep what was written (committed WAL frames
    not yet checkpointed included), uncommitted work is gone."""
    adapter.lock.acquire()
    files = [db.with_name(db.name + suffix) for suffix in ("", "-wal", "-shm")]
    on_disk = {f: f.read_bytes() for f in files[:2] if f.exists()}
    adapter.conn.close()  # rolls back; as the last connection it checkpoints: undone below
    for f in files:
        f.unlink(missing_ok=True)
    for f, data in on_disk.items():
        f.write_bytes(data)


def nested(raw: bytes, depth: int = 60) -> bytes:
    """A vendor header block nested ``depth`` elements deep beside the platform header."""
    block = '<v:Trace xmlns:v="urn:example:vendor">' + "<v:n>" * depth + "</v:n>" * depth + \
        "</v:Trace>"
    return raw.replace(b"<soap:Header>", b"<soap:Header>" + block.encode(), 1)


def transcript(role: str, db, defect: str | None, steps: list) -> list[str]:
    make = lambda: Adapter(role, GOV, "01" if role == "provider" else "07", "indie",  # noqa: E731
                           db=db, defect=defect)
    adapter, labels, out, extract_id = make(), {}, [], None
    for step in steps:
        if step[0] == "crash":
            crash(adapter, db)
            adapter = make()
            continue
        if step[0] == "sleep":
            time.sleep(step[1])
            continue
        if step[0] == "observe":
            out.append(repr(adapter.observe(step[1])))
            continue
        if step[0] == "page":  # ("page", n) or ("page", n, page size)
            step = extract(step[1], extract_id=extract_id, page_size=(*step[2:], 3)[0])
        if step[0] == "nested":
            step = nested(step[1])
        if step[0] == "utf-16":
            raw = step[1].decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
            raw, ctype = raw.encode("utf-16"), "text/xml; charset=utf-16"
        else:
            raw, ctype = step if isinstance(step, tuple) else (step, TEXT_XML)
        mask(raw.decode("utf-16" if ctype.endswith("16") else "utf-8"), labels)  # its IDs
        answer = adapter.handle(raw, ctype, '""')
        text = answer.body.decode("utf-8", "backslashreplace").replace(  # the right RequestHash
            base64.b64encode(hashlib.sha256(raw).digest()).decode(), "hash-of-the-request")
        if "FullExtractResponse" in text and extract_id is None:
            extract_id = re.search(r"ExtractId>([^<]+)<", text)[1]
        length = "" if answer.content_length is None else f" length {answer.content_length}"
        out.append(f"{answer.status} {answer.content_type}{length} {mask(text, labels)}")
    return out


def observed(tmp_path, defect: str | None, steps: list) -> list[str]:
    """The subscriber's transcript of ``steps`` on a store of its own (a fresh name each time:
    counting the folder's files repeats a name once a store's -wal and -shm files are gone)."""
    return transcript("subscriber", tmp_path / f"{defect}-{uuid.uuid4().hex}.sqlite3", defect,
                      steps)


def unheld_numbers(count: int, first: int) -> list[str]:
    """``count`` 宛名番号 from the 9-digit base ``first`` on, each with its modulus-11 check
    digit (bases without one skipped): numbers the test data does not hold."""
    out = []
    for base in range(first, first + 9999):
        digit = next((d for d in range(10) if m11_ok(f"{base:09d}{d}")), None)
        if digit is not None:
            out.append(f"{base:09d}{digit}")
        if len(out) == count:
            return out
    raise AssertionError("not enough numbers")


# --- a blind batch's own tests (test_independent_twelfth_batch.py and after) -------------------

def batch_cases(batch, declared, own_tests=frozenset()) -> list[tuple[str, str]]:
    """(variant, role) of every run of ``batch`` (``declared``: variants.APART) but those with
    tests of their own."""
    return sorted((name, role) for name in batch for role in declared[name][1]
                  if name not in own_tests)


def missed_runs(misses: dict[str, str], batch, declared) -> list[tuple[str, str]]:
    """(variant, role) of each run a batch's measurement missed (``misses``: variant → its roles,
    comma-separated), each checked to be a variant of ``batch`` and a role it is declared for."""
    assert set(misses) <= set(batch)
    for name, roles in misses.items():
        assert set(roles.split(", ")) <= set(declared[name][1]), name
    return [(name, role) for name, roles in misses.items() for role in roles.split(", ")]


def assert_declared_apart(batch, declared, *, min_per_class: int) -> list[str]:
    """Both roles, every class of issue 11 at least ``min_per_class`` times, each description
    citing its requirement; the roles of its runs, for the batch's own size checks."""
    roles = [role for name in batch for role in declared[name][1]]
    assert {"provider", "subscriber"} <= set(roles)
    for cls in range(1, 6):
        assert sum(declared[name][0] == cls for name in batch) >= min_per_class, cls
    for name in batch:
        assert declared[name][2].endswith("]"), name
    return roles


def assert_takes_effect(tmp_path, role: str, name: str, steps: list) -> None:
    """The variant's transcript of ``steps`` differs from the correct adapter's."""
    correct = transcript(role, tmp_path / "correct.sqlite3", None, steps)
    variant = transcript(role, tmp_path / "variant.sqlite3", name, steps)
    assert variant != correct


def split_by_targets(cases, targets: dict[str, set[str]]):
    """(the cases whose variant must leave a batch's neutral scenario as the correct adapter
    answers it, the ones ``targets`` — role → names — declares to change it: a defect of every
    reply, say)."""
    neutral = [(name, role) for name, role in cases if name not in targets[role]]
    targeted = [(name, role) for role, names in targets.items() for name in sorted(names)]
    return neutral, targeted


def correct_and_variant(tmp_path, role: str, name: str, steps: list) -> tuple[list[str], list[str]]:
    """The transcripts of ``steps`` by the correct adapter and by the variant ``name``."""
    return (transcript(role, tmp_path / "correct.sqlite3", None, steps),
            transcript(role, tmp_path / "variant.sqlite3", name, steps))


def variant_effect_tests(cases, steps: dict[str, Callable[[str], list]], dated: set[str]):
    """A batch's two tests that each variant takes effect (``steps[role](name)``: its own
    exchanges): on the pinned clock, and — the variants of ``dated``, which read the clock or a
    date — at NEW_YEAR too. A batch's test module binds them to its own names:
    ``test_each_variant_takes_effect, test_the_dated_variants_take_effect_at_new_year_too =
    variant_effect_tests(…)``."""

    @pytest.mark.parametrize(("name", "role"), cases)
    def takes_effect(tmp_path, name, role):
        assert_takes_effect(tmp_path, role, name, steps[role](name))

    @pytest.mark.parametrize(("name", "role"), [(n, r) for n, r in cases if n in dated])
    def at_new_year(tmp_path, monkeypatch, name, role):
        clock_from(monkeypatch, NEW_YEAR)
        assert dt.datetime.now(JST).strftime("%m-%d %H") == "01-01 00"
        assert_takes_effect(tmp_path, role, name, steps[role](name))

    return takes_effect, at_new_year


def neutral_scenario_tests(cases, targets: dict[str, set[str]], scenario: Callable[[str], list]):
    """A batch's two tests on its neutral scenario (``scenario(role)``: its steps): each variant
    of ``cases`` that ``targets`` does not declare leaves it as the correct adapter answers it;
    each declared one changes it. A batch's test module binds them to its own names:
    ``test_each_variant_leaves_what_it_does_not_target,
    test_the_variants_left_out_of_it_do_target_the_neutral_scenario = neutral_scenario_tests(…)``."""
    neutral, targeted = split_by_targets(cases, targets)

    @pytest.mark.parametrize(("name", "role"), neutral)
    def leaves(tmp_path, name, role):
        correct, variant = correct_and_variant(tmp_path, role, name, scenario(role))
        assert variant == correct

    @pytest.mark.parametrize(("name", "role"), targeted)
    def changes(tmp_path, name, role):
        assert (name, role) in cases
        correct, variant = correct_and_variant(tmp_path, role, name, scenario(role))
        assert variant != correct

    return leaves, changes


def adapter_answer(role: str, defect: str | None, raw: bytes, ctype: str = TEXT_XML, db=None):
    """One request answered by the independent adapter (``defect``: a variant, or None)."""
    unit = "01" if role == "provider" else "07"
    return Adapter(role, GOV, unit, "indie", db=db, defect=defect).handle(raw, ctype, '""')


def answer_on_store(defect: str | None, raw: bytes, ctype: str = TEXT_XML, role="provider",
                    tmp_path=None):
    """``adapter_answer`` of one request; a subscriber's on a store of its own in ``tmp_path``."""
    db = None if role == "provider" else tmp_path / f"{uuid.uuid4().hex}.sqlite3"
    return adapter_answer(role, defect, raw, ctype, db=db)


def answer_tree(defect: str | None, raw: bytes, ctype: str = TEXT_XML, role="provider",
                tmp_path=None) -> etree._Element:
    """``answer_on_store``'s body, parsed."""
    return etree.fromstring(answer_on_store(defect, raw, ctype, role, tmp_path).body)


def neutral_scenario() -> dict[str, list]:
    """The exchanges most batches' variants must leave as the correct adapter answers them: a
    SOAP 1.2 inquiry of a resident not held, and two changes of one resident (JIS X 0208 names),
    one per notice, sent in order, then observed."""
    return {"provider": [(inquiry(NOT_HELD, soap=SOAP12), SOAP12_TYPE)],
            "subscriber": [notice(change(number="0000010049", name="高橋健一")),
                           notice(change(seq=2, number="0000010049", name="高橋健二")),
                           ("observe", "0000010049")]}


def as_soap12(raw: bytes) -> tuple[bytes, str]:
    """``raw`` (a SOAP 1.1 request) as the same request over SOAP 1.2."""
    return raw.replace(SOAP11.encode(), SOAP12.encode()), SOAP12_TYPE


NEUTRAL_IDS = ("10000000-0000-4000-8000-000000000001", "20000000-0000-4000-8000-000000000002",
               "f0000000-0000-4000-8000-000000000003")


def neutral_paged_scenario(role: str) -> list:
    """What batches 46 and 47's variants must leave as the correct adapter answers them: a SOAP
    1.1 inquiry of a resident of a household of three by 宛名番号 and one of another of that
    household over SOAP 1.2; a first 全件 request for page 2 (two residents a page), then its
    page 3; an inquiry with a 基準日 in June. A 転入 (A01) of a resident not held, then two 転居
    (C01), one per notice (the second over SOAP 1.2), observed; a restart; a third, newer,
    observed — each change carrying its 個人番号, a 日本人's name in JIS X 0208, no optional
    element of the address or the event, their MessageIds (``NEUTRAL_IDS``) ascending."""
    first, second, third = NEUTRAL_IDS
    return {
        "provider": [inquiry("0000010014"), as_soap12(inquiry("0000010022")),
                     extract(2, page_size=2), ("page", 3, 2),
                     inquiry("0000010022", as_of="2025-06-01")],
        "subscriber": [
            notice(change(number="0000010049", name="高橋健一", reason="A01"), message_id=first),
            as_soap12(notice(change(seq=2, number="0000010049", name="高橋健二"),
                             message_id=second)),
            ("observe", "0000010049"), ("crash",),
            notice(change(seq=3, number="0000010049", name="高橋健三"), message_id=third),
            ("observe", "0000010049")],
    }[role]


def neutral_restart_scenario() -> list:
    """The subscriber's exchanges batches 35–37's variants must leave as the correct adapter
    answers them, across a restart: a 転入 (A01) of a resident not held, then two 転居 (C01), one
    per notice (the second over SOAP 1.2), observed; a restart; a third, newer, observed."""
    return [notice(change(number="0000010049", name="高橋健一", reason="A01")),
            (notice(change(seq=2, number="0000010049", name="高橋健二"), soap=SOAP12),
             SOAP12_TYPE),
            ("observe", "0000010049"), ("crash",),
            notice(change(seq=3, number="0000010049", name="高橋健三")),
            ("observe", "0000010049")]


def answer_text(answer, tag: str) -> str | None:
    """The text of the first element ``tag`` ({namespace}local) of an adapter's answer."""
    return etree.fromstring(answer.body).findtext(f".//{tag}")


def fault_code(answer) -> str | None:
    """The pff:Code of an adapter's fault."""
    return answer_text(answer, f"{{{PFF}}}Code")


def receipt_status(answer) -> str | None:
    """The pfr:Status of an adapter's receipt."""
    return answer_text(answer, f"{{{PFR}}}Status")


def replaced(raw: bytes, old: str, new: str) -> bytes:
    """``raw`` with the first ``old`` (which must be there) written as ``new``."""
    assert old.encode() in raw, old
    return raw.replace(old.encode(), new.encode(), 1)
