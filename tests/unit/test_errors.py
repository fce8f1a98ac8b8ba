import pytest

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
