"""What the three newswatch services share: event contracts, topics, settings, adapters."""
