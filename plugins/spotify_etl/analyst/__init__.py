"""The analyst's toolkit over MongoDB: schema validators, read-only views, named questions.

Everything here reads the collections described in `docs/data-model.md`; only
`apply_validators` and `create_views` change the database, and only its definitions
(validators, views), never a document. Indexes are declared in `storage.INDEXES`.
"""
