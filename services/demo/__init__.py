"""Local stand-ins for the outside world: a feed server, a Slack/webhook receiver and an
SMTP sink. `make run` uses them to show what each channel would receive; the
end-to-end tests use them as real servers on localhost."""
