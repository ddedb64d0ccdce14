-- Monthly tallies of incidents per grid, kept exact by the database itself.
--
-- The governance center asks the same questions of millions of incidents all day: how many
-- per grid and month, for these kinds and categories, open or closed. A tally answers them in
-- milliseconds whatever the number of incidents. Statement-level triggers with transition
-- tables keep it exact on every path that writes incidents (bulk COPY, a single pin, workflow
-- updates, deletions), at the cost of one aggregate per statement, not one per row.
CREATE TABLE incident_tally (
    street_code        text NOT NULL,
    package_area_code  text NOT NULL,
    village_code       text NOT NULL,
    grid_code          text NOT NULL,
    month              date NOT NULL,     -- first day of the month, Beijing time
    kind               text NOT NULL,
    category           text NOT NULL,
    closed             boolean NOT NULL,  -- in a final state of its workflow
    n                  integer NOT NULL,
    sum_lon            float8 NOT NULL,   -- for the mean position of a grid's incidents
    sum_lat            float8 NOT NULL,
    PRIMARY KEY (street_code, month, kind, category, closed, package_area_code, village_code,
                 grid_code)
);

-- Incidents already stored.
INSERT INTO incident_tally
SELECT i.street_code, i.package_area_code, i.village_code, i.grid_code,
       (date_trunc('month', i.occurred_at AT TIME ZONE 'Asia/Shanghai'))::date, i.kind,
       i.category, coalesce(s.is_final, false), count(*), sum(ST_X(i.geom)), sum(ST_Y(i.geom))
  FROM incident i LEFT JOIN incident_status s ON s.kind = i.kind AND s.code = i.status
 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
