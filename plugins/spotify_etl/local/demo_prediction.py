"""The demo's prediction section: months of history for the demo people, their models, and
one prediction with the model's held-out error.

The demo's daily snapshots cover a week; a model needs months. The months before them are
loaded from the sandbox's world through the pipeline's own transform and loader
(`world_history`), as an import of Spotify's data export would add them, then each person's
model is trained exactly as the weekly DAG does (`training.train_person`).
"""

from __future__ import annotations

import time
from datetime import date, timedelta

HISTORY_DAYS = 150  # with the demo's week: just over the 145 days a model needs


def _new_song(db, sandbox, history) -> tuple[str, str] | None:
    """A track by one of the person's artists that nobody here has stored: (name, artist)."""
    world = sandbox.world
    names = {m["name"].casefold() for m in history.metadata.values()}
    for artist_id in history.plays["primary_artist"].value_counts().index:
        artist = world.artist_index.get(artist_id)
        if artist is None:
            continue
        for track in range(int(world.artist_track_start[artist]),
                           int(world.artist_track_start[artist + 1])):
            name = world.track_name(track)
            if db.tracks.find_one({"_id": str(world.track_ids[track])}) is None and \
                    name.casefold() not in names and "feat." not in name:
                return name, world.artist_names[artist]
    return None


def prediction_report(user_ids: list[str], first_snapshot: date) -> str:
    """Load history, train every demo person's model, predict one song; return the text."""
    from spotify_etl.prediction.render import metrics_table
    from spotify_etl.local.world_history import load_history, world_sandbox
    from spotify_etl.prediction import dataset, registry, service
    from spotify_etl.prediction.training import train_person
    from spotify_etl.settings import load_settings
    from spotify_etl.storage import open_database

    started = time.monotonic()
    lines = ["Stream-count models (plays of a track in the next 30 days; docs/prediction.md):"]
    sandbox = world_sandbox()
    with open_database() as db:
        plays = load_history(db, sandbox, user_ids,
                             first_snapshot - timedelta(days=HISTORY_DAYS),
                             first_snapshot - timedelta(days=1), days_per_load=28)
        lines.append(f"  {HISTORY_DAYS} days of earlier listening loaded for {len(user_ids)} "
                     f"people ({sum(plays.values())} plays in all) in "
                     f"{time.monotonic() - started:.0f} s")
        trained = {}
        for user_id in user_ids:
            newest = dataset.read_person(db, user_id).last_day
            current = registry.current_version(db, user_id)
            document = registry.version(db, user_id, current) if current else None
            if document and document["training_window"]["history_last_day"] == str(newest):
                trained[user_id] = document["metrics"]
                lines.append(f"  {user_id}: version {current} is already trained on this "
                             "history")
                continue
            try:
                report = train_person(db, user_id)
            except dataset.NotEnoughHistory as error:
                lines.append(f"  {user_id}: {error}")
                continue
            trained[user_id] = report.metrics
            lines.append(f"  {user_id}: version {report.version} trained in "
                         f"{report.seconds:.1f} s, "
                         + ("promoted" if report.promoted else "not promoted") + ".")
        if not trained:
            return "\n".join(lines)
        person = max(trained, key=lambda p: plays[p])  # the keenest listener
        lines.append(f"\nHeld-out comparison for {person} (the newest 30 days, never trained "
                     "on):")
        lines.append(metrics_table(trained[person]))
        cache = service.PersonCache()
        history = cache.history(db, person)
        favourite = history.play_counts().index[0]
        meta = history.metadata[favourite]
        song = service.find_song(db, load_settings(), person, meta["name"],
                                 meta["artist_names"][0], history)
        answer = service.predict(cache, db, person, song)
        new = _new_song(db, sandbox, history)
        if new is not None:
            try:
                found = service.find_song(db, load_settings(), person, *new, history)
                unknown = service.predict(cache, db, person, found)
            except (service.SongNotFound, service.SpotifyLookupFailed) as error:
                unknown = {"error": str(error)}
    model = answer["model"]
    lines.append(f"\nPrediction for {person}: \"{meta['name']}\" by {meta['artist_names'][0]} "
                 f"(played {answer['plays_so_far']} times so far): "
                 f"{answer['prediction']:.1f} plays in the 30 days after "
                 f"{answer['reference_date']}, model version {model['version']}, whose "
                 f"held-out error is {model['held_out_mae']:.2f} plays per track (MAE, "
                 f"{model['held_out_window']}).")
    if new is not None and "error" not in unknown:
        lines.append(f"A song {person} never played, \"{new[0]}\" by {new[1]}, not in the "
                     f"catalogue, found through Spotify search ({unknown['found_in']}): "
                     f"{unknown['prediction']:.1f} plays in the same 30 days.")
    elif new is not None:
        lines.append(f"A song {person} never played could not be looked up: {unknown['error']}")
    lines.append("Try: make predict-api, then GET /prediction?song=...&artist=... with an API "
                 "token (python -m spotify_etl api-token USER); python -m spotify_etl model "
                 f"list {person}")
    lines.append(f"(prediction section: {time.monotonic() - started:.0f} s)")
    return "\n".join(lines)
