"""File linkage (ファイル連携): files over SFTP and drop folders, validated whole by the layout
validator, delivered exactly once to each subscriber. docs/files.md.

Pure core (no Twisted): ``kinds`` (file kinds, name patterns), ``names`` (path confinement and
pickup rules), ``receipts``, ``routing`` (recipient list), ``ledger`` (the delivery ledger,
SQLite), ``pipeline`` (pickup → validation → receipt → delivery → confirmation, synchronous and
crash-safe). The edge: ``sftp`` (twisted.conch server), ``service`` (on the hub's reactor).
"""
