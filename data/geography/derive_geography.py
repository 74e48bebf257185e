#!/usr/bin/env python3
"""Derive data/geography/{municipalities,parishes}.csv from the saved public files.

Usage: python3 data/geography/derive_geography.py /work/shared/data data/geography

Pure column selection and renaming: no value is changed (coordinates and areas are copied
as the exact strings of the source files). See SOURCES.md for the provenance of the inputs.
"""
import csv
import sys
from pathlib import Path


def main(src: Path, out: Path) -> None:
    with open(src / "rm_kommuner.csv", encoding="utf-8", newline="") as f:
        kom = {r["komkode"]: r for r in csv.DictReader(f, delimiter=";")}
    with open(src / "rm_kommuner_centroids.csv", encoding="utf-8", newline="") as f:
        cen = {r["komkode"]: r for r in csv.DictReader(f)}
    assert sorted(kom) == sorted(cen) and len(kom) == 19, "expected 19 municipalities in both files"
    with open(out / "municipalities.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "name", "landsdel", "lon", "lat", "area_km2", "population_2013"])
        for code in sorted(kom):
            k, c = kom[code], cen[code]
            assert k["komnavn"] == c["komnavn"], code
            w.writerow([code, k["komnavn"], k["landsdel_dst"], c["centroid_lon"], c["centroid_lat"],
                        c["approx_area_km2"], k["folketal_2013-01-01"]])
    with open(src / "rm_sogne_centroids.csv", encoding="utf-8", newline="") as f:
        sogne = list(csv.DictReader(f))
    assert len(sogne) == 623
    with open(out / "parishes.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "name", "municipality_code", "lon", "lat", "area_km2"])
        for s in sorted(sogne, key=lambda r: r["sognekode"]):
            assert len(s["sognekode"]) == 4 and s["komkode_largest_part_in"] in kom, s
            w.writerow([s["sognekode"], s["sognenavn"], s["komkode_largest_part_in"],
                        s["centroid_lon"], s["centroid_lat"], s["approx_area_km2"]])


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
