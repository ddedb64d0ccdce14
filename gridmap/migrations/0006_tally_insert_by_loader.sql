-- Inserts no longer feed incident_tally through a trigger: gridmap.intake.load.load, the one path
-- that writes incidents, adds its batch's tally itself, aggregated before it leaves Python.
-- Measured on a million-row load: the insert trigger's transition table and aggregate cost
-- 1.2 s on the demo street and 13 s on a 10,000-grid district; the loader's tally costs a
-- fraction of that. Updates, deletions and TRUNCATE keep their triggers.

DROP TRIGGER incident_tally_b_insert ON incident;
