"""Officers' feedback: false alarms and missed tags, stored, reviewed and turned into training
data (see docs/integrators.md, "Officers' feedback")."""
