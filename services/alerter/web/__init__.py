"""The subscriptions API's parts: one router per resource, the error model, the limits.

``newswatch.alerter.api.create_app`` puts them together.
"""
