"""The delivery plan: what a batch's matches become. Pure: no Redis, no Kafka, no clock.

In: the matches (subscription, report, the tags it qualified with, its story
assignment), what each subscriber was told before (the subjects already marked for
it), and how many alerts each rate-limited subscription has sent in its current
window. Out: alerts (delivery jobs, each told once per subject), digest entries and
follow-up entries. The router reads the inputs from Redis and carries the plan out.

What a subscriber is told about is a *subject*: a story (its id) the first time, so
three outlets' reports of one strike make one alert. A later report that brings the
story a tag it never had, one the subscriber wants, is news of its own: "EU summons
Russia's envoy" joining the Kyiv strike story tells the diplomatic_protest
subscribers something new, so it is a first alert about that report (subject
``{story}+{tags}``), not an update under the strike's headline. Unless another open story
the report also matches carries that tag: "EU calls in Russian diplomat after blast damages
its Kyiv office" joins the summons story, and its strike is the Kyiv strike story's news,
told there; a subscriber who wants only strikes and had the Kyiv story gets this report as
a follow-up of it, not as a first alert about the summons story. Any other later report
becomes one follow-up entry per story, when the subscription wants follow-ups.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from newswatch.alerter.jobs import DeliveryJob, PendingEntry, alert_jobs, give_up_at
from newswatch.alerter.stories import Assignment
from newswatch.shared.contracts import ClassifiedItem, DeliveryMode, Subscription, TagHit


class Match(NamedTuple):
    """A subscription that wants a report, with the tags it qualified with and the report's
    place in a story."""

    subscription: Subscription
    item: ClassifiedItem
    hits: list[TagHit]
    assignment: Assignment


@dataclass(frozen=True, slots=True)
class AlertIntent:
    subscription_key: str
    subject: str
    jobs: list[DeliveryJob]


@dataclass(frozen=True, slots=True)
class PendingIntent:
    """An entry for the subscription's next digest: a first telling (``entry.update`` false,
    claimed like an alert) or a follow-up of a story already told."""

    subscription_key: str
    entry: PendingEntry
    due_in: float
    rate_limited: bool = False


@dataclass(slots=True)
class DeliveryPlan:
    alerts: list[AlertIntent] = field(default_factory=list)
    digest_entries: list[PendingIntent] = field(default_factory=list)
    followups: list[PendingIntent] = field(default_factory=list)
    # Alerts planned per rate-limited subscription: added to its window's count.
    alerts_counted: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PlanSettings:
    followup_seconds: float
    retry_for_hours: float


def pending_delay(sub: Subscription, followup_seconds: float) -> float:
    """How long a subscription's pending entries gather before they are sent."""
    if sub.mode is DeliveryMode.DIGEST:
        return sub.digest_minutes * 60.0
    return followup_seconds


def new_subject(match: Match) -> str | None:
    """The subject of tags this report brought to its story that the subscriber wants, less
    those another open story the report matches carries (that story's news, not this one's:
    its subscribers were told there, by the story's own alert or its follow-ups)."""
    elsewhere = {tag for tag, _ in match.assignment.covered}
    tags = sorted({h.tag for h in match.hits} & match.assignment.new_tags - elsewhere)
    if not tags or not match.assignment.is_new_report or match.assignment.is_new_story:
        return None
    return f"{match.assignment.story.id}+{','.join(tags)}"


def told_through(match: Match, told: set[tuple[str, str]]) -> str | None:
    """Another open story the report also matches, already told to this subscriber, that
    carries every tag the subscriber wants of the report: a strike-only desk told of the Kyiv
    strike is not told again when a report of the strike and of the summons it caused joins
    the summons story (which that desk never had)."""
    wanted = {h.tag for h in match.hits}
    carried: dict[str, set[str]] = {}
    for tag, story_id in match.assignment.covered:
        carried.setdefault(story_id, set()).add(tag)
    key = match.subscription.key
    return next(
        (s for s, tags in sorted(carried.items()) if wanted <= tags and (key, s) in told), None
    )


def subjects(matches: list[Match]) -> list[tuple[str, str]]:
    """The (subscription key, subject) pairs whose told-state the plan needs."""
    wanted: dict[tuple[str, str], None] = {}
    for match in matches:
        key = match.subscription.key
        wanted[key, match.assignment.story.id] = None
        for _, story_id in match.assignment.covered:
            wanted[key, story_id] = None  # for told_through
        subject = new_subject(match)
        if subject:
            wanted[key, subject] = None
    return list(wanted)


def plan_deliveries(
    matches: list[Match],
    *,
    told: set[tuple[str, str]],
    sent_in_window: dict[str, int],
    settings: PlanSettings,
    now: datetime,
) -> DeliveryPlan:
    plan = DeliveryPlan()
    told = set(told)  # grows as this plan tells: a second report in the batch is a repeat
    followed: set[tuple[str, str]] = set()
    sent = dict(sent_in_window)
    for match in matches:
        sub, story = match.subscription, match.assignment.story
        subject = story.id if (sub.key, story.id) not in told else new_subject(match)
        followed_story = story.id
        if subject == story.id and (told_story := told_through(match, told)):
            # New to this subscriber as a story, but all it wants of it was told elsewhere.
            subject, followed_story = None, told_story
        if subject is not None and (sub.key, subject) not in told:
            told |= {(sub.key, subject), (sub.key, story.id)}
            _tell(plan, match, subject, sent, settings, now)
        elif (
            match.assignment.is_new_report
            and sub.followups
            and (sub.key, followed_story) not in followed
        ):
            followed.add((sub.key, followed_story))
            entry = PendingEntry(
                story_id=followed_story, update=True, item=match.item, hits=match.hits
            )
            delay = pending_delay(sub, settings.followup_seconds)
            plan.followups.append(PendingIntent(sub.key, entry, delay))
    return plan


def _tell(
    plan: DeliveryPlan,
    match: Match,
    subject: str,
    sent: dict[str, int],
    settings: PlanSettings,
    now: datetime,
) -> None:
    """A first telling: an alert, or a digest entry (digest mode, or over the rate limit)."""
    sub, story = match.subscription, match.assignment.story
    limit = sub.rate_limit if sub.mode is DeliveryMode.IMMEDIATE else None
    over = limit is not None and sent.get(sub.key, 0) >= limit.max_alerts
    if sub.mode is DeliveryMode.DIGEST or over:
        entry = PendingEntry(
            story_id=story.id,
            update=False,
            item=match.item,
            hits=match.hits,
            subject="" if subject == story.id else subject,
        )
        delay = pending_delay(sub, settings.followup_seconds)
        plan.digest_entries.append(PendingIntent(sub.key, entry, delay, rate_limited=over))
        return
    if limit is not None:
        sent[sub.key] = sent.get(sub.key, 0) + 1
        plan.alerts_counted[sub.key] = plan.alerts_counted.get(sub.key, 0) + 1
    jobs = alert_jobs(
        sub,
        match.item,
        match.hits,
        story.model_copy(deep=True),  # as of now: the story object changes with later reports
        subject=subject,
        give_up=give_up_at(sub, settings.retry_for_hours, now),
    )
    plan.alerts.append(AlertIntent(sub.key, subject, jobs))
