"""Messy real-world-shaped test files: a penguins table (class column first, a year column last, gaps) as an
English CSV and as a German export (CSV with ';' and decimal commas in cp1252, and Excel)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

# per species: bill length, bill depth (mm), flipper length (mm), body mass (g), the islands it lives on
_SPECIES = {
    "Adelie": (38.8, 18.3, 190, 3700, ("Torgersen", "Biscoe", "Dream"), 152),
    "Chinstrap": (48.8, 18.4, 196, 3733, ("Dream",), 68),
    "Gentoo": (47.5, 15.0, 217, 5076, ("Biscoe",), 124),
}
GERMAN_COLUMNS = {
    "species": "Art",
    "island": "Insel",
    "bill_length_mm": "Schnabellänge_mm",
    "bill_depth_mm": "Schnabeltiefe_mm",
    "flipper_length_mm": "Flossenlänge_mm",
    "body_mass_g": "Körpermasse_g",
    "sex": "Geschlecht",
    "year": "Jahr",
}


def penguins(seed: int = 7) -> pd.DataFrame:
    """344 penguins shaped like the Palmer data: species first, year last, five gaps in three columns."""
    rng = np.random.default_rng(seed)
    rows = []
    for species, (bill, depth, flipper, mass, islands, count) in _SPECIES.items():
        for _ in range(count):
            rows.append(
                {
                    "species": species,
                    "island": str(rng.choice(islands)),
                    "bill_length_mm": round(float(rng.normal(bill, 2.8)), 1),
                    "bill_depth_mm": round(float(rng.normal(depth, 1.1)), 1),
                    "flipper_length_mm": int(rng.normal(flipper, 6.5)),
                    "body_mass_g": int(rng.normal(mass, 450)),
                    "sex": str(rng.choice(["male", "female"])),
                    "year": int(rng.choice([2007, 2008, 2009])),
                }
            )
    frame = pd.DataFrame(rows).sample(frac=1, random_state=1).reset_index(drop=True)
    for column in ("bill_length_mm", "sex"):
        frame.loc[rng.choice(len(frame), 5, replace=False), column] = np.nan
    return frame


def penguins_csv() -> bytes:
    return penguins().to_csv(index=False).encode()


def german_penguins() -> pd.DataFrame:
    frame = penguins().rename(columns=GERMAN_COLUMNS)
    frame["Geschlecht"] = frame["Geschlecht"].map({"male": "männlich", "female": "weiblich"})
    return frame


def german_penguins_csv() -> bytes:
    """As German Excel saves CSV: ';' between fields, decimal commas, Windows-1252."""
    return german_penguins().to_csv(index=False, sep=";", decimal=",").encode("cp1252")


def german_penguins_xlsx() -> bytes:
    buffer = io.BytesIO()
    german_penguins().to_excel(buffer, index=False)
    return buffer.getvalue()
