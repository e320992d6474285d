"""A hub's lifecycle (稼働状態): serving, then draining once a stop begins, then stopped
(``bus.hub.app.Hub.drain``); ``/health`` answers 200 only while serving."""

from __future__ import annotations

from enum import StrEnum


class HubState(StrEnum):
    SERVING = "serving"
    DRAINING = "draining"  # the listening socket is closed; what is in flight finishes
    STOPPED = "stopped"
