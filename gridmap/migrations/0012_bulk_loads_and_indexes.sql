-- Large loads, run by the app's role, and the indexes the everyday queries need.
--
-- A large load drops incident's secondary indexes and rebuilds them after its COPY (a sorted
-- GiST build over the whole table costs a quarter of feeding the GiST a million points one by
-- one). Dropping an index is the owner's right, so the app's role asks the owner's functions:
-- bulk_indexes_drop() records each index's definition, as PostgreSQL itself writes it, in a
-- table only the owner can write, and drops it; bulk_indexes_restore() builds them again from
-- there. Both run in the load's transaction: a load that fails rolls the drop back too. The app
-- never hands the owner a statement to run. The first takes the bulk-load lock, so two large
-- loads never drop and rebuild indexes under one another ("cache lookup failed").
CREATE TABLE bulk_index_rebuild (
    name        text PRIMARY KEY,
    definition  text NOT NULL
);

-- Indexes for the queries that scanned the table at a million incidents (measured there before
-- and after: bench/center.py, and tests/test_query_plans.py shows each plan).
-- Open cases by deadline: the center's 只看超期 and the follow-up lists. Partial: a closed case
-- has no deadline to watch, and most cases are closed.
CREATE INDEX incident_open_due_idx ON incident (street_code, due_at) WHERE closed_at IS NULL;

-- A grid member's open cases.
CREATE INDEX incident_open_grid_idx ON incident (street_code, grid_code, due_at)
    WHERE closed_at IS NULL;

-- What was closed in a period (the reports' 办结数).
CREATE INDEX incident_closed_idx ON incident (street_code, closed_at)
    WHERE closed_at IS NOT NULL;

-- A batch's incidents (its ids in order, its fold into the tally).
CREATE INDEX incident_batch_idx ON incident (street_code, batch_id, id);
