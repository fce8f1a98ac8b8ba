"""Stories as the console shows them: read from the alerter's story store, filtered, paged.

Every page filters all the stories kept (a filter may reach back days), so the reader
keeps them in memory and, for each page, reads only what changed since: the store's
change stream names each story saved. Everything is read afresh every
``FULL_RELOAD_SECONDS`` (stories expire; a stream trimmed past our place loses entries).
"""

import time

from redis.asyncio import Redis

from newswatch.alerter.story_store import CHANGES_KEPT, RETENTION_SECONDS, StoryStore
from newswatch.alerter.web.console.view import PAGE_SIZE, REPORTS_ON_CARD, StoryFilter, StoryView
from newswatch.shared.contracts import Story

_CHUNK = 100  # stories whose reports are read at once when a filter needs them
FULL_RELOAD_SECONDS = 60.0


class StoryReader:
    def __init__(self, stories: StoryStore, redis: Redis) -> None:
        self._stories = stories
        self._redis = redis
        self._known: dict[str, Story] = {}
        self._seen: str | None = None  # the last change taken in
        self._loaded_at = 0.0

    async def everything(self) -> list[Story]:
        """Every story kept, as of now."""
        key = self._stories.changes_key
        if self._seen is None or time.monotonic() - self._loaded_at > FULL_RELOAD_SECONDS:
            newest = await self._redis.xrevrange(key, count=1)  # first: a save meanwhile is seen
            loaded = await self._stories.recent(RETENTION_SECONDS)
            self._known = {story.id: story for story, _ in loaded}
            self._seen = newest[0][0].decode() if newest else "0-0"
            self._loaded_at = time.monotonic()
        else:
            entries = await self._redis.xrange(key, min=f"({self._seen}", count=CHANGES_KEPT)
            if entries:
                self._seen = entries[-1][0].decode()
                changed = list(dict.fromkeys(f[b"id"].decode() for _, f in entries))
                self._known.update(await self._stories.get_many(changed))
                if len(entries) == CHANGES_KEPT:  # perhaps more than the stream still holds
                    self._seen = None
        return list(self._known.values())

    async def views(self, stories: list[Story], reports_each: int | None) -> list[StoryView]:
        """Each story with its kept reports (the first ``reports_each``, None: all)."""
        wanted = [i for s in stories for i in s.item_ids[:reports_each]]
        found = await self._stories.reports(list(dict.fromkeys(wanted)))
        return [
            StoryView(s, [found[i] for i in s.item_ids[:reports_each] if i in found])
            for s in stories
        ]

    async def one(self, story_id: str) -> StoryView | None:
        found = await self._stories.get_many([story_id])
        if story_id not in found:
            return None
        return (await self.views([found[story_id]], None))[0]

    async def page(self, which: StoryFilter, size: int = PAGE_SIZE) -> tuple[list[StoryView], bool]:
        """The filter's stories, most recently active first, from ``which.offset``; and
        whether there are more."""
        candidates = sorted(
            (s for s in await self.everything() if which.admits_story(s)),
            key=lambda s: (s.last_seen, s.id),
            reverse=True,
        )
        if not which.needs_reports:
            chosen = candidates[which.offset : which.offset + size + 1]
            views = await self.views(chosen[:size], REPORTS_ON_CARD)
            return views, len(chosen) > size
        # Language and text are in the reports: read them a chunk at a time, only as far as
        # the page needs.
        admitted: list[StoryView] = []
        wanted = which.offset + size + 1
        for start in range(0, len(candidates), _CHUNK):
            for view in await self.views(candidates[start : start + _CHUNK], None):
                if which.admits_reports(view.story, view.reports):
                    admitted.append(view)
            if len(admitted) >= wanted:
                break
        shown = admitted[which.offset : which.offset + size]
        for view in shown:
            view.reports = view.reports[:REPORTS_ON_CARD]
        return shown, len(admitted) > which.offset + size
