"""pfbus: an enterprise service bus for the 地域情報プラットフォーム (regional information platform).

Layers:
- ``bus.core``  — the pure core: message model, validation rules, routing decisions (no Twisted);
- ``bus.store`` — embedded stores (SQLite routing log);
- ``bus.hub``   — the Twisted edge: HTTP/SOAP listener, forwarding to providers, WSDL serving;
- ``bus.cli``   — the ``pfbus`` command.
"""

__version__ = "0.1.0"
