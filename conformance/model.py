"""The suite as data: requirements, profiles, messages and cases, loaded from TOML and checked.

Cases are data, not code (the ITB / SoapUI way): a case file lists cases, each with the
requirement(s) it checks and steps of a few kinds (send, expect, validate, wait, …) that the
interpreter executes. Every mistake in the data is reported with its file and key, at load time,
so a broken case never turns into a false verdict at run time.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
CASES_DIR = HERE / "cases"

# Step kinds and the options each accepts. The kind is the one key of this table present in a
# step; its value is the step's target (a message, another step's name, a service …).
STEP_OPTIONS: dict[str, frozenset[str]] = {
    "send": frozenset({"name", "soap", "timeout", "header", "omit_header", "vars", "via"}),
    "resend": frozenset({"name", "timeout", "via"}),
    "expect": frozenset({"outcome", "http_status", "checks", "xpath", "fault", "same_body_as",
                         "ignore", "exit", "stdout_json", "distinct_message_ids", "requests"}),
    "validate": frozenset({"message", "part", "against"}),
    "wait": frozenset({"steps", "every", "timeout"}),
    "paginate": frozenset({"next", "name", "page_size", "max_pages", "via", "timeout",
                           "extract_id", "page", "total_pages", "total_count", "item", "key"}),
    "wsdl": frozenset({"checks", "name", "timeout"}),
    "trigger": frozenset({"name", "vars", "reply", "reply_message", "timeout"}),
    "act": frozenset({"name", "vars", "timeout"}),
    "observe": frozenset({"name", "vars", "timeout"}),
    "log": frozenset({"hops", "status", "rule", "fault_code", "absent", "timeout"}),
}
COMMON_STEP_OPTIONS = frozenset({"note"})
ROLES = ("provider", "consumer", "subscriber")
CASE_KEYS = frozenset({"id", "title", "requirements", "description", "service", "each_service",
                       "role", "status", "pending_reason", "requires", "step"})
REQUIRES = ("trigger", "observe")
_ROLE_REF = re.compile(r"^@([a-z_]+)$")


class SuiteError(ValueError):
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


@dataclass(frozen=True)
class Step:
    kind: str
    target: Any
    options: Mapping[str, Any]
    where: str  # file and key, for error messages and the report

    def get(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)


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
            if case.each_service:
                for sid in profile.services:
                    if case.role_refs() <= set(self.roles.get(sid, {})):
                        out.append(CaseInstance(case, sid))
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


def _read(path: Path) -> dict:
    try:
        with path.open("rb") as f:
            doc = tomllib.load(f)
    except OSError as exc:
        raise SuiteError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SuiteError(f"{path}: not valid TOML: {exc}") from None
    if doc.get("format") != 1:
        raise SuiteError(f"{path}: format: must be 1")
    return doc


def _strs(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SuiteError(f"{where}: must be a string or a list of strings")
    return tuple(value)


def _load(root: Path) -> Suite:
    files = [root / "requirements.toml", root / "profiles.toml", root / "messages.toml",
             *sorted((root / "cases").glob("*.toml"))]
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")

    req_path = files[0]
    requirements: dict[str, Requirement] = {}
    for i, r in enumerate(_read(req_path).get("requirement", [])):
        where = f"{req_path.name}: requirement[{i}]"
        rid = r.get("id")
        if not isinstance(rid, str) or rid in requirements:
            raise SuiteError(f"{where}.id: missing or duplicate")
        requirements[rid] = Requirement(rid, r.get("title", ""), r.get("text", ""),
                                        _strs(r.get("sources", []), f"{where}.sources"),
                                        _strs(r.get("roles", []), f"{where}.roles"))

    msg_doc = _read(files[2])
    messages = {name: Message(name, m["body"], m.get("service"), bool(m.get("reply", False)))
                for name, m in msg_doc.get("message", {}).items()}
    roles = {sid: dict(t) for sid, t in msg_doc.get("roles", {}).items()}
    for sid, table in roles.items():
        for role, name in table.items():
            if name not in messages:
                raise SuiteError(f"messages.toml: roles.{sid}.{role}: no message {name!r}")

    prof_doc = _read(files[1])
    defaults = prof_doc.get("defaults", {})
    profiles: dict[str, Profile] = {}
    for i, p in enumerate(prof_doc.get("profile", [])):
        where = f"profiles.toml: profile[{i}]"
        if p.get("role") not in ROLES:
            raise SuiteError(f"{where}.role: must be one of {', '.join(ROLES)}")
        if p.get("level") not in (1, 2):
            raise SuiteError(f"{where}.level: must be 1 or 2")
        profiles[p["id"]] = Profile(
            id=p["id"], title=p.get("title", ""), unit=p.get("unit", ""), role=p["role"],
            level=p["level"], services=_strs(p.get("services", []), f"{where}.services"),
            case_files=_strs(p.get("case_files", []), f"{where}.case_files"),
            params={**defaults, **p.get("params", {})}, reference=p.get("reference", ""),
            status=p.get("status", "active"), draft_reason=p.get("draft_reason", ""),
            reference_trigger=p.get("reference_trigger"),
            hub_routes=_strs(p.get("hub_routes", []), f"{where}.hub_routes"),
            hub_subscriptions=_strs(p.get("hub_subscriptions", []), f"{where}.hub_subscriptions"),
            counterparts=_strs(p.get("counterparts", []), f"{where}.counterparts"))

    cases: dict[str, Case] = {}
    for path in files[3:]:
        doc = _read(path)
        for i, c in enumerate(doc.get("case", [])):
            case = _case(c, path.stem, f"{path.name}: case[{i}]", requirements)
            if case.id in cases:
                raise SuiteError(f"{path.name}: case[{i}].id: {case.id} is defined twice")
            cases[case.id] = case
    suite = Suite(requirements, profiles, messages, roles, cases,
                  dict(prof_doc.get("counterpart", {})), dict(prof_doc.get("action", {})),
                  digest.hexdigest(), tuple(files))
    _cross_check(suite)
    return suite


def _case(c: dict, file: str, where: str, requirements: Mapping[str, Requirement]) -> Case:
    unknown = set(c) - CASE_KEYS
    if unknown:
        raise SuiteError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    cid = c.get("id")
    if not isinstance(cid, str) or not cid:
        raise SuiteError(f"{where}.id: required")
    where = f"{where} ({cid})"
    reqs = _strs(c.get("requirements", []), f"{where}.requirements")
    if not reqs:
        raise SuiteError(f"{where}.requirements: a case checks at least one requirement")
    for r in reqs:
        if r not in requirements:
            raise SuiteError(f"{where}.requirements: unknown requirement {r}")
    status = c.get("status", "active")
    if status not in ("active", "pending"):
        raise SuiteError(f"{where}.status: must be active or pending")
    if status == "pending" and not c.get("pending_reason"):
        raise SuiteError(f"{where}.pending_reason: a pending case says what it waits for")
    requires = _strs(c.get("requires", []), f"{where}.requires")
    if set(requires) - set(REQUIRES):
        raise SuiteError(f"{where}.requires: known: {', '.join(REQUIRES)}")
    steps = tuple(_step(s, f"{where}.step[{j}]") for j, s in enumerate(c.get("step", [])))
    if not steps:
        raise SuiteError(f"{where}.step: a case has steps")
    role = c.get("role")
    if role is not None and role not in ROLES:
        raise SuiteError(f"{where}.role: must be one of {', '.join(ROLES)}")
    return Case(cid, c.get("title", ""), reqs, steps, file, c.get("description", ""),
                c.get("service"), bool(c.get("each_service", False)), status,
                c.get("pending_reason", ""), requires, role)


def _step(s: dict, where: str) -> Step:
    kinds = [k for k in s if k in STEP_OPTIONS]
    if len(kinds) != 1:
        raise SuiteError(f"{where}: a step has exactly one of {', '.join(STEP_OPTIONS)}")
    kind = kinds[0]
    options = {k: v for k, v in s.items() if k != kind}
    unknown = set(options) - STEP_OPTIONS[kind] - COMMON_STEP_OPTIONS
    if unknown:
        raise SuiteError(f"{where}: unknown option(s) for {kind}: {', '.join(sorted(unknown))}")
    if kind == "wait":
        subs = options.get("steps")
        if not isinstance(subs, list) or not subs:
            raise SuiteError(f"{where}.steps: a wait repeats a list of steps")
        options["steps"] = [_step(sub, f"{where}.steps[{k}]") for k, sub in enumerate(subs)]
    return Step(kind, s[kind], options, where)


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
            refs = [step.target] if step.kind in ("send", "paginate") else []
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
