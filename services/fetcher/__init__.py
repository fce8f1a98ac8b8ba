"""The fetcher: polls feeds, normalises entries, drops repeats, produces NewsItems to Kafka."""
