"""``pfbus serve --config FILE [--workers N]``: run the hub until SIGINT/SIGTERM.

The first SIGTERM or SIGINT drains the hub (``Hub.drain``: in-flight work gets ``[hub]
drain_timeout``); a second one cuts what is still in flight at once. Either way the stores are
closed safely before the process exits with status 0.

``--workers N`` (or ``[hub] workers``; ``auto``: one per core) above 1 runs a supervisor
(bus/cli/supervisor.py) and N hub processes sharing its listening socket; the hidden
``--worker`` argument is how it starts each of them (bus/hub/workers.py).
"""

from __future__ import annotations

import argparse
import signal
import sys

from ..core.config import worker_count
from ..core.jsonlog import JsonLineLog
from ..core.settings import SettingsError
from ..hub.lifecycle import HubState
from . import common


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_config_argument(parser)
    parser.add_argument("--port", type=int, metavar="N",
                        help="override [hub] listen's port (0 = any free port)")
    parser.add_argument("--workers", type=_workers, metavar="N|auto",
                        help="hub processes sharing the listening socket, supervised "
                             "(overrides [hub] workers; default 1; auto: one per core)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # set by the supervisor


def _workers(text: str) -> int:
    if text != "auto" and not (text.isdigit() and int(text) >= 1):
        raise argparse.ArgumentTypeError('must be a positive integer or "auto"')
    return worker_count(text)


def run(args: argparse.Namespace) -> int:
    from ..hub import reactor as hub_reactor
    hub_reactor.install()  # before the first import of twisted.internet.reactor
    from twisted.internet import reactor
    from twisted.internet.error import CannotListenError

    from ..hub.app import Hub
    from ..hub.workers import SINGLE, parse_worker, watch_parent

    role = parse_worker(args.worker) if args.worker else SINGLE
    events = JsonLineLog(sys.stdout, **role.event_fields())
    try:
        config = common.hub_config(args.config)
        if args.port is not None:
            config = config.with_port(args.port)
        workers = args.workers or config.workers
        if not args.worker and workers > 1:
            from .supervisor import Supervisor
            return Supervisor(config, args.config, workers, events).run()
        hub = Hub(config, reactor, events, worker=role)
        # Our own handlers (not Twisted's, which only stop the reactor): a first signal drains,
        # a second one hurries the drain; the reactor stops once the hub has closed its stores.
        # Installed before the hub listens: once it says "hub.listening", a SIGTERM must drain
        # it, never find Python's default handler (which kills the process at once).
        _install_signal_handlers(hub, reactor)
        hub.listen()
        if hub.delivery is not None:
            reactor.callWhenRunning(_start_delivery, hub, events)
        if role.first:  # once per hub, not once per worker
            reactor.callWhenRunning(hub.start_retention)  # daily, off the reactor
        if role.parent_pid is not None:  # the supervisor gone: drain, as on SIGTERM
            watch_parent(reactor, role.parent_pid,
                         lambda: hub.drain().addBoth(lambda _: reactor.stop()))
    except SettingsError as exc:  # the config's or a catalog's: names the file and the key
        events.emit("hub.config_error", error=str(exc))
        return _failed(str(exc))
    except common.store_errors() as exc:  # a store that cannot be opened: say which, no trace
        events.emit("hub.store_error", error=str(exc))
        return _failed(f"cannot open a store: {exc}")
    except CannotListenError as exc:
        events.emit("hub.listen_error", error=str(exc))
        return _failed(f"cannot listen: {exc}")
    reactor.addSystemEventTrigger("before", "shutdown", hub.stop)  # any other stop: cut now
    reactor.run(installSignalHandlers=False)  # type: ignore[call-arg]  # the reactor takes it
    return common.EXIT_OK


def _failed(message: str) -> int:
    """After the JSON event on stdout: the usual error line on stderr, exit 2."""
    def fail() -> int:
        raise common.CommandError(message)

    return common.run_command("serve", fail)


def _install_signal_handlers(hub, reactor) -> None:
    def stop_reactor(_):
        if reactor.running:
            reactor.stop()

    def received(signum: int) -> None:
        if hub.state is HubState.SERVING:
            hub.drain().addBoth(stop_reactor)
        else:
            hub.events.emit("hub.stop_now", signal=signal.Signals(signum).name)
            hub.drain(0)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda signum, _frame: reactor.callFromThread(received, signum))


def _start_delivery(hub, events: JsonLineLog) -> None:
    from twisted.internet import defer, reactor

    def failed(failure):
        events.emit("hub.delivery_failed", error=failure.getErrorMessage())
        reactor.stop()

    d = defer.Deferred.fromCoroutine(hub.delivery.start())
    d.addCallbacks(lambda _: events.emit("hub.delivering", node_id=hub.config.node_id,
                                         subscribers=sorted(hub.delivery.subscribers)), failed)
