"""Tables write decimal numbers in the reader's notation; whole numbers and configured columns stay as they are."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.ui.common import localized_columns


def test_decimal_columns_follow_the_readers_locale_and_nothing_else_changes():
    frame = pd.DataFrame({"score": [0.9667, 0.9], "version": [1, 2], "name": ["a", "b"], "year": [2007, 2008]})
    mine = st.column_config.TextColumn("Score as text")
    config = localized_columns(frame, {"name": mine})
    assert set(config) == {"score", "name"}
    assert config["name"] is mine
    assert config["score"]["type_config"]["format"] == "localized"
