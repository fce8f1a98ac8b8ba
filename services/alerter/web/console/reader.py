"""Stories as the console shows them: read from the alerter's story store, filtered, paged."""

from newswatch.alerter.story_store import RETENTION_SECONDS, StoryStore
from newswatch.alerter.web.console.view import PAGE_SIZE, REPORTS_ON_CARD, StoryFilter, StoryView
from newswatch.shared.contracts import Story

_CHUNK = 100  # stories whose reports are read at once when a filter needs them


class StoryReader:
    def __init__(self, stories: StoryStore) -> None:
        self._stories = stories

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
        everything = [story for story, _ in await self._stories.recent(RETENTION_SECONDS)]
        candidates = sorted(
            (s for s in everything if which.admits_story(s)),
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
