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

CREATE FUNCTION incident_tally_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO incident_tally AS t
    SELECT a.street_code, a.package_area_code, a.village_code, a.grid_code,
           (date_trunc('month', a.occurred_at AT TIME ZONE 'Asia/Shanghai'))::date, a.kind,
           a.category, coalesce(s.is_final, false), count(*), sum(ST_X(a.geom)),
           sum(ST_Y(a.geom))
      FROM added a LEFT JOIN incident_status s ON s.kind = a.kind AND s.code = a.status
     GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
    ON CONFLICT (street_code, month, kind, category, closed, package_area_code, village_code,
                 grid_code)
    DO UPDATE SET n = t.n + excluded.n, sum_lon = t.sum_lon + excluded.sum_lon,
                  sum_lat = t.sum_lat + excluded.sum_lat;
    RETURN NULL;
END $$;

CREATE FUNCTION incident_tally_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE incident_tally t SET n = t.n - r.n, sum_lon = t.sum_lon - r.sum_lon,
                                sum_lat = t.sum_lat - r.sum_lat
      FROM (SELECT o.street_code, o.package_area_code, o.village_code, o.grid_code,
                   (date_trunc('month', o.occurred_at AT TIME ZONE 'Asia/Shanghai'))::date
                   AS month, o.kind, o.category, coalesce(s.is_final, false) AS closed,
                   count(*) AS n, sum(ST_X(o.geom)) AS sum_lon, sum(ST_Y(o.geom)) AS sum_lat
              FROM removed o LEFT JOIN incident_status s
                ON s.kind = o.kind AND s.code = o.status
             GROUP BY 1, 2, 3, 4, 5, 6, 7, 8) r
     WHERE (t.street_code, t.package_area_code, t.village_code, t.grid_code, t.month, t.kind,
            t.category, t.closed)
         = (r.street_code, r.package_area_code, r.village_code, r.grid_code, r.month, r.kind,
            r.category, r.closed);
    DELETE FROM incident_tally WHERE n <= 0;
    RETURN NULL;
END $$;

CREATE FUNCTION incident_tally_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM incident_tally;
    RETURN NULL;
END $$;

-- Triggers of one event fire in name order: on UPDATE the old rows leave (a_…) before the new
-- rows arrive (b_…).
CREATE TRIGGER incident_tally_b_insert AFTER INSERT ON incident
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION incident_tally_add();
CREATE TRIGGER incident_tally_a_delete AFTER DELETE ON incident
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION incident_tally_remove();
CREATE TRIGGER incident_tally_a_update_old AFTER UPDATE ON incident
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION incident_tally_remove();
CREATE TRIGGER incident_tally_b_update_new AFTER UPDATE ON incident
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION incident_tally_add();
CREATE TRIGGER incident_tally_truncate AFTER TRUNCATE ON incident
    FOR EACH STATEMENT EXECUTE FUNCTION incident_tally_clear();

-- Incidents already stored.
INSERT INTO incident_tally
SELECT i.street_code, i.package_area_code, i.village_code, i.grid_code,
       (date_trunc('month', i.occurred_at AT TIME ZONE 'Asia/Shanghai'))::date, i.kind,
       i.category, coalesce(s.is_final, false), count(*), sum(ST_X(i.geom)), sum(ST_Y(i.geom))
  FROM incident i LEFT JOIN incident_status s ON s.kind = i.kind AND s.code = i.status
 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
