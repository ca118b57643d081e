"""`python -m spotify_etl model train|list|promote|rollback`."""

from __future__ import annotations

from click.testing import CliRunner

from spotify_etl.cli import main


def run(*args):
    return CliRunner().invoke(main, ["model", *args])


def test_train_prints_the_comparison_and_keeps_the_current_version(predicted):
    person = predicted["trained"][0]
    done = run("train", person)
    assert done.exit_code == 0, done.output
    for name in ("person_mean", "artist_mean", "last_30_days", "gradient_boosting"):
        assert name in done.output
    assert f"{person}: version 2" in done.output
    assert "Not promoted: held-out MAE" in done.output
    rows = [line.split() for line in run("list", person).output.splitlines()[2:]]
    assert [row[0] for row in rows] == ["1", "2"]
    assert rows[0][1] == "*" and "*" not in rows[1]


def test_promote_then_rollback(predicted):
    person = predicted["trained"][1]
    assert run("rollback", person).exit_code == 1
    assert run("train", person, "--promote", "never").exit_code == 0
    assert run("promote", person, "2").output.strip() == f"{person}: version 2 now answers."
    assert run("rollback", person).output.strip() == f"{person}: rolled back to version 1."
    missing = run("promote", person, "9")
    assert missing.exit_code == 1 and "No model version 9" in missing.output


def test_not_enough_history_is_an_answer_not_a_model(predicted):
    person = predicted["short"]
    done = run("train", person)
    assert done.exit_code == 1
    assert done.output.startswith(f"{person}: not enough history")
    assert run("list", person).output.strip() == f"No model versions for {person}."
