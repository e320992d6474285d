"""A guard for xmlschema against classes that zope.interface has marked (imported for its side
effect by every module that builds an xmlschema model).

xmlschema (4.3) lists a schema's cached properties with ``getattr(cls, name)`` over ``dir(cls)``.
Once any module declares a zope interface on a subclass of a ``collections.abc`` class —
``twisted.internet.testing`` does (``EventLoggingObserver(Sequence)``) — those ABCs carry a
``__provides__`` descriptor that raises AttributeError when read through another class, and
every later schema build in the process fails with ``AttributeError: __provides__``. The
replacement reads the class dictionaries instead of running descriptors: the same names (a
``cached_property`` read from its class is itself), and no descriptor of someone else's is run.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property

from xmlschema.validators import xsdbase


def _cached_properties(cls: type) -> Iterator[str]:
    for name in dir(cls):
        for klass in cls.__mro__:
            if name in vars(klass):
                if isinstance(vars(klass)[name], cached_property):
                    yield name
                break


# Assigned over the library's own classmethod (hence the ignore).
xsdbase.XsdValidator._cached_properties = classmethod(  # type: ignore[method-assign,assignment]
    _cached_properties)
