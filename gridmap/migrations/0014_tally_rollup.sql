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

CREATE OR REPLACE FUNCTION tally_append_sql(source text, sign integer, skip integer[])
    RETURNS text LANGUAGE sql IMMUTABLE AS $f$
    SELECT format($q$
        INSERT INTO incident_tally (street_code, measure, package_area_code, village_code,
                                    grid_code, kind, category, closed, year, months, n,
                                    sum_lon, sum_lat)
        SELECT x.street_code, x.measure, p.code, v.code, g.code, x.kind, x.category, x.closed,
               x.year, array_agg(x.m), array_agg(x.n), array_agg(x.lon), array_agg(x.lat)
          FROM (SELECT r.street_code, m.measure, r.grid_id, r.kind, m.category, m.closed,
                       extract(year FROM gm_local(m.t))::smallint AS year,
                       extract(month FROM gm_local(m.t))::smallint AS m,
                       (%2$s * count(*))::integer AS n, %2$s * sum(ST_X(r.geom)) AS lon,
                       %2$s * sum(ST_Y(r.geom)) AS lat
                  FROM %1$s r
                 CROSS JOIN LATERAL (VALUES
                       ('occurred', r.occurred_at, r.closed_at IS NOT NULL, r.category),
                       ('closed', r.closed_at, true, r.category),
                       ('occurred_all', r.occurred_at, false, ''))
                       AS m(measure, t, closed, category)
                 WHERE m.t IS NOT NULL
                   AND (r.batch_id IS NULL OR r.batch_id <> ALL (%3$L::integer[]))
                 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8) x
          JOIN grid g ON g.id = x.grid_id
          JOIN village v ON v.id = g.village_id
          JOIN package_area p ON p.id = v.package_area_id
         GROUP BY x.street_code, x.measure, p.code, v.code, g.code, x.kind, x.category,
                  x.closed, x.year
    $q$, source, sign, skip)
$f$;

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
