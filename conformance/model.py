"""The suite as data: requirements, profiles, messages and cases, loaded from TOML and checked.

Cases are data, not code (the ITB / SoapUI way): a case file lists cases, each with the
requirement(s) it checks and steps of a few kinds (send, expect, validate, wait, …) that the
interpreter executes. Every mistake in the data is reported with its file and key, at load time,
so a broken case never turns into a false verdict at run time.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bus.core.header import LINKAGE_DELTA
from bus.core.settings import Invalid, Section, SettingsError, Source, Table, load_toml, read

from . import declarations as declared

HERE = Path(__file__).parent
CASES_DIR = HERE / "cases"

ROLES = declared.ROLES
REQUIRES = declared.REQUIRES
_ROLE_REF = re.compile(r"^@([a-z_]+)$")


class SuiteError(SettingsError):
    """The suite's data cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Requirement:
    id: str
    title: str
    text: str
    sources: tuple[str, ...]
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Message:
    name: str
    body: str  # a template: ${param} placeholders
    service: str | None  # None: any service (e.g. an unknown element)
    reply: bool = False  # a reply the suite sends when it plays the hub
    breaks: str | None = None  # the one rule beyond XSD it breaks (a fault must name it)
    breaks_at: str | None = None  # the element that breaks it, by its last names


@dataclass(frozen=True)
class Step:
    kind: str
    target: Any
    options: Mapping[str, Any]
    where: str  # file and key, for error messages and the report

    def get(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)

    def with_options(self, **options: Any) -> Step:
        return Step(self.kind, self.target, {**self.options, **options}, self.where)


@dataclass(frozen=True)
class Case:
    id: str
    title: str
    requirements: tuple[str, ...]
    steps: tuple[Step, ...]
    file: str  # stem of the case file
    description: str = ""
    service: str | None = None
    each_service: bool = False
    status: str = "active"  # active | pending
    pending_reason: str = ""
    requires: tuple[str, ...] = ()
    role: str | None = None  # only for profiles of this role (None: any)
    each_binding: bool = False  # the steps run once per SOAP version (a defect of one binding)
    first_service: bool = False  # once, on the profile's first service it applies to

    def role_refs(self) -> set[str]:
        """The message roles (``@sample`` …) the steps use: the case needs all of them."""
        refs = set()
        for step in _all_steps(self.steps):
            for value in (step.target, step.get("next"), step.get("reply_message")):
                if isinstance(value, str) and (m := _ROLE_REF.match(value)):
                    refs.add(m[1])
        refs.discard("service")  # ``@service``: the case's service itself, not a message
        return refs


@dataclass(frozen=True)
class Profile:
    id: str
    title: str
    unit: str
    role: str
    level: int
    services: tuple[str, ...]
    case_files: tuple[str, ...]
    params: Mapping[str, Any]
    reference: str = ""
    status: str = "active"  # active | draft
    draft_reason: str = ""
    reference_trigger: str | None = None
    hub_routes: tuple[str, ...] = ()
    hub_subscriptions: tuple[str, ...] = ()
    counterparts: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseInstance:
    """A case applied to one service of a profile (generic cases are expanded per service)."""

    case: Case
    service: str | None

    @property
    def id(self) -> str:
        return f"{self.case.id}/{self.service}" if self.case.each_service else self.case.id


@dataclass
class Suite:
    requirements: dict[str, Requirement]
    profiles: dict[str, Profile]
    messages: dict[str, Message]
    roles: dict[str, dict[str, str]]  # service -> role -> message name
    cases: dict[str, Case]
    counterparts: dict[str, dict]
    actions: dict[str, dict]
    fingerprint: str  # SHA-256 over every data file: which case data a report ran
    files: tuple[Path, ...] = field(default=())
    linkage_kinds: dict[str, str] = field(default_factory=dict)  # service -> 連携種別 it is sent as

    def linkage_kind(self, service: str) -> str:
        """The LinkageKind the suite's requests of ``service`` carry: 全件 services ``full``
        (docs/notices.md), everything else ``delta`` (差分, the SDK's default)."""
        return self.linkage_kinds.get(service, LINKAGE_DELTA)

    @classmethod
    def load(cls, root: Path = HERE) -> Suite:
        return _load(root)

    def instances(self, profile: Profile) -> list[CaseInstance]:
        """The cases of a profile, in file order, generic ones once per applicable service."""
        out: list[CaseInstance] = []
        ordered = sorted(self.cases.values(), key=lambda c: profile.case_files.index(c.file)
                         if c.file in profile.case_files else -1)
        for case in ordered:
            if case.file not in profile.case_files or case.role not in (None, profile.role):
                continue
            if case.each_service or case.first_service:
                applicable = [sid for sid in profile.services
                              if case.role_refs() <= set(self.roles.get(sid, {}))]
                out += [CaseInstance(case, sid) for sid in
                        (applicable[:1] if case.first_service else applicable)]
            elif case.service is None or case.service in profile.services:
                out.append(CaseInstance(case, case.service))
        return out

    def message(self, ref: str, service: str | None, where: str) -> Message:
        """A message by name, or by role (``@sample``) of ``service``."""
        m = _ROLE_REF.match(ref)
        name = self.roles.get(service or "", {}).get(m[1]) if m else ref
        if name is None or name not in self.messages:
            raise SuiteError(f"{where}: no message {ref!r} for service {service}")
        return self.messages[name]


def _read(path: Path, table: Table) -> Section:
    return read(table, load_toml(path, SuiteError), Source(path.name, path.parent, SuiteError))


