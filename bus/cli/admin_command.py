"""``pfbus admin``: maintenance mode and pauses on a running hub, through its admin listener.

    pfbus admin --config FILE maintenance on|off --reason TEXT
    pfbus admin --config FILE pause  (--subscriber ID | --route SERVICE/団体コード) --reason TEXT
    pfbus admin --config FILE resume (--subscriber ID | --route SERVICE/団体コード) --reason TEXT
    pfbus admin --config FILE status

The hub records each change in the routing log (who: the token's name; why: --reason) before
it takes effect, keeps it across restarts, and prints it as a JSON event. The token: the
environment variable PFBUS_ADMIN_TOKEN, else --token-file (a file holding only the token), else
the [admin] token_file line whose NAME is --as (default: your login name), else its only operator.
Exit status: 0 done, 1 refused by the hub, 2 usage or connection error.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

from ..admin.controls import Action, TargetKind
from ..core.console_roles import ConsoleRole
from . import common
from .common import EXIT_OK, EXIT_USAGE, CommandError

EXIT_REFUSED = common.EXIT_FINDINGS  # the hub refused the change (403, 409)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_config_argument(parser)
    parser.add_argument("--url", metavar="URL", help="the admin listener (default: where the "
                        "hub says it listens, else [admin] listen)")
    parser.add_argument("--token-file", metavar="FILE", help="a file holding only your token")
    parser.add_argument("--as", dest="user", metavar="NAME",
                        help="your NAME in [admin] token_file (default: your login name)")
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    m = sub.add_parser("maintenance", help="refuse new requests (503 + Retry-After) or stop")
    m.add_argument("state", choices=("on", "off"))
    m.add_argument("--reason", required=True, help="why (recorded in the routing log)")
    for name, text in (("pause", "stop delivering to a subscriber (its queue is kept) or "
                                 "refuse a route's requests"), ("resume", "undo a pause")):
        p = sub.add_parser(name, help=text)
        which = p.add_mutually_exclusive_group(required=True)
        which.add_argument("--subscriber", metavar="ID")
        which.add_argument("--route", metavar="SERVICE/団体コード")
        p.add_argument("--reason", required=True, help="why (recorded in the routing log)")
    sub.add_parser("status", help="maintenance, pauses and readiness")


def _token(args, config) -> str:
    if os.environ.get("PFBUS_ADMIN_TOKEN"):
        return os.environ["PFBUS_ADMIN_TOKEN"].strip()
    if args.token_file:
        try:
            return Path(args.token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CommandError(f"--token-file: {exc.strerror}") from None
    token_file = config.admin.token_file
    if token_file is None:
        raise CommandError("no token: set PFBUS_ADMIN_TOKEN or --token-file ([admin] has no "
                         "token_file)")
    try:
        lines = [line.split() for line in token_file.read_text(encoding="utf-8").splitlines()
                 if line.strip() and not line.lstrip().startswith("#")]
    except OSError as exc:
        raise CommandError(f"{token_file}: {exc.strerror} (use PFBUS_ADMIN_TOKEN or "
                         f"--token-file)") from None
    name = args.user or _login()
    mine = [t for t in lines if len(t) == 3 and t[1] == name]
    operators = [t for t in lines if len(t) == 3 and t[0] == ConsoleRole.OPERATOR]
    chosen = mine[0] if mine else operators[0] if len(operators) == 1 else None
    if chosen is None:
        raise CommandError(f"{token_file}: no line for {name!r}; use --as NAME")
    return chosen[2]


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers)
        return "unknown"


def _url(args, config) -> str:
    if args.url:
        return args.url.rstrip("/")
    settings = config.admin
    url_file = settings.state.with_name(settings.state.name + ".url")
    if url_file.is_file():
        return url_file.read_text(encoding="utf-8").strip()
    scheme = "https" if settings.tls else "http"
    return f"{scheme}://{settings.host}:{settings.port}"


def _call(url: str, token: str, method: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"{}")
        except ValueError:
            return exc.code, {"error": f"HTTP {exc.code}"}


def run(args: argparse.Namespace) -> int:
    return common.run_command("admin", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    config = common.hub_config(args.config)
    if config.admin is None:
        raise CommandError(f"{config.path}: this hub has no [admin] listener")
    url = _url(args, config)
    token = _token(args, config)
    try:
        if args.action == "status":
            status, doc = _call(url + "/api/state", token, "GET")
        else:
            if args.action == "maintenance":
                action, target = Action.MAINTENANCE, f"{TargetKind.HUB}:{args.state}"
            else:
                action = Action.PAUSED if args.action == "pause" else Action.RESUMED
                target = (f"{TargetKind.SUBSCRIBER}:{args.subscriber}" if args.subscriber
                          else f"{TargetKind.ROUTE}:{args.route}")
            status, doc = _call(url + "/api/controls", token, "POST",
                                {"action": action, "target": target, "reason": args.reason})
    except (urllib.error.URLError, OSError) as exc:
        raise CommandError(f"cannot reach the admin listener at {url}: "
                           f"{getattr(exc, 'reason', exc)}") from None
    if status != 200:
        # the hub's refusal as it words it (no "error:" prefix: the hub answered)
        print(f"pfbus admin: {doc.get('error', f'HTTP {status}')}", file=sys.stderr)
        return EXIT_REFUSED if status in (403, 409) else EXIT_USAGE
    print(json.dumps(doc, ensure_ascii=False, indent=1))
    return EXIT_OK
