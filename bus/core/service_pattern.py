"""The message-exchange pattern of a service (連携パターン), as a catalog declares it."""

from __future__ import annotations

from enum import StrEnum


class ServicePattern(StrEnum):
    REQUEST_RESPONSE = "request-response"  # 照会: a request answered by the provider
    NOTICE = "notice"  # 異動通知: one-way, stored by the hub, delivered to every subscriber
