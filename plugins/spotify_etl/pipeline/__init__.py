"""The daily snapshot: extract from Spotify, transform (pure pandas), load (bulk upserts).

`snapshot.py` is what the `spotify_daily_snapshot` DAG's mapped tasks call; `assets.py`
declares the Asset it announces for the downstream DAGs.
"""
