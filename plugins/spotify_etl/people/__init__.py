"""People: who is connected, their encrypted tokens, and removing someone with all their data.

`tokens` keeps refresh tokens encrypted (Fernet) and hands them to spotipy; `directory` lists
people and their status; `deletion` removes a person from every collection.
"""
