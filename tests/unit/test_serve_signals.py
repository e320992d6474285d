"""``pfbus serve`` installs its SIGTERM/SIGINT handlers before the hub listens (bus/cli/serve_command.py).

Once a hub has said "hub.listening", a supervisor or an operator may stop it at once; a SIGTERM
in the moment between that line and the handlers' installation met Python's default handler and
killed the hub without draining (2 of 3 runs of a restart test under load). The order is checked
here without a reactor run: a hub stand-in records, when asked to listen, whether the handlers
are in place, then refuses to listen (so ``run`` returns at once).
"""

from __future__ import annotations

import argparse

from twisted.internet.error import CannotListenError

from bus.cli import common, serve_command
from bus.hub import app


class _Config:
    workers = 1


def test_the_signal_handlers_are_installed_before_the_hub_listens(monkeypatch, capsys):
    installed: list[object] = []
    seen_at_listen: list[bool] = []

    class StandInHub:
        delivery = None

        def __init__(self, *args, **kwargs) -> None:
            pass

        def listen(self) -> None:
            seen_at_listen.append(bool(installed))
            raise CannotListenError("127.0.0.1", 0, OSError("stand-in"))

    monkeypatch.setattr(common, "hub_config", lambda path: _Config())
    monkeypatch.setattr(app, "Hub", StandInHub)
    monkeypatch.setattr(serve_command, "_install_signal_handlers",
                        lambda hub, reactor: installed.append(hub))
    args = argparse.Namespace(config="hub.toml", port=None, workers=None, worker=None)
    assert serve_command.run(args) != common.EXIT_OK  # the stand-in's listen error
    assert "cannot listen" in capsys.readouterr().err
    assert seen_at_listen == [True]
