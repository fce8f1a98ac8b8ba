"""The root of newswatch's exceptions, and the tree they form.

Catch :class:`NewswatchError` to catch any failure newswatch itself raises (as opposed to a
bug, or an error of a library it calls). Classes live beside the code that raises them; this
module holds the root and the shared branches. Mix-ins of built-in types stay where callers
rely on them: pydantic turns a ``ValueError`` raised in a validator into a validation error,
and ``newswatch`` commands print a ``ValueError`` as one clear line.

The tree::

    NewswatchError                              shared/errors.py
    ├── ConfigError (ValueError)                shared/errors.py: what an operator wrote is unusable
    │   ├── FeedConfigError                     services/fetcher/feeds.py
    │   ├── TagFileError                        services/classifier/rules.py
    │   └── ModelFileError                      services/classifier/model.py
    ├── FeedError                               shared/errors.py: one feed could not be read
    │   ├── FetchError                          services/fetcher/http.py
    │   └── FeedParseError (ValueError)         services/fetcher/parse.py
    ├── DeliveryError                           services/alerter/channels/base.py
    ├── AddressRefused (ValueError)             services/alerter/addresses.py
    ├── FeedbackRefused (ValueError)            services/alerter/feedback/records.py
    ├── TokenError (ValueError)                 services/alerter/feedback/tokens.py
    ├── ServerUnreachable                       shared/reachability.py
    └── PublishError                            shared/errors.py: Kafka would not take a record

Left out on purpose: ``_NotSimple`` (services/fetcher/fastparse.py) is a private signal that
never leaves its module ("this feed is feedparser's job"), not a failure.
"""


class NewswatchError(Exception):
    """Something newswatch could not do; the message says what and why."""


class ConfigError(NewswatchError, ValueError):
    """A configuration an operator wrote (feed list, tag file, setting) cannot be used."""


class FeedError(NewswatchError):
    """One feed could not be fetched or read; the others go on."""


class PublishError(NewswatchError):
    """Kafka did not accept a record within its attempts (too large, broker unavailable)."""

    def __init__(self, topic: str, attempts: int, cause: BaseException) -> None:
        super().__init__(
            f"{topic}: not accepted after {attempts} attempt(s): {type(cause).__name__}: {cause}"
        )
        self.topic = topic
        self.attempts = attempts
        self.cause = cause
