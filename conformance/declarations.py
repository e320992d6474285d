"""The conformance suite's data files, declared once (the same layer as the hub config:
bus/core/settings): requirements.toml, profiles.toml, messages.toml and cases/*.toml.

Add a key: one ``Key(...)`` line here, then use it in ``model.py``. A new step option: add it to
``STEP_OPTIONS`` (kind ``Anything``: the interpreter checks its value, often a ``${param}``
template). The generated test covers misspellings of every key.
"""

from __future__ import annotations

from bus.core.settings import (REQUIRED, Anything, Bool, Choice, Int, Key, ListOf, MapOf,
                               OneOrMore, Str, Sub, Table, Tables, Variant)

ROLES = ("provider", "consumer", "subscriber")
REQUIRES = ("trigger", "observe", "restart", "waiting")  # waiting: opt-in (waiting.py)
MESSAGE_ROLES = ("sample", "repeatable", "rules_sample", "not_found", "invalid_schema",
                 "invalid_rule", "invalid_check_digit", "invalid_individual_number", "invalid_rules",
                 "boundary_max", "domain_low", "domain_high", "unknown_body", "reply")


def format_one(value: int) -> str | None:
    return None if value == 1 else "must be 1"


FORMAT = Key("format", Int(), REQUIRED, "the file format: 1", format_one)

# --- requirements.toml ---
REQUIREMENT = Table("requirement", (
    Key("id", Str(nonempty=True), REQUIRED, "stable ID, e.g. RQ-SOAP-11"),
    Key("title", Str(), "", "short title"),
    Key("text", Str(), "", "what must hold"),
    Key("sources", OneOrMore(), (), "where it comes from"),
    Key("roles", OneOrMore(), (), "who it applies to"),
), "a requirement the suite checks")
REQUIREMENTS_FILE = Table("requirements.toml", (
    FORMAT, Key("requirement", Tables(REQUIREMENT), [], REQUIREMENT.doc)))

# --- profiles.toml ---
PROFILE = Table("profile", (
    Key("id", Str(nonempty=True), REQUIRED, "the profile's ID"),
    Key("title", Str(), "", "short title"),
    Key("unit", Str(), "", "業務ユニットコード"),
    Key("role", Choice(ROLES), REQUIRED, "what the product plays"),
    Key("level", Int(1, 2), REQUIRED, "1 準拠確認, 2 相互接続確認"),
    Key("services", OneOrMore(), (), "the services the product plays"),
    Key("case_files", OneOrMore(), (), "the case files whose cases apply"),
    Key("reference", Str(), "", "the reference adapter certified against it"),
    Key("status", Choice(("active", "draft")), "active", "draft: not backed by a reference yet"),
    Key("draft_reason", Str(), "", "why it is a draft"),
    Key("reference_trigger", Str(), None, "command that makes the reference consumer call"),
    Key("hub_routes", OneOrMore(), (), "level 2: services the hub routes to the product"),
    Key("hub_subscriptions", OneOrMore(), (), "level 2: notices the hub delivers to the product"),
    Key("counterparts", OneOrMore(), (), "level 2: reference adapters started around it"),
    Key("params", MapOf(Anything()), {}, "the run's parameters (over [defaults])"),
), "what a vendor certifies against")
COUNTERPART = Table("counterpart.NAME", (
    Key("command", ListOf(Str(), nonempty=True), REQUIRED, "the process ({python}, {workdir} …)"),
    Key("ready_event", Str(), "adapter.listening", "the JSON event it prints when ready"),
    Key("services", ListOf(Str()), [], "the services it provides"),
    Key("after_hub", Bool(), False, "starts once the hub listens (a publisher)"),
), "a reference adapter started in level-2 runs")
ACTION = Table("action.NAME", (
    Key("command", ListOf(Str(), nonempty=True), REQUIRED, "the command ({python}, {hub_url} …)"),
), "an action of a reference adapter a level-2 case can run")
PROFILES_FILE = Table("profiles.toml", (
    FORMAT,
    Key("defaults", MapOf(Anything()), {}, "parameters every profile starts from"),
    Key("profile", Tables(PROFILE), [], PROFILE.doc),
    Key("counterpart", MapOf(Sub(COUNTERPART)), {}, COUNTERPART.doc),
    Key("action", MapOf(Sub(ACTION)), {}, ACTION.doc),
))

# --- messages.toml ---
MESSAGE = Table("message.NAME", (
    Key("body", Str(), REQUIRED, "the body's XML, with ${param} placeholders"),
    Key("service", Str(), None, "its service; none: any"),
    Key("reply", Bool(), False, "an answer the suite gives when it plays the hub"),
    Key("breaks", Str(nonempty=True), None,
        "the one rule beyond XSD the message breaks: a send step names it ${<step>_breaks}"),
    Key("breaks_at", Str(nonempty=True), None,
        "the element breaking it, its last names (juki:Change/cmn:Reason): ${<step>_breaks_at}"),
), "a message body the cases send")
SERVICE_ROLES = Table("roles.SERVICE", tuple(
    Key(role, Str(nonempty=True), None, f"the message playing {role!r}")
    for role in MESSAGE_ROLES), "the messages playing each role for a service")
