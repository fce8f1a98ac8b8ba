"""newswatch: news feeds in, tagged military and diplomatic events out, alerts delivered once."""

__version__ = "0.1.0"
