"""Analytics downstream of the daily snapshot: taste match, diffs, mixes, playlists, twins.

Pure computations (`taste_match`, `diffs`, `mixes`) take plain data; `store`, `groups`,
`publish` and `jobs` are the edges that read snapshots, write results and talk to Spotify.
"""
