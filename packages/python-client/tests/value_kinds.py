"""Subclasses of the dialect's built-in types, shared by the dialect tests: the C check
(test_81) and the C encoder (test_82) must each hand them to the Python path, which
judges a subclass like its base."""

from __future__ import annotations

import enum
from collections import namedtuple


class Colour(enum.IntEnum):
    RED = 1


class MyDict(dict):
    pass


class MyList(list):
    pass


class MyTuple(tuple):
    pass


class MyInt(int):
    pass


class MyStr(str):
    pass


class MyFloat(float):
    pass


Point = namedtuple("Point", "x y")
