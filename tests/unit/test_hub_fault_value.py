"""A HubFault is a value: what a later step knows goes into a new fault, never into the raised one
(a fault shared by two exchanges, e.g. a cached refusal, would otherwise carry one's MessageId
into the other's answer)."""

from __future__ import annotations

import contextlib
import copy
import pickle
from dataclasses import FrozenInstanceError

import pytest

from bus.core import faults
from bus.core.faults import HubFault
from bus.core.findings import Finding

FINDING = Finding("limit:rate", "too fast", "/soap:Envelope", 3)


def test_fields_cannot_be_assigned_and_but_builds_another():
    fault = HubFault(faults.LIMIT_RATE, (FINDING,))
    for name, value in (("message_id", "m-1"), ("sender", "x"), ("header", None),
                        ("findings", ()), ("fault", faults.HUB_INTERNAL)):
        with pytest.raises(FrozenInstanceError):
            setattr(fault, name, value)
    later = fault.but(message_id="m-1")
    assert later.message_id == "m-1" and later.findings == (FINDING,)
    assert fault.message_id is None and later is not fault
    assert later.detail().message_id == "m-1"


def test_it_still_behaves_as_an_exception():
    @contextlib.contextmanager
    def scope():  # contextlib assigns __traceback__ in Python code when the body raises
        yield

    with pytest.raises(HubFault) as info:
        with scope():
            raise HubFault(faults.LIMIT_RATE, (FINDING,), "m-2")
    fault = info.value
    assert fault.__traceback__ is not None and str(fault) == f"PF-LIMIT-RATE: {FINDING}"
    fault.add_note("a note")  # __notes__ is the exception's, not the value's
    for twin in (copy.copy(fault), copy.deepcopy(fault), pickle.loads(pickle.dumps(fault))):
        assert (twin.fault, twin.findings, twin.message_id) == (faults.LIMIT_RATE, (FINDING,),
                                                                 "m-2")
