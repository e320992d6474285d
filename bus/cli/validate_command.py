"""``pfbus validate FILE``: the hub's validation, offline.

FILE is either a SOAP envelope (its platform header and its body are validated as the hub would:
the body must be the request or the response element of the service the header names), or a bare
document whose root is an element of a loaded schema. Exit status: 0 valid, 1 findings, 2 usage.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from schemas import BUILTIN_CATALOG

from ..core.catalog import Catalog
from ..core.envelope import Limits, parse_document, parse_envelope
from ..core.faults import SOAP11_NS, SOAP12_NS, HubFault
from ..core.findings import Finding, breaks_schema
from ..core.header import PlatformHeader
from ..core.validator import MessageValidator
from . import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="message file(s) to validate")
    common.add_config_argument(parser, required=False,
                               help="hub config: its catalogs, tenants' 宛名番号 schemes and "
                                    "character repertoires, systems' registered 外字 tables, "
                                    "limits")
    parser.add_argument("--catalog", action="append", metavar="FILE",
                        help='schema catalog (repeatable; "builtin": the one shipped; default: builtin)')
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    # a configuration's or a catalog's error names the file and the key (exit 2)
    return common.run_command("validate", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    limits = Limits()
    schemes, repertoires, gaiji = {}, {}, {}
    catalogs: list[Path | str] = list(args.catalog or [])  # "builtin" or a path
    if args.config:
        config = common.hub_config(args.config)
        limits = config.limits
        schemes = {code: t.addressee_scheme for code, t in config.tenants.items()}
        repertoires = {code: t.characters for code, t in config.tenants.items()}
        gaiji = {party: s.registered_gaiji for party, s in config.systems.items()}
        catalogs = catalogs or list(config.catalogs)
    catalog = Catalog.load(catalogs or [BUILTIN_CATALOG])
    validator = MessageValidator(catalog, schemes, characters=repertoires, gaiji=gaiji)
    worst, results = 0, []
    for name in args.files:
        try:
            raw = Path(name).read_bytes()
        except OSError as exc:
            raise common.CommandError(f"{name}: {exc.strerror}") from None
        code, findings = validate_bytes(raw, catalog, validator, limits)
        worst = max(worst, common.EXIT_FINDINGS if findings else common.EXIT_OK)
        if args.format == "json":
            results.append({"file": name, "valid": not findings, "code": code,
                            "findings": [f.__dict__ for f in findings]})
        else:
            _report(name, code, findings)
    if args.format == "json":
        common.print_json(results)
    return worst


def validate_bytes(raw: bytes, catalog: Catalog, validator: MessageValidator,
                   limits: Limits) -> tuple[str | None, list[Finding]]:
    """(fault code or None, findings) for one message file."""
    try:
        if _is_envelope(raw):
            env = parse_envelope(raw, limits)
            if env.header is None:
                return "PF-HEADER-MISSING", [Finding("header:required",
                                                     "no pfh:PlatformHeader in soap:Header")]
            findings = validator.validate(env.header)
            if findings:
                return "PF-HEADER-INVALID", findings
            header = PlatformHeader.from_element(env.header)
            service = catalog.service(header.service_id)
            if service is None:
                return "PF-SERVICE-UNKNOWN", [Finding("service:known",
                                                      f"no catalog defines {header.service_id}")]
            if env.is_fault:
                return None, []
            is_response = env.body.tag == service.response_tag
            expected = service.response_tag if is_response else service.request_tag
            owner = (header.sender if is_response else header.receiver).local_gov_code
            findings = validator.validate(env.body, expected, owner, str(header.sender))
        else:
            findings = validator.validate(parse_document(raw, limits))
    except HubFault as fault:
        return fault.fault.code, list(fault.findings)
    if not findings:
        return None, []
    return ("PF-SCHEMA-INVALID" if breaks_schema(findings) else "PF-RULE-VIOLATION"), findings


def _is_envelope(raw: bytes) -> bool:
    head = raw[:4096]
    return SOAP11_NS.encode() in head or SOAP12_NS.encode() in head


def _report(name: str, code: str | None, findings: list[Finding]) -> None:
    if not findings:
        print(f"{name}: valid")
        return
    print(f"{name}: INVALID ({code}), {len(findings)} finding(s)")
    for f in findings:
        print(f"  {name}:{f.line or '-'}: {f.path or '-'}: [{f.rule}] {f.message}")
