"""Importing Spotify's data exports: checked before anything is written, stored once, personal
fields left behind, podcasts apart, names resolved where they can be."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from history_exports import export_zip, in_memory_zip, listed_truth, save

UNTIL = dt.date(2026, 11, 10)
EXTENDED_ROW = {
    "ts": "2026-11-09T20:51:42Z", "platform": "android", "ms_played": 201_000,
    "conn_country": "SE", "ip_addr": "192.0.2.7", "user_agent_decrypted": "Mozilla/5.0",
    "username": "someone", "master_metadata_track_name": "Sky Heart",
    "master_metadata_album_artist_name": "Sofía García",
    "master_metadata_album_album_name": "Luna", "spotify_track_uri":
    "spotify:track:4uLU6hMCjMI75M1A2tKUQC", "episode_name": None, "episode_show_name": None,
    "spotify_episode_uri": None, "audiobook_title": None, "audiobook_uri": None,
    "audiobook_chapter_uri": None, "audiobook_chapter_title": None, "reason_start": "trackdone",
    "reason_end": "trackdone", "shuffle": False, "skipped": False, "offline": False,
    "offline_timestamp": None, "incognito_mode": False}
EXTENDED_NAME = "Spotify Extended Streaming History/Streaming_History_Audio_2026_0.json"
ACCOUNT_NAME = "Spotify Account Data/StreamingHistory_music_0.json"


@pytest.fixture
def person(data_dir):
    """A connected person in an empty embedded store."""
    from spotify_etl.storage import database, ensure_indexes

    db = database()
    ensure_indexes(db)
    db.users.insert_one({"_id": "alice", "status": "active"})
    return db


def _import(db, path, user="alice"):
    from spotify_etl.history.importer import import_export

    return import_export(db, user, path)


def _zip_file(tmp_path, files) -> str:
    return save(in_memory_zip(files).getvalue(), tmp_path / "my_spotify_data.zip")


def test_personal_fields_are_never_stored(person, tmp_path):
    _import(person, _zip_file(tmp_path, {EXTENDED_NAME: [EXTENDED_ROW]}))
    (play,) = list(person.plays.find())
    text = json.dumps(play, default=str)
    assert "192.0.2.7" not in text and "Mozilla" not in text and "someone" not in text
    assert play["track_id"] == "4uLU6hMCjMI75M1A2tKUQC" and play["from_extended"] is True
    assert play["played_at"].replace(tzinfo=dt.UTC) == dt.datetime(2026, 11, 9, 20, 51, 42,
                                                                    tzinfo=dt.UTC)


@pytest.mark.parametrize(("files", "problem"), [
    ({EXTENDED_NAME: [EXTENDED_ROW, {**EXTENDED_ROW, "ts": "yesterday"}]},
     "Streaming_History_Audio_2026_0.json row 2: ts 'yesterday' is not an ISO 8601 time"),
    ({EXTENDED_NAME: [{k: v for k, v in EXTENDED_ROW.items() if k != "ms_played"}]},
     "row 1: no ms_played"),
    ({ACCOUNT_NAME: [{"endTime": "2026-11-09 20:51", "artistName": "A", "trackName": "B",
                      "msPlayed": "lots"}]}, "msPlayed must be a whole number"),
    ({ACCOUNT_NAME: [{"endTime": "09/11/2026 20:51", "artistName": "A", "trackName": "B",
                      "msPlayed": 1}]}, "endTime must look like 2024-03-15 18:22"),
    ({ACCOUNT_NAME: b"{not json"}, "StreamingHistory_music_0.json: not valid JSON"),
    ({ACCOUNT_NAME: {"endTime": "2026-11-09 20:51"}}, "expected a JSON list of plays"),
])
def test_a_malformed_or_foreign_export_names_the_problem_and_imports_nothing(
        person, tmp_path, files, problem):
    from spotify_etl.history.exports import ExportError

    # a good file beside the bad one: still nothing may be written
    good = {"Spotify Extended Streaming History/Streaming_History_Audio_2025_1.json":
            [{**EXTENDED_ROW, "ts": "2025-01-01T10:00:00Z"}]}
    with pytest.raises(ExportError) as raised:
        _import(person, _zip_file(tmp_path, {**good, **files}))
    assert problem in str(raised.value)
    assert person.plays.count_documents({}) == 0
    assert person.listening_days.count_documents({}) == 0


def test_a_zip_without_streaming_history_is_refused(person, tmp_path):
    from spotify_etl.history.exports import ExportError

    with pytest.raises(ExportError, match="holds no Spotify streaming history"):
        _import(person, _zip_file(tmp_path, {"Spotify Account Data/Playlist1.json": []}))


def test_a_single_file_of_another_kind_is_refused_by_name(person, tmp_path):
    from spotify_etl.history.exports import ExportError

    path = tmp_path / "YourLibrary.json"
    path.write_text(json.dumps({"tracks": []}))
    with pytest.raises(ExportError, match="YourLibrary.json is not a Spotify streaming history"):
        _import(person, str(path))


def test_an_unknown_person_is_refused_before_reading(person, tmp_path):
    with pytest.raises(ValueError, match="Unknown user id 'bob'"):
        _import(person, _zip_file(tmp_path, {EXTENDED_NAME: [EXTENDED_ROW]}), user="bob")


def test_zip_folder_and_single_file_import_the_same_and_re_import_changes_nothing(
        person, tmp_path, sandbox):
    import zipfile

    user = sandbox.world.users[2]
    zipped = save(export_zip(sandbox, user.id, UNTIL, 5), tmp_path / "my_spotify_data.zip")
    folder = tmp_path / "unzipped"
    zipfile.ZipFile(zipped).extractall(folder)
    one_file = next(folder.rglob("Streaming_History_Audio_*.json"))
    person.users.insert_one({"_id": user.id, "status": "active"})
    first = _import(person, zipped, user.id)
    count = person.plays.count_documents({"user_id": user.id})
    for path in (str(folder), str(one_file), zipped):
        again = _import(person, path, user.id)
        assert again.plays_new == 0
    assert person.plays.count_documents({"user_id": user.id}) == count == first.plays_new
    # the extended rows alone are the sandbox's plays; account data added no second copy
    first_ms = int(dt.datetime.combine(UNTIL - dt.timedelta(days=4), dt.time(),
                                       dt.UTC).timestamp() * 1000)
    end_ms = int(dt.datetime.combine(UNTIL + dt.timedelta(days=1), dt.time(),
                                     dt.UTC).timestamp() * 1000)
    truth = listed_truth(sandbox.world, 2, first_ms, end_ms)
    assert person.plays.count_documents({"user_id": user.id, "track_id": {"$ne": None}}) == \
        len(truth)
    assert person.plays.count_documents({"user_id": user.id, "from_account": True}) >= \
        len(truth)


def test_podcasts_and_audiobooks_are_kept_apart_from_music(person, tmp_path):
    episode = {**EXTENDED_ROW, "ts": "2026-11-09T05:40:00Z", "ms_played": 1_800_000,
               "master_metadata_track_name": None, "master_metadata_album_artist_name": None,
               "master_metadata_album_album_name": None, "spotify_track_uri": None,
               "episode_name": "Episode 12", "episode_show_name": "Science Hour",
               "spotify_episode_uri": "spotify:episode:0Q86acNRm6V9GYx55SXKwf"}
    chapter = {**episode, "ts": "2026-11-09T04:40:00Z", "episode_name": None,
               "episode_show_name": None, "spotify_episode_uri": None,
               "audiobook_title": "A Sea of Glass",
               "audiobook_uri": "spotify:audiobook:7iHfbu1YPACw6oZPAFJtqe",
               "audiobook_chapter_uri": "spotify:chapter:4pOtmZHj0kVwG3CP4Zc4ai",
               "audiobook_chapter_title": "Chapter 3"}
    account_episode = {"endTime": "2026-11-09 05:40", "podcastName": "Science Hour",
                       "episodeName": "Episode 12", "msPlayed": 1_800_000}
    report = _import(person, _zip_file(tmp_path, {
        EXTENDED_NAME: [EXTENDED_ROW, episode, chapter],
        "Spotify Account Data/StreamingHistory_podcast_0.json": [account_episode]}))
    assert report.spoken == 3 and person.plays.count_documents({}) == 1
    kinds = sorted((s["kind"], bool(s.get("from_account"))) for s in person.spoken_plays.find())
    assert kinds == [("audiobook", False), ("episode", True)]  # both formats, one episode


def test_account_names_resolve_through_the_stored_catalogue_and_the_rest_is_counted(
        person, tmp_path):
    person.tracks.insert_one({"_id": "4uLU6hMCjMI75M1A2tKUQC", "name": "Sky Heart",
                              "artist_ids": ["0OdUWJ0sBjDrqHygGUXeCF"],
                              "artist_names": ["Sofía García"], "duration_ms": 201_000})
    rows = [{"endTime": "2026-11-09 20:51", "artistName": "Sofía García",
             "trackName": "Sky Heart", "msPlayed": 201_000},
            {"endTime": "2026-11-09 21:00", "artistName": "Nobody Known",
             "trackName": "Voice Memo 4", "msPlayed": 60_000},
            {"endTime": "2026-11-09 21:01", "artistName": "Nobody Known",
             "trackName": "Skipped", "msPlayed": 4_000}]
    report = _import(person, _zip_file(tmp_path, {ACCOUNT_NAME: rows}))
    assert (report.resolved, report.unresolved, report.short_rows) == (1, 1, 1)
    resolved = person.plays.find_one({"track_name": "Sky Heart"})
    assert resolved["track_id"] == "4uLU6hMCjMI75M1A2tKUQC"
    assert resolved["artist_ids"] == ["0OdUWJ0sBjDrqHygGUXeCF"]
    assert resolved["precision"] == "minute"
    assert person.plays.find_one({"track_name": "Voice Memo 4"})["track_id"] is None


def test_import_onto_captured_plays_adds_how_they_were_played(person, tmp_path):
    from spotify_etl.history.store import CAPTURE, PlayWriter

    played_at = dt.datetime(2026, 11, 9, 20, 51, 43, 912_000, tzinfo=dt.UTC)
    PlayWriter(person, "alice").write([{
        "end_ms": int(played_at.timestamp() * 1000), "precision": "millisecond",
        "played_at": played_at, "track_id": "4uLU6hMCjMI75M1A2tKUQC", "track_name": "Sky Heart",
        "artist_ids": ["0OdUWJ0sBjDrqHygGUXeCF"], "artist_names": ["Sofía García"],
        "album_id": None, "duration_ms": 201_000, "context_type": None,
        "context_uri": None}], CAPTURE)
    report = _import(person, _zip_file(tmp_path, {EXTENDED_NAME: [EXTENDED_ROW]}))
    assert (report.plays_new, report.plays_matched) == (0, 1)
    (play,) = list(person.plays.find())
    assert play["_id"] == "alice|2026-11-09T20:51:43.912000Z"  # the capture's key, kept
    assert play["played_at"].replace(tzinfo=dt.UTC) == played_at  # the finer clock wins
    assert play["from_capture"] and play["from_extended"] and play["platform"] == "android"
    (day,) = list(person.listening_days.find())
    assert day["source"] == "both" and day["play_count"] == 1


def test_a_day_inside_an_export_without_plays_is_silence_not_a_hole(person, tmp_path):
    from spotify_etl.history.coverage import coverage, summarise

    rows = [{**EXTENDED_ROW, "ts": "2026-11-07T10:00:00Z"}, {**EXTENDED_ROW,
                                                           "ts": "2026-11-09T10:00:00Z"}]
    _import(person, _zip_file(tmp_path, {EXTENDED_NAME: rows}))
    days = coverage(person, "alice", dt.date(2026, 11, 6), dt.date(2026, 11, 9))
    assert [(d.source, d.hole) for d in days] == [
        ("none", True), ("import", False), ("none", False), ("import", False)]
    assert summarise(days)["holes"] == [("2026-11-06", "2026-11-06")]


def test_the_analysts_query_tells_captured_imported_and_both_days(person, tmp_path):
    from spotify_etl.history.store import CAPTURE, PlayWriter
    from spotify_etl.queries.questions import run_query

    played_at = dt.datetime(2026, 11, 9, 20, 51, 43, tzinfo=dt.UTC)
    capture = {"end_ms": int(played_at.timestamp() * 1000), "precision": "millisecond",
               "played_at": played_at, "track_id": "4uLU6hMCjMI75M1A2tKUQC",
               "track_name": "Sky Heart", "artist_ids": [], "artist_names": ["Sofía García"]}
    later = played_at + dt.timedelta(days=1)
    PlayWriter(person, "alice").write([capture, {**capture, "played_at": later,
                                                 "end_ms": capture["end_ms"] + 86_400_000}],
                                      CAPTURE)
    _import(person, _zip_file(tmp_path, {EXTENDED_NAME: [
        EXTENDED_ROW, {**EXTENDED_ROW, "ts": "2026-11-08T08:00:00Z"}]}))
    rows = run_query(person, "play_sources_per_day", user_id="alice", until="2026-11-10",
                     days=5)
    assert [(r["day"], r["source"], r["plays"]) for r in rows] == [
        ("2026-11-08", "import", 1), ("2026-11-09", "both", 1), ("2026-11-10", "capture", 1)]


def test_one_writer_at_a_time_a_second_import_stores_nothing_and_a_dead_lock_is_taken_over(
        person, tmp_path):
    """Two imports at once could each miss the other's plays: the second one is refused."""
    from spotify_etl.history.store import LOCK_STALE, PersonBusy, writing_plays_of

    path = _zip_file(tmp_path, {EXTENDED_NAME: [EXTENDED_ROW]})
    with writing_plays_of(person, "alice", "import"):
        with pytest.raises(PersonBusy, match="another import is storing their plays"):
            _import(person, path)
        assert person.plays.count_documents({}) == 0
        assert person.listening_days.count_documents({}) == 0
    assert "history_lock" not in person.users.find_one({"_id": "alice"})  # released
    assert _import(person, path).plays_new == 1
    # a holder that died (no renewal for LOCK_STALE) does not block the person for ever
    dead = dt.datetime.now(dt.UTC) - LOCK_STALE - dt.timedelta(minutes=1)
    person.users.update_one({"_id": "alice"}, {"$set": {"history_lock": {
        "holder": "import:elsewhere:1:dead", "what": "import", "at": dead}}})
    assert _import(person, path).plays_matched == 1
    assert "history_lock" not in person.users.find_one({"_id": "alice"})
    assert person.plays.count_documents({}) == 1