def _load(root: Path) -> Suite:
    files = [root / "requirements.toml", root / "profiles.toml", root / "messages.toml",
             *sorted((root / "cases").glob("*.toml"))]
    digest = hashlib.sha256()
    for f in files:
        try:
            digest.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
        except OSError as exc:
            raise SuiteError(f"{f}: cannot read: {exc.strerror or exc}") from None

    requirements: dict[str, Requirement] = {}
    for r in _read(files[0], declared.REQUIREMENTS_FILE)["requirement"]:
        if r["id"] in requirements:
            raise r.error("id", f"{r['id']} is defined twice")
        requirements[r["id"]] = Requirement(r["id"], r["title"], r["text"], r["sources"],
                                            r["roles"])

    msg_doc = _read(files[2], declared.MESSAGES_FILE)
    messages = {name: Message(name, m["body"], m["service"], m["reply"], m["breaks"],
                              m["breaks_at"])
                for name, m in msg_doc["message"].items()}
    roles = {sid: {role: name for role, name in t.items() if name is not None}
             for sid, t in msg_doc["roles"].items()}
    for sid, table in roles.items():
        for role, name in table.items():
            if name not in messages:
                raise msg_doc.error(f"roles.{sid}.{role}", f"no message {name!r}")

    prof_doc = _read(files[1], declared.PROFILES_FILE)
    profiles: dict[str, Profile] = {}
    for p in prof_doc["profile"]:
        if p["id"] in profiles:
            raise p.error("id", f"{p['id']} is defined twice")
        profiles[p["id"]] = Profile(
            id=p["id"], title=p["title"], unit=p["unit"], role=p["role"], level=p["level"],
            services=p["services"], case_files=p["case_files"],
            params={**prof_doc["defaults"], **p["params"]}, reference=p["reference"],
            status=p["status"], draft_reason=p["draft_reason"],
            reference_trigger=p["reference_trigger"], hub_routes=p["hub_routes"],
            hub_subscriptions=p["hub_subscriptions"], counterparts=p["counterparts"])

    cases: dict[str, Case] = {}
    for path in files[3:]:
        for i, c in enumerate(_read(path, declared.CASE_FILE)["case"]):
            case = _case(c, path.stem, f"{path.name}: case[{i}]", requirements)
            if case.id in cases:
                raise SuiteError(f"{path.name}: case[{i}].id: {case.id} is defined twice")
            cases[case.id] = case
    suite = Suite(requirements, profiles, messages, roles, cases,
                  dict(prof_doc["counterpart"]), dict(prof_doc["action"]),
                  digest.hexdigest(), tuple(files), dict(msg_doc["linkage_kind"]))
    _cross_check(suite)
    return suite


def _case(c: Section, file: str, where: str, requirements: Mapping[str, Requirement]) -> Case:
    cid = c["id"]
    where = f"{where} ({cid})"
    reqs = c["requirements"]
    if not reqs:
        raise SuiteError(f"{where}.requirements: a case checks at least one requirement")
    for r in reqs:
        if r not in requirements:
            raise SuiteError(f"{where}.requirements: unknown requirement {r}")
    if c["status"] == "pending" and not c["pending_reason"]:
        raise SuiteError(f"{where}.pending_reason: a pending case says what it waits for")
    steps = tuple(_step(s, f"{where}.step[{j}]") for j, s in enumerate(c["step"]))
    if not steps:
        raise SuiteError(f"{where}.step: a case has steps")
    return Case(cid, c["title"], reqs, steps, file, c["description"], c["service"],
                c["each_service"], c["status"], c["pending_reason"], c["requires"], c["role"],
                c["each_binding"], c["first_service"])


def _step(s: Section, where: str) -> Step:
    """A step as read (its kind's options declared in declarations.STEP_OPTIONS); the steps of a
    ``wait`` are read here, each against its own kind."""
    kind = next(iter(s))  # a kind's table declares the kind first
    options = {k: v for k, v in s.items() if k != kind and k in s.given}
    if kind == "wait":
        subs = options.get("steps")
        if not isinstance(subs, list) or not subs or not all(isinstance(x, dict) for x in subs):
            raise SuiteError(f"{where}.steps: a wait repeats a list of steps")
        options["steps"] = [_step(_read_step(sub, s.source, f"{s.key}.steps[{k}]"),
                                  f"{where}.steps[{k}]") for k, sub in enumerate(subs)]
    return Step(kind, s[kind], options, where)


def _read_step(raw: dict, source: Source, key: str) -> Section:
    try:
        table = declared.STEP.choose(raw)
    except Invalid as exc:
        raise source.fail(key, exc.message) from None
    return read(table, raw, source, key)


def _cross_check(suite: Suite) -> None:
    """References between files: profiles → case files, services, counterparts; cases →
    messages."""
    known_files = {p.stem for p in suite.files if p.parent.name == "cases"}
    for p in suite.profiles.values():
        for f in p.case_files:
            if f not in known_files:
                raise SuiteError(f"profiles.toml: {p.id}.case_files: no cases/{f}.toml")
        for c in p.counterparts:
            if c not in suite.counterparts:
                raise SuiteError(f"profiles.toml: {p.id}.counterparts: unknown {c!r}")
    for case in suite.cases.values():
        for step in _all_steps(case.steps):
            refs = [step.target] if step.kind in ("send", "paginate", "equivalence", "domain",
                                                 "concurrent") else []
            refs += [step.get("next")] if step.get("next") else []
            refs += [step.get("reply_message")] if step.get("reply_message") else []
            for ref in refs:
                if isinstance(ref, str) and not ref.startswith("@") and ref not in suite.messages:
                    raise SuiteError(f"{step.where}: no message {ref!r} in messages.toml")
            if step.kind == "act" and step.target not in suite.actions:
                raise SuiteError(f"{step.where}: no action {step.target!r} in profiles.toml")


def _all_steps(steps):
    for step in steps:
        yield step
        if step.kind == "wait":
            yield from _all_steps(step.options["steps"])
