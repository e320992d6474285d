"""The conformance suite (準拠確認 and 相互接続確認) that vendors run against their adapters.

``pfbus conformance list | run | verify`` (``cli``); the guide is docs/conformance.md.

Data, not code: ``requirements.toml`` (what is checked, and the source of each requirement),
``profiles.toml`` (業務ユニット × role × level, with the parameters — the product's party and test
data — and the level-2 counterparts and actions), ``messages.toml`` (message bodies as text, and
the message playing each role for a service), ``cases/*.toml`` (cases: requirement IDs and steps),
``redaction.toml`` (personal data masked by ``--redact``).

Modules, one concept each:

- ``model``: loads and checks the data (every error names its file and key); expands generic
  cases per service of a profile;
- ``interpreter``: runs one case's steps (send, resend, expect, validate, wait, paginate, wsdl,
  trigger, observe, act, log) with a deadline per step; ``paging`` is the 全件 step;
- ``checks`` (assertions of ``expect``), ``validation`` (the hub's own catalog and validator),
  ``wsdl_checks`` (service descriptions), ``loghops`` (the hub's routing log in level 2);
- ``envelopes`` (messages the suite sends), ``transport`` (HTTP with a hard deadline and TLS
  client options), ``commands`` (triggers, observers, actions and child processes);
- ``hubsim``: the suite playing the hub for a consumer; ``interop``: a real hub and the reference
  adapters around the product for level 2;
- ``runner``: one profile, end to end; ``records``: what a run observed (the evidence);
- ``report``: JSON document, JUnit XML, self-contained HTML, the manifest digest, the certificate
  summary and ``verify``.

The suite is tested against deliberately faulty adapters in tests/conformance/.
"""

SUITE_VERSION = "1.0.0"
