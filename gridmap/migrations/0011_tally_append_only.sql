-- incident_tally, kept exact by the database whoever writes, and never a place where writers
-- wait for one another.
--
-- Why the change. In 0007 inserts were tallied by the loader in Python (a row inserted any other
-- way was missing), and updates upserted the tally's rows: two transactions changing cases in
-- two grids in opposite order deadlocked on those rows, and a single-row update cost 3.5–5.5 ms
-- of triggers.
--
-- Now the tally is append-only: every writer adds rows of signed counts and never updates one,
-- so no writer waits for another. Readers sum, as they always did. A row holds one grid, kind,
-- category, state and year, with the months it has counts for (``months``, and ``n``,
-- ``sum_lon``, ``sum_lat`` cell by cell); tally_compact() merges a street's rows into one row per
-- key from time to time (gridmap db maintain, gridmap serve every few minutes, after each load).
--
-- Two measures. 'occurred' counts incidents by the month they happened, with their current state
-- (closed or not), as the center's maps ask. 'closed' counts them by the month they were closed,
-- so that a report can ask what was open at the end of a period: incidents occurred by then
-- minus those closed by then (a case closed in March was open at the end of February). A case
-- reopened and closed again counts by its last closing.
--
-- Who adds what:
-- * inserts: a statement trigger over the statement's new rows, except rows of a batch the
--   loader left out (load_batch.tallied = false: a large load, counted directly by readers until
--   tally_fold() adds it in one aggregate and marks it tallied, in one transaction);
-- * updates: a row trigger, only when the closing time or the category changes (a note edited
--   writes nothing), adding −1 under the old key and +1 under the new;
-- * deletes: a statement trigger, −1 for each removed row.

DROP TABLE incident_tally;

CREATE TABLE incident_tally (
    street_code        text COLLATE "C" NOT NULL,
    measure            text COLLATE "C" NOT NULL,
    package_area_code  text COLLATE "C" NOT NULL,
    village_code       text COLLATE "C" NOT NULL,
    grid_code          text COLLATE "C" NOT NULL,
    kind               text COLLATE "C" NOT NULL,
    category           text COLLATE "C" NOT NULL,
    closed             boolean NOT NULL,    -- in a final state of its workflow
    year               smallint NOT NULL,   -- Beijing time
    months             smallint[] NOT NULL, -- 1–12, each once
    n                  integer[] NOT NULL,  -- signed counts, cell by cell
    sum_lon            float8[] NOT NULL,   -- for the mean position of a grid's incidents
    sum_lat            float8[] NOT NULL,
    CHECK (measure IN ('occurred', 'closed')),
    CHECK (cardinality(months) BETWEEN 1 AND 12 AND cardinality(n) = cardinality(months)
           AND cardinality(sum_lon) = cardinality(months)
           AND cardinality(sum_lat) = cardinality(months))
);

CREATE INDEX incident_tally_idx ON incident_tally (street_code, measure, year);
