"""Stream-count prediction: how often will this person play this track in the next 30 days?

`history` reads the plays (the one way in), `dataset` builds the target and the time-based
split, `features` the documented feature vector, `models` the baselines and the boosted
model, `registry` the stored versions, `training` trains, compares and promotes, `service`
answers one track for one person. docs/prediction.md is the model card.
"""
