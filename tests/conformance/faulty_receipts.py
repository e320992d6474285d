"""Faulty subscribers whose ONE defect is in a receipt no case reads: every receipt of a run is
judged by INV-SUB-01 (names its notice, says applied or duplicate). Written from the class "a
rule judged on one message shape only" — the receipts of the cases that look only at what was
stored (S-CHR-*, S-MAX-01) — not from any blind batch's variants."""

from __future__ import annotations

from .proxy import Call, Reply, is_fault, serialize, tree

RECEIPT = "urn:pfbus:platform:receipt:v1"
_MJ_ONLY = ("髙", "﨑", "德")  # MJ characters JIS X 0208 lacks


def mj_name_receipt_accepted(call: Call) -> Reply:
    """A notice whose name holds characters outside JIS X 0208 is applied as usual, but its
    receipt says ``accepted`` — the vendor's 外字 review queue took the hub's status for it."""
    if is_fault(call.reply.body) or not any(c in call.request.decode("utf-8", "replace")
                                            for c in _MJ_ONLY):
        return call.reply
    root = tree(call.reply.body)
    status = next(root.iter(f"{{{RECEIPT}}}Status"), None)
    if status is None or status.text != "applied":
        return call.reply
    status.text = "accepted"
    return Reply(call.reply.status, serialize(root), call.reply.content_type)


RECEIPTS = {"mj-name-receipt-accepted": {"on_reply": mj_name_receipt_accepted}}
