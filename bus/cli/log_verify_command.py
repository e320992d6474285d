"""``pfbus log verify | export | verify-export``: the routing log's hash chain.

Exit status: 0 intact (or exported), 1 tampering found (or nothing to export), 2 usage or file
error, 3 intact but with gap records — the hub's own account of records lost after a crash, not
tampering, yet something monitoring must notice (a 0 would hide it).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bus.store.log_integrity import (ExportError, Report, parse_anchor, verify_export,
                                     verify_log, write_export)
from bus.store.routing_log import RoutingLogError

from .common import EXIT_FINDINGS, EXIT_OK, CommandError
from .log_command import _time_option, open_log

EXIT_BAD = EXIT_FINDINGS  # tampering found, or nothing to export
EXIT_GAPS = 3  # intact, with gap records


def run(action: str, args: argparse.Namespace) -> int:
    """Run inside ``common.run_command`` (``pfbus log ACTION: error: …``, exit 2)."""
    name = f"pfbus log {action}"
    try:
        anchors = [parse_anchor(a) for a in getattr(args, "anchor", [])]
    except ValueError as exc:
        raise CommandError(f"--anchor: {exc}") from None
    if action == "verify-export":
        try:
            report = verify_export(Path(args.file), anchors)
        except ExportError as exc:
            raise CommandError(str(exc)) from None
        return _print(name, report, what=f"export {args.file}")
    since = _time_option(args, "since")
    until = _time_option(args, "until")
    routing_log = open_log(args)
    try:
        chains = _chains(routing_log, getattr(args, "node", None))
        if anchors and len(chains) > 1:  # an anchor is one node's SEQ:HASH
            raise CommandError(f"--anchor names a record of one chain: give --node "
                               f"({', '.join(routing_log.nodes())})")
        if action == "verify" and not chains:
            print(f"intact: {routing_log.name}: no chained records yet")
            return EXIT_OK
        if action == "verify":
            # every chain (one per node on PostgreSQL); the worst outcome is the exit status
            codes = [_print(name, verify_log(chain, anchors), what=chain.name) for chain in chains]
            return max(codes, key=[EXIT_OK, EXIT_GAPS, EXIT_BAD].index, default=EXIT_OK)
        if len(chains) != 1:
            raise CommandError(f"the log holds {len(chains)} chains ({_what(routing_log)}); "
                               f"give --node ({', '.join(routing_log.nodes())})")
        try:
            trailer = write_export(chains[0], Path(args.out), since, until)
        except ExportError as exc:  # nothing to export: not a usage error
            raise CommandError(str(exc), EXIT_BAD) from None
        except OSError as exc:
            raise CommandError(f"{args.out}: {exc.strerror}") from None
        print(f"exported {trailer['count']} records up to id {trailer['last_id']} to {args.out}\n"
              f"last hash {trailer['last_hash']}\n"
              f"file sha256 {trailer['sha256']}\n"
              f"keep the last hash elsewhere; check with: pfbus log verify-export {args.out} "
              f"--anchor {trailer['last_id']}:{trailer['last_hash']}")
        return EXIT_OK
    except RoutingLogError as exc:
        raise CommandError(str(exc)) from None
    finally:
        routing_log.close()


def _chains(routing_log, node: str | None) -> list:
    """The chains to check: a SQLite file's one; of several workers' files (``pfbus serve
    --workers``) each file's, or worker ``node``'s; on PostgreSQL every node's, or ``node``'s."""
    if node is None:
        return routing_log.chains()
    if not hasattr(routing_log, "nodes"):
        raise RoutingLogError("--node: this SQLite routing log has one chain (one file, no "
                              "workers' files beside it)")
    if node not in routing_log.nodes():
        raise RoutingLogError(f"--node {node}: not one of the {_what(routing_log)} of "
                              f"{routing_log.name} ({', '.join(routing_log.nodes())})")
    return [routing_log.chain(node)]


def _what(routing_log) -> str:
    return "workers' files" if getattr(routing_log, "FILES", False) else "nodes"


def _print(name: str, report: Report, what: str) -> int:
    w = report.walk
    if report.problem is not None:
        print(f"{name}: TAMPERED: {what}: first bad {report.problem}")
        if w.last_id is not None:
            print(f"intact before it: {w.count} records, ids {w.first_id}..{w.last_id}")
        return EXIT_BAD
    lines = [f"intact: {what}: {w.count} chained records"
             + (f", ids {w.first_id}..{w.last_id}" if w.count else ""),
             f"head: {w.last_id}:{w.last_hash}" if w.count else "head: (empty chain)"]
    if report.unchained:
        lines.append(f"not covered: {report.unchained} records written before the chain "
                     f"existed (migration 3)")
    if report.anchors_checked:
        lines.append(f"anchors matched: {report.anchors_checked}")
    lines += list(report.notes)
    if report.gaps:  # not tampering: the hub's own record of a crash, inside the intact chain
        lines.append(f"gaps: {len(report.gaps)} recorded by the hub after a crash (records lost "
                     f"before commit, not tampering); {report.recovered} hops recovered from "
                     f"the notice store")
        lines += [f"  gap record {rid} at {at}: {reason}" for rid, at, reason in report.gaps]
    print("\n".join(lines))
    return EXIT_GAPS if report.gaps else EXIT_OK
