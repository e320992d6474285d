"""Helpers shared by test modules, one concern per module (never imported from a test_*.py).

- ``polling``: ``wait_until(predicate, timeout, what)``: poll until truthy or fail naming what.
- ``routing_log``: ``wait_for_hops(path, count=…, **query)``: the routing log's hops, polled
  until the hub's background writer has committed them.
- ``network``: ``free_port()``: a loopback port nothing listens on (yet).
- ``soap``: SOAP namespaces, ``inquiry_envelope(...)`` (a juki.ResidentInquiry with a fresh
  platform header) and ``fault_detail(response)`` (the hub's FaultDetail as a dict).
"""
