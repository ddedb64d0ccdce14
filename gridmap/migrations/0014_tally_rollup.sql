-- A coarser level of incident_tally for the center's everyday view: incidents per grid, kind
-- and month of occurrence, of every category and state (measure 'occurred_all', with
-- category '' and closed false).
--
-- Why. The center's default view asks for every category and state, and 'occurred' keeps them
-- apart: on a million incidents scattered over six years, every kind, category and state, a
-- year is 24,000 tally rows (about seven incidents a row), and reading them cost 60–80 ms at a
-- million. The rollup keeps a row per grid, kind and year: a few thousand at most.
--
-- Its key (grid, kind, when it happened) never changes after an incident is stored (migration
-- 0009), so only inserts and deletes write it, through tally_append_sql(); the update trigger,
-- which follows closings and category changes, has nothing to add to it. tally_fold() and
-- tally_compact() handle it with the other measures.
ALTER TABLE incident_tally DROP CONSTRAINT incident_tally_measure_check;

ALTER TABLE incident_tally ADD CONSTRAINT incident_tally_measure_check
    CHECK (measure IN ('occurred', 'closed', 'occurred_all'));

ALTER TABLE incident_tally ADD CONSTRAINT incident_tally_rollup_check
    CHECK (measure <> 'occurred_all' OR (category = '' AND NOT closed));

-- The rollup of what is tallied already, from the 'occurred' rows.
INSERT INTO incident_tally (street_code, measure, package_area_code, village_code, grid_code,
                            kind, category, closed, year, months, n, sum_lon, sum_lat)
SELECT street_code, 'occurred_all', package_area_code, village_code, grid_code, kind, '', false,
       year, array_agg(m), array_agg(n), array_agg(lon), array_agg(lat)
  FROM (SELECT t.street_code, t.package_area_code, t.village_code, t.grid_code, t.kind, t.year,
               c.m, sum(c.n)::integer AS n, sum(c.lon) AS lon, sum(c.lat) AS lat
          FROM incident_tally t
         CROSS JOIN LATERAL unnest(t.months, t.n, t.sum_lon, t.sum_lat) AS c(m, n, lon, lat)
         WHERE t.measure = 'occurred'
         GROUP BY 1, 2, 3, 4, 5, 6, 7
        HAVING sum(c.n) <> 0) r
 GROUP BY street_code, package_area_code, village_code, grid_code, kind, year;