MESSAGES_FILE = Table("messages.toml", (
    FORMAT,
    Key("roles", MapOf(Sub(SERVICE_ROLES)), {}, SERVICE_ROLES.doc),
    Key("message", MapOf(Sub(MESSAGE)), {}, MESSAGE.doc),
    Key("linkage_kind", MapOf(Choice(("full", "delta"))), {},
        "the LinkageKind (連携種別) of the suite's requests of a service; others: delta"),
))

# --- cases/*.toml ---
# Step kinds and the options each accepts. The kind is the one key of this table present in a
# step; its value is the step's target (a message, another step's name, a service …).
STEP_OPTIONS: dict[str, tuple[str, ...]] = {
    "send": ("name", "soap", "timeout", "header", "omit_header", "vars", "via", "tamper",
             "omit_soap_action",
             "content_type", "capture", "together", "new_ids", "each_resident"),
    "resend": ("name", "timeout", "via"),
    "expect": ("outcome", "http_status", "checks", "xpath", "fault", "same_body_as", "ignore",
               "exit", "stdout_json", "distinct_message_ids", "requests", "unseen"),
    "validate": ("message", "part", "against"),
    "wait": ("steps", "every", "timeout"),
    "paginate": ("next", "name", "page_size", "max_pages", "via", "timeout", "extract_id", "page",
                 "total_pages", "total_count", "item", "key", "soap", "reread", "resize",
                 "later_headers"),
    "wsdl": ("checks", "name", "timeout"),
    "grid": ("timeout", "rotate"),
    "equivalence": ("vars", "soap", "ignore", "observe_vars", "variants", "timeout", "shapes",
                    "pairs"),
    "domain": ("vars", "observe_vars", "timeout"),
    "edges": ("vars", "observe_vars", "timeout"),
    "neighbours": ("timeout",),
    "broken_shapes": ("timeout",),
    "names": ("timeout",),
    "extremes": ("vars", "field", "past_like", "future_like", "timeout"),
    "trigger": ("name", "vars", "reply", "reply_message", "timeout"),
    "act": ("name", "vars", "timeout"),
    "observe": ("name", "vars", "timeout"),
    "log": ("hops", "status", "rule", "fault_code", "absent", "timeout"),
    "invariant": (),
    "restart": ("name", "timeout"),
    "reobserve": ("vars", "timeout"),
    "late_retries": ("timeout",),
    "late_notices": ("timeout",),
    "minute_edge": ("vars", "soap", "timeout"),
    "connection": ("vars", "soap", "timeout"),
    "concurrent": ("count", "vars", "timeout"),
    "pause": (),
    "wire": ("vars", "soap", "ignore", "forms", "observe_vars", "timeout"),
    "parties": ("vars", "ignore", "timeout"),
    "identifiers": ("vars", "ignore", "timeout"),
    "check_digits": ("vars", "ignore", "timeout"),
    "party_domains": ("vars", "ignore", "also", "timeout"),
    "widths": ("vars", "timeout"),
    "user_ids": ("vars", "ignore", "timeout"),
    "retry_widths": ("vars", "timeout"),
    "service_spellings": ("vars", "timeout"),
}
COMMON_STEP_OPTIONS = ("note",)
STEP = Variant("case.step", tuple(
    Table(f"case.step ({kind})", (
        Key(kind, Anything(), REQUIRED, "the step's kind, and its target"),
        *(Key(option, Anything(), None) for option in (*options, *COMMON_STEP_OPTIONS))))
    for kind, options in STEP_OPTIONS.items()))


def known_requires(value: tuple[str, ...]) -> str | None:
    return None if set(value) <= set(REQUIRES) else f"known: {', '.join(REQUIRES)}"


CASE = Table("case", (
    Key("id", Str(nonempty=True), REQUIRED, "the case's ID"),
    Key("title", Str(), "", "short title"),
    Key("requirements", OneOrMore(), REQUIRED, "the requirement(s) it checks"),
    Key("description", Str(), "", "what it does"),
    Key("service", Str(), None, "the one service it applies to"),
    Key("each_service", Bool(), False, "run once per service of the profile"),
    Key("first_service", Bool(), False, "run once, on the profile's first service it applies "
        "to (what a product does in one piece of code whatever the service: its HTTP reader)"),
    Key("each_binding", Bool(), False,
        "run its steps once per SOAP version (1.1, then 1.2), each pass with fresh values"),
    Key("role", Choice(ROLES), None, "only for profiles of this role"),
    Key("status", Choice(("active", "pending")), "active", "pending: not run yet"),
    Key("pending_reason", Str(), "", "what a pending case waits for"),
    Key("requires", OneOrMore(), (), "what the run must offer: trigger, observe",
        known_requires),
    Key("step", Tables(STEP), [], "its steps, in order"),
), "a conformance case")
CASE_FILE = Table("case file", (FORMAT, Key("case", Tables(CASE), [], CASE.doc)))
