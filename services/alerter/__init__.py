"""The alerter: matches classified items to subscriptions and delivers alerts, once each."""
