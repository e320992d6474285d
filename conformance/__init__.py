"""The conformance suite (準拠確認 and 相互接続確認) that vendors run against their adapters.

Cases are data (``cases/*.toml``), each tracing to a requirement (``requirements.toml``) and
grouped by profile (``profiles.toml``: 業務ユニット × role × level); ``messages.toml`` holds the
message bodies. ``model`` loads and checks the data, ``interpreter`` executes a case's steps,
``runner`` runs a profile (``hubsim`` plays the hub for consumers, ``interop`` starts a real hub
for level 2), ``report`` writes JUnit XML, JSON and HTML with a digest ``verify`` checks.
``pfbus conformance list | run | verify`` is the command (``cli``); docs/conformance.md the guide.
"""

SUITE_VERSION = "1.0.0"
