-- incident_bins: incidents per cell of a ~100 m lattice, kind and month, kept exact by the
-- database in the way incident_tally is (migration 0011), for the center's fishnet and heat.
--
-- Why. The center's fishnet (500 m Gi*) and heat surface (800 m kernel) start from counts per
-- ~100 m cell. Counted from the incidents, a year of a million is a million rows to aggregate
-- whatever the index (measured 0.76–1.0 s here); no index helps an aggregate over every row of
-- a period. Kept as a tally, the same year is 48 rows (12 months × 4 kinds) of a few thousand
-- cells each.
--
-- The lattice is fixed, in degrees, so that a cell never depends on a division's outline:
-- 0.001° of longitude by 0.0009° of latitude (96 m × 99.5 m at Zhurushan, 30.4° N). A cell is
-- named by its column and row, floor(lon / 0.001) and floor(lat / 0.0009).
--
-- Only what never changes after an incident is stored is a key here (its kind, when it
-- happened, where: migration 0009's incident_guard refuses a change to any of them), so an
-- update never writes a bin. Inserts and deletes append signed rows through the tally's
-- statement triggers, which skip the same untallied batches; tally_fold() folds a batch into
-- both; tally_compact() merges both. A reader asking by category or state (which do change)
-- counts the incidents directly instead.

CREATE TABLE incident_bins (
    street_code  text COLLATE "C" NOT NULL,
    kind         text COLLATE "C" NOT NULL,
    year         smallint NOT NULL,  -- Beijing time, of occurrence
    month        smallint NOT NULL,
    -- The cells, each as three 4-byte big-endian integers: column, row and signed count. Packed
    -- rather than integer[] so that a reader takes a year's cells as they lie (a million
    -- incidents' year is some 600,000 cells: 7 MB read in milliseconds, where array_send()
    -- spent 150 ms and integer[] loaded into Python 110 ms).
    cells        bytea NOT NULL,
    CONSTRAINT incident_bins_month CHECK (month BETWEEN 1 AND 12),
    CONSTRAINT incident_bins_cells CHECK (octet_length(cells) > 0 AND octet_length(cells) % 12 = 0)
);

-- Stored as they are, not compressed: a reader takes a year of them at a time (measured: 8 ms
-- to read 7 MB, against 15–20 ms compressed).
ALTER TABLE incident_bins ALTER cells SET STORAGE EXTERNAL;

CREATE INDEX incident_bins_idx ON incident_bins (street_code, year, month);
