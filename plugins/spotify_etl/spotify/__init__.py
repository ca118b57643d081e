"""Spotify: the Web API client (spotipy with our retry and counting policy) and the Airflow
retry policy that waits exactly as long as Spotify's Retry-After asks.

Nothing here touches MongoDB except through the token cache handler it is given.
"""
