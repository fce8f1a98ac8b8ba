from newswatch.fetcher.leases import to_claim

FEEDS = [f"f{n:02d}" for n in range(10)]


def test_a_lone_instance_claims_every_free_feed():
    assert to_claim(FEEDS, {}, "a", 1) == FEEDS


def test_two_instances_take_half_each_and_never_a_held_feed():
    first = to_claim(FEEDS, {}, "a", 2)
    assert len(first) == 5
    holders = dict.fromkeys(first, "a")
    second = to_claim(FEEDS, holders, "b", 2)
    assert len(second) == 5 and not set(first) & set(second)


def test_an_instance_at_its_share_claims_nothing_more():
    holders = {f: "a" for f in FEEDS[:5]}
    assert to_claim(FEEDS, holders, "a", 2) == []


def test_the_feeds_of_a_dead_instance_go_to_the_survivor():
    holders = {f: "b" for f in FEEDS[5:]}  # a's leases expired
    assert to_claim(FEEDS, holders, "b", 1) == FEEDS[:5]


def test_an_instance_above_its_share_gives_the_excess_back():
    from newswatch.fetcher.leases import to_release

    assert len(to_release(FEEDS, 10, 2)) == 5  # a second instance joined
    assert to_release(FEEDS[:5], 10, 2) == []
    assert to_release(FEEDS, 10, 1) == []
