"""Peers of `appraise score` on the same Parquet ballots: the bare group-by count of
the per-unit x group x item x option table (no validation, no duplicate detection,
no scores), in DuckDB, polars and pandas.

    python peers.py duckdb|polars|pandas BALLOTS.parquet ITEMS

ITEMS is the comma-separated list of item columns; codes are 1-4 (null = blank).
Prints the number of table cells and their total, so runs can be checked against
each other.
"""
import sys

CODES = (1, 2, 3, 4)


def run_duckdb(path, items):
    import duckdb

    aggs = ", ".join(f"count_if({it} = {c})" for it in items for c in CODES)
    sql = f"SELECT unit_id, rater_group, count(*), {aggs} FROM read_parquet('{path}') GROUP BY ALL"
    rows = duckdb.sql(sql).fetchall()
    return len(rows) * len(items) * len(CODES), sum(sum(v or 0 for v in r[3:]) for r in rows)


def run_polars(path, items):
    import polars as pl

    aggs = [(pl.col(it) == c).sum().alias(f"{it}_{c}") for it in items for c in CODES]
    df = (
        pl.scan_parquet(path)
        .group_by("unit_id", "rater_group")
        .agg([pl.len().alias("n"), *aggs])
        .collect()
    )
    cells = df.select(pl.exclude("unit_id", "rater_group", "n"))
    return cells.height * cells.width, int(cells.sum().sum_horizontal()[0])


def run_pandas(path, items):
    import pandas as pd

    df = pd.read_parquet(path, columns=["unit_id", "rater_group", *items], dtype_backend="numpy_nullable")
    df["unit_id"] = df["unit_id"].astype("category")
    df["rater_group"] = df["rater_group"].astype("category")
    g = df.groupby(["unit_id", "rater_group"], observed=True)
    cells = total = 0
    for it in items:
        vc = g[it].value_counts()
        cells += len(vc)
        total += int(vc.sum())
    return cells, total


if __name__ == "__main__":
    tool, path, items = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    cells, total = {"duckdb": run_duckdb, "polars": run_polars, "pandas": run_pandas}[tool](path, items)
    print(f"{tool}: {cells} cells, {total} answers counted")
