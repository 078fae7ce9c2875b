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
    """The pinned run itself tells the story the default scenario promises (C3.7)."""
    g = pd.read_csv(PATH).set_index("year")
    assert g.loc[2, "systemic_change"] - g.loc[0, "systemic_change"] < 0.15  # slow start
    assert g.loc[11, "systemic_change"] > g.loc[2, "systemic_change"] + 0.2
    assert (
        g.loc[1:11, "backbone_present"].eq(1).all() and g.loc[12:, "backbone_present"].eq(0).all()
    )
