"""The analysts' toolkit: named questions as MongoDB queries, the index each one uses, and
`docs/queries.md` generated from the same registry.

Read-only. The validators and views it documents are declared in `spotify_etl.storage`.
"""
