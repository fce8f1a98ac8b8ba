"""The classifier: tags news items with event types, evidence and extracted facts."""
