"""The dashboard's data: what a person's, a group's and a year-in-review page show.

Query functions over the store (by `_id` or an index of `storage.INDEXES`) returning plain
data for the web helper's dashboard pages; the web helper draws it. Nothing here renders HTML.
"""
