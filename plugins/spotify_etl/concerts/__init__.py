"""Concert bins: upcoming concerts near a place, for a person's artists and artists like them.

Similarity from the project's own listening data (`similarity`), a concert provider behind a
small interface (`provider`, `ticketmaster`), a cache per artist per day (`fetch`), bins with
labels and reasons (`bins`), storage (`repository`, `places`) and the use cases (`service`).
"""
