"""Typed rules for JSON configuration values, with errors that say what is allowed.

A :py:class:`Rule` names the JSON types a key accepts (a bool is never a number), an optional
further test and the words for both; :py:func:`check_section` checks a JSON object against a
``{key: rule}`` table and raises one :py:class:`ConfigError` line naming the key, the value and
what is allowed. :py:func:`signature_rules` derives a table from the defaults of constructor
arguments. The harness schema that uses them is :py:mod:`seisbench_llm.training.config`.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class ConfigError(ValueError):
    """An invalid harness configuration; the message names the key, the value and what is allowed."""


@dataclass(frozen=True)
class Rule:
    """What one key accepts: JSON types (a bool is never a number), a test, and the words for both.

    :param types: Accepted Python types of the parsed JSON value.
    :param allowed: What is allowed, in words, for the error message.
    :param test: Further check of a value of the right type.
    """

    types: tuple[type, ...]
    allowed: str
    test: Callable[[Any], bool] | None = None

    def check(self, where: str, value: Any) -> None:
        """Raise :py:class:`ConfigError` naming ``where``, ``value`` and what is allowed."""
        bad_bool = isinstance(value, bool) and bool not in self.types
        if (
            bad_bool
            or not isinstance(value, self.types)
            or (self.test is not None and not self.test(value))
        ):
            raise ConfigError(f"{where} = {json.dumps(value, default=str)}: must be {self.allowed}")

    def or_null(self) -> Rule:
        return Rule((*self.types, type(None)), f"null or {self.allowed}", _none_or(self.test))


def _none_or(test: Callable[[Any], bool] | None) -> Callable[[Any], bool] | None:
    return None if test is None else (lambda v: v is None or test(v))


def choice(values: tuple[str, ...]) -> Rule:
    """A string out of ``values`` (case-insensitive)."""
    return Rule((str,), f"one of {', '.join(values)}", lambda v: v.lower() in values)


ANY = Rule((object,), "any JSON value")
BOOL = Rule((bool,), "true or false")
TEXT = Rule((str,), "a non-empty string", lambda v: bool(v))
OBJECT = Rule((dict,), "a JSON object")
LIST = Rule((list, tuple), "a list")
NUMBER = Rule((int, float), "a number")
POSITIVE = Rule((int, float), "a number > 0", lambda v: v > 0)
NON_NEGATIVE = Rule((int, float), "a number >= 0", lambda v: v >= 0)
FRACTION = Rule((int, float), "a number in [0, 1)", lambda v: 0 <= v < 1)
INT = Rule((int,), "an integer")
POSITIVE_INT = Rule((int,), "an integer >= 1", lambda v: v >= 1)
COUNT = Rule((int,), "an integer >= 0", lambda v: v >= 0)
STEPS = Rule((int,), "an integer >= -1 (-1: no limit)", lambda v: v >= -1)


def rule_from_default(default: Any) -> Rule:
    """The rule a constructor argument's default implies (None or no default: any value)."""
    for kind, rule in ((bool, BOOL), (int, INT), (float, NUMBER), (str, TEXT)):
        if isinstance(default, kind):
            return rule
    if isinstance(default, list | tuple):
        return LIST
    return ANY


def signature_rules(*callables: Callable) -> dict[str, Rule]:
    """``{argument: rule from its default}`` of the named arguments of ``callables``."""
    rules = {}
    for function in callables:
        for param in inspect.signature(function).parameters.values():
            if param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL) or param.name == "self":
                continue
            empty = param.default is inspect.Parameter.empty
            rules.setdefault(param.name, ANY if empty else rule_from_default(param.default))
    return rules


def check_section(given: Any, rules: dict[str, Rule], what: str) -> dict[str, Any]:
    """Check every key of ``given`` against ``rules``; one line per problem (the first raised)."""
    OBJECT.check(what, given)
    unknown = sorted(set(given) - set(rules))
    if unknown:
        raise ConfigError(
            f"Unknown key(s) in {what}: {', '.join(unknown)}. Valid keys: {', '.join(sorted(rules))}"
        )
    for key, value in given.items():
        rules[key].check(f"{what}.{key}" if what != "config" else key, value)
    return given


PROBABILITY = Rule((int, float), "a number in [0, 1]", lambda v: 0 <= v <= 1)