def test_the_cli_says_an_import_is_running_and_imports_nothing(person, tmp_path):
    from click.testing import CliRunner

    from spotify_etl.cli import main
    from spotify_etl.history.store import writing_plays_of

    path = _zip_file(tmp_path, {EXTENDED_NAME: [EXTENDED_ROW]})
    with writing_plays_of(person, "alice", "import"):
        result = CliRunner().invoke(main, ["history", "import", path, "--user", "alice"])
    assert result.exit_code != 0
    assert "Nothing was imported: alice: another import is storing their plays" in result.output
    assert person.plays.count_documents({}) == 0


def test_the_fast_parser_reads_every_row_as_the_checking_parser_does(tmp_path, sandbox):
    """Extended files take a typed msgspec path; it must equal the row-by-row parser, and a
    file it does not take (an unusual row) still parses through the checking path."""
    from spotify_etl.history import exports

    content = export_zip(sandbox, sandbox.world.users[4].id, UNTIL, 60)
    files, _ = exports.history_files(save(content, tmp_path / "export.zip"))
    extended = [f for f in files if f.format == exports.EXTENDED]
    assert extended
    kinds = set()
    for file in extended:
        fast = exports._typed_extended(file)
        assert fast is not None
        slow = [exports._parse_extended(row, "row") for row in json.loads(file.read())]
        assert fast == slow
        assert exports._typed_extended(file, build=False) == [(r["kind"], r["end_ms"])
                                                              for r in slow]
        kinds.update(r["kind"] for r in slow)
    assert exports.MUSIC in kinds and len(kinds) > 1  # music and spoken rows alike
    odd = dict(EXTENDED_ROW, ts="2026-11-09T20:51:42+00:00", ms_played=True)
    path = _zip_file(tmp_path, {EXTENDED_NAME: [EXTENDED_ROW, odd]})
    file = exports.history_files(path)[0][0]
    assert exports._typed_extended(file) is None  # a bool ms_played: the checking path decides
    with pytest.raises(exports.ExportError, match="row 2: ms_played must be a whole number"):
        exports.parse_file(file)
