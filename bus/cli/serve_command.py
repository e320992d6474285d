"""``pfbus serve --config FILE``: run the hub until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import sys

from ..core.catalog import CatalogError
from ..core.config import ConfigError, load_config
from ..core.jsonlog import JsonLineLog


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, metavar="FILE", help="hub TOML configuration")
    parser.add_argument("--port", type=int, metavar="N",
                        help="override [hub] listen's port (0 = any free port)")


def run(args: argparse.Namespace) -> int:
    from twisted.internet import reactor
    from twisted.internet.error import CannotListenError

    from ..hub.app import Hub

    events = JsonLineLog(sys.stdout)
    try:
        config = load_config(args.config)
        if args.port is not None:
            config = config.with_port(args.port)
        hub = Hub(config, reactor, events)
        hub.listen()
        if hub.delivery is not None:
            reactor.callWhenRunning(_start_delivery, hub, events)
    except (ConfigError, CatalogError) as exc:
        events.emit("hub.config_error", error=str(exc))
        print(f"pfbus serve: {exc}", file=sys.stderr)
        return 2
    except CannotListenError as exc:
        events.emit("hub.listen_error", error=str(exc))
        print(f"pfbus serve: cannot listen: {exc}", file=sys.stderr)
        return 2
    reactor.addSystemEventTrigger("before", "shutdown", hub.stop)
    reactor.run()
    return 0


def _start_delivery(hub, events: JsonLineLog) -> None:
    from twisted.internet import defer, reactor

    def failed(failure):
        events.emit("hub.delivery_failed", error=failure.getErrorMessage())
        reactor.stop()

    d = defer.Deferred.fromCoroutine(hub.delivery.start())
    d.addCallbacks(lambda _: events.emit("hub.delivering", node_id=hub.config.node_id,
                                         subscribers=sorted(hub.delivery.subscribers)), failed)
