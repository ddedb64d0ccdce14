-- incident_tally keeps one row per grid, kind, category, state and year, with twelve monthly
-- cells, instead of one row per month.
--
-- Why: the monthly rows of 0004 grow almost as fast as the incidents when a ledger spans years
-- and every kind and category. Measured on a million incidents over six years on the demo
-- street: 566,000 tally rows, and adding them cost 6 s of a 17 s load. With twelve cells a row
-- the same million needs 90,000 rows, and the center reads a sixth of the rows it did. The
-- view incident_tally_monthly gives back one row per month, as the queries want them.
--
-- A tally only pays where it aggregates. A large batch spread so thin that its tally would
-- have nearly a row per incident (a million incidents over 10,000 grids and six years: almost
-- every grid, kind, category and month holds one or two) is left out of it: load_batch.tallied
-- is false, the loader writes no tally for it, the triggers below skip its incidents, and the
-- center counts its incidents directly. Every incident is thus counted in exactly one place.
ALTER TABLE load_batch ADD COLUMN tallied boolean NOT NULL DEFAULT true;

-- Every center request asks for a street's untallied batches; every pin is a batch of its own,
-- so load_batch grows with the years while the untallied ones stay few.
CREATE INDEX load_batch_untallied_idx ON load_batch (street_code) WHERE NOT tallied;

DROP TABLE incident_tally;

-- The key's text is codes, compared byte by byte (COLLATE "C"): a locale-aware comparison of
-- eight columns made the primary key cost 0.9 s of a 90,000-row batch, byte order 0.5 s.
CREATE TABLE incident_tally (
    street_code        text COLLATE "C" NOT NULL,
    package_area_code  text COLLATE "C" NOT NULL,
    village_code       text COLLATE "C" NOT NULL,
    grid_code          text COLLATE "C" NOT NULL,
    year               smallint NOT NULL,   -- Beijing time
    kind               text COLLATE "C" NOT NULL,
    category           text COLLATE "C" NOT NULL,
    closed             boolean NOT NULL,    -- in a final state of its workflow
    n                  integer[] NOT NULL,  -- incidents per month, January first
    sum_lon            float8[] NOT NULL,   -- for the mean position of a grid's incidents
    sum_lat            float8[] NOT NULL,
    PRIMARY KEY (street_code, year, kind, category, closed, package_area_code, village_code,
                 grid_code),
    CHECK (cardinality(n) = 12 AND cardinality(sum_lon) = 12 AND cardinality(sum_lat) = 12)
);
