"""A golden trajectory pinned by seed catches unintended changes of behaviour."""

import numpy as np
import pandas as pd

from tests.golden import PATH, trajectory


def test_default_seed42_matches_golden_trajectory():
    expected = pd.read_csv(PATH)
    actual = trajectory()
    assert list(actual.columns) == list(expected.columns)
    assert len(actual) == len(expected) == 16
    np.testing.assert_allclose(actual.to_numpy(float), expected.to_numpy(float), atol=1e-9)


def test_golden_trajectory_shows_the_documented_arc():
    """The pinned run itself tells the story the default scenario promises (C3.7), read
    from a fresh run of the model, not from the pinned file: a slow start, a rise, local
    leadership built before the sunset, and change that holds after it."""
    g = trajectory().set_index("year")
    assert g.loc[2, "systemic_change"] - g.loc[0, "systemic_change"] < 0.15  # slow start
    assert g.loc[11, "systemic_change"] > g.loc[2, "systemic_change"] + 0.2
    assert g.loc[12, "local_leadership"] > 2 * g.loc[1, "local_leadership"]
    assert g.loc[15, "systemic_change"] >= 0.9 * g.loc[11, "systemic_change"]
