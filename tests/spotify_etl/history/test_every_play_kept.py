"""Done when: for a sandbox heavy listener over a simulated week, every play is stored exactly
once whether it came by capture, by import or both; coverage shows no hole where there was
none, and shows the one this test makes (a sixteen-hour outage of the capture)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from history_exports import export_zip, listed_truth, save
from pipeline_env import connect_sandbox_people

WEEK = [datetime(2026, 11, 9, tzinfo=UTC).date() + timedelta(days=i) for i in range(7)]


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _at(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def test_a_heavy_week_is_stored_exactly_once_and_coverage_shows_only_the_real_hole(
        sandbox, data_dir, monkeypatch, tmp_path):
    from spotify_etl.history.capture import capture_user
    from spotify_etl.history.coverage import coverage, summarise
    from spotify_etl.history.importer import import_export
    from spotify_etl.people.tokens import TokenStore
    from spotify_etl.settings import load_settings
    from spotify_etl.spotify.client import SpotifySource
    from spotify_etl.storage import database, ensure_indexes

    world = sandbox.world
    outage = (_at(WEEK[5], 6), _at(WEEK[5], 22))
    # the heavy listener who plays most while the capture is down: a hole for sure
    heavy = [u.index for u in world.users if u.heavy]
    u = max(heavy, key=lambda i: len(listed_truth(world, i, _ms(outage[0]), _ms(outage[1]))))
    user_id = world.users[u].id
    assert len(listed_truth(world, u, _ms(outage[0]), _ms(outage[1]))) > 60
    connect_sandbox_people(monkeypatch, sandbox, [user_id])
    settings = load_settings()
    db = database()
    ensure_indexes(db)
    store = TokenStore(db, settings)

    # 1. the export covering days 1-4 (both formats), imported before any capture
    first_export = save(export_zip(sandbox, user_id, WEEK[3], 4), tmp_path / "first.zip")
    first = import_export(db, user_id, first_export)
    assert first.plays_new > 300 and first.plays_matched > 300  # account rows found extended's

    # 2. capture from day 4 noon to the end of day 7, when due, except during the outage
    now, end, reads, gaps, last_read = _at(WEEK[3], 12), _at(WEEK[6], 23, 59), 0, [], None
    while now <= end:
        if outage[0] <= now < outage[1]:
            now = outage[1]
            continue
        source = SpotifySource(settings, store.cache_handler(user_id), at=now)
        result = capture_user(db, user_id, source, now, settings)
        assert result.status == "success", result.error
        reads += 1
        last_read = now
        if result.gap_minutes:
            gaps.append(now)
        now = result.next_due_at

    # 3. the same export again, and a second one overlapping the capture (days 3-5)
    again = import_export(db, user_id, first_export)
    assert again.plays_new == 0 and again.plays_matched == first.plays_new + first.plays_matched
    second = import_export(db, user_id, save(export_zip(
        sandbox, user_id, WEEK[4], 3, formats="extended"), tmp_path / "second.zip"))
    assert second.plays_matched > 0

    # every reachable play exactly once
    lost_windows = [(g["start"], g["end"]) for g in db.play_gaps.find({"user_id": user_id})]
    assert len(lost_windows) == 1 and gaps, "the outage made exactly one recorded gap"
    (gap_start, gap_end), = lost_windows
    # from the last play captured before the outage to the oldest one the first read after it
    # could still reach
    assert gap_start.replace(tzinfo=UTC) < outage[0] < gap_end.replace(tzinfo=UTC) < outage[1]
    truth = listed_truth(world, u, _ms(_at(WEEK[0], 0)), _ms(last_read) + 1)
    stored = list(db.plays.find({"user_id": user_id, "track_id": {"$ne": None}},
                                projection={"played_at": 1, "track_id": 1}))
    by_track: dict[str, list[int]] = {}
    for play in stored:
        by_track.setdefault(play["track_id"], []).append(_ms(play["played_at"].replace(
            tzinfo=UTC)))
    kept = lost = 0
    for play in truth:
        track_id = str(world.track_ids[play.track])
        hits = [t for t in by_track.get(track_id, []) if abs(t - play.played_at_ms) <= 3_000]
        in_gap = _ms(gap_start.replace(tzinfo=UTC)) < play.played_at_ms < _ms(
            gap_end.replace(tzinfo=UTC))
        if in_gap and not hits:
            lost += 1
            continue
        assert len(hits) == 1, (play, hits)
        kept += 1
    assert lost > 0 and kept + lost == len(truth)
    assert len(stored) == kept  # nothing stored that was not played
    # only the account format's local files stay without a track (names nothing resolves)
    assert db.plays.count_documents({"user_id": user_id, "track_id": None}) == first.unresolved
    both = db.plays.count_documents({"user_id": user_id, "from_capture": True,
                                     "from_extended": True})
    assert both > 50  # day 4 and 5: captured and imported, stored once

    # coverage: the one hole is the outage's day, and every other day says where plays came from
    days = {d.day: d for d in coverage(db, user_id, WEEK[0], WEEK[6])}
    assert [day for day, d in days.items() if d.hole] == [WEEK[5]]
    assert days[WEEK[0]].source == days[WEEK[1]].source == "import"
    assert days[WEEK[3]].source == days[WEEK[4]].source == "both"
    assert days[WEEK[6]].source == "capture"
    assert summarise(list(days.values()))["holes"] == [(WEEK[5].isoformat(),) * 2]
    assert reads < 7 * 24  # far fewer reads than hourly
