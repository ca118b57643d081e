"""spotify_etl: own and analyse your Spotify listening with Airflow and MongoDB.

The package behind the DAGs, the CLI and the authorization helper. Importing it is cheap:
heavy modules (pandas, pymongo, spotipy) are imported by the modules that need them.
"""

from __future__ import annotations

__version__ = "0.1.0"
