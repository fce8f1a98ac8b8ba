import importlib
import re

import pytest

import newswatch.shared.errors as errors
from newswatch.shared.errors import ConfigError, FeedError, NewswatchError, PublishError


def test_configuration_errors_stay_value_errors_for_the_callers_that_catch_those():
    with pytest.raises(ValueError):
        raise ConfigError("feeds.yaml line 3: url missing")
    assert issubclass(ConfigError, NewswatchError) and issubclass(FeedError, NewswatchError)


def test_a_publish_error_names_the_topic_the_attempts_and_the_cause():
    error = PublishError("nw.classified.v1", 3, RuntimeError("MessageSizeTooLarge"))
    assert isinstance(error, NewswatchError)
    assert str(error) == (
        "nw.classified.v1: not accepted after 3 attempt(s): RuntimeError: MessageSizeTooLarge"
    )


def test_every_class_in_the_drawn_tree_has_the_parent_drawn():
    """The docstring's drawing is the truth: each class named there has the parent drawn."""
    drawn = re.compile(r"^ {4}((?:[│ ] {3})*)(?:[├└]── )?(\w+)\b.*?(\S+\.py)")
    classes: list[type] = []  # the path from the root to the line being read
    checked = 0
    for line in errors.__doc__.splitlines():
        match = drawn.match(line)
        if not match or not match.group(2)[0].isupper():
            continue
        depth = len(match.group(1)) // 4 + ("──" in line)
        path = match.group(3).removesuffix(".py").replace("services/", "").replace("/", ".")
        cls = getattr(importlib.import_module(f"newswatch.{path}"), match.group(2))
        del classes[depth:]
        if classes:
            assert issubclass(cls, classes[-1]), (
                f"{cls.__name__} should be a {classes[-1].__name__}"
            )
        classes.append(cls)
        checked += 1
    assert checked >= 14
