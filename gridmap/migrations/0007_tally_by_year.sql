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

DROP TRIGGER incident_tally_a_delete ON incident;
DROP TRIGGER incident_tally_a_update_old ON incident;
DROP TRIGGER incident_tally_b_update_new ON incident;
DROP FUNCTION incident_tally_add();
DROP FUNCTION incident_tally_remove();
DROP TABLE incident_tally;

-- Cell-by-cell sum of two arrays of the same length.
CREATE FUNCTION tally_add(a anyarray, b anyarray) RETURNS anyarray
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT array_agg(u.x + u.y ORDER BY u.i) FROM unnest(a, b) WITH ORDINALITY AS u(x, y, i)
$$;

-- Twelve monthly cells from (month, value) pairs; months without a value hold 0.
CREATE FUNCTION tally_months(months integer[], vals anyarray) RETURNS anyarray
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT array_agg(coalesce(u.v, 0) ORDER BY g.m)
      FROM generate_series(1, 12) AS g(m) LEFT JOIN unnest(months, vals) AS u(m, v) ON u.m = g.m
$$;

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

CREATE VIEW incident_tally_monthly AS
SELECT t.street_code, t.package_area_code, t.village_code, t.grid_code, t.year,
       make_date(t.year, m.m, 1) AS month, t.kind, t.category, t.closed, t.n[m.m] AS n,
       t.sum_lon[m.m] AS sum_lon, t.sum_lat[m.m] AS sum_lat
  FROM incident_tally t CROSS JOIN generate_series(1, 12) AS m(m)
 WHERE t.n[m.m] <> 0;

-- Adds (sign 1) or takes away (sign -1) the incidents of a statement's transition table, named
-- by the trigger's arguments; rows left with no incident at all are deleted.
CREATE FUNCTION incident_tally_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    source text := TG_ARGV[0];
    sign integer := TG_ARGV[1]::integer;
BEGIN
    EXECUTE format($sql$
        INSERT INTO incident_tally AS t
        SELECT c.street_code, c.package_area_code, c.village_code, c.grid_code, c.year, c.kind,
               c.category, c.closed, tally_months(array_agg(c.m), array_agg(%2$s * c.n)),
               tally_months(array_agg(c.m), array_agg(%2$s * c.lon)),
               tally_months(array_agg(c.m), array_agg(%2$s * c.lat))
          FROM (SELECT x.street_code, x.package_area_code, x.village_code, x.grid_code,
                       extract(year FROM x.occurred_at AT TIME ZONE 'Asia/Shanghai')::smallint
                       AS year,
                       extract(month FROM x.occurred_at AT TIME ZONE 'Asia/Shanghai')::integer
                       AS m,
                       x.kind, x.category, coalesce(s.is_final, false) AS closed,
                       count(*)::integer AS n, sum(ST_X(x.geom)) AS lon, sum(ST_Y(x.geom)) AS lat
                  FROM %1$I x LEFT JOIN incident_status s ON s.kind = x.kind AND s.code = x.status
                 WHERE NOT EXISTS (SELECT FROM load_batch b WHERE b.street_code = x.street_code
                                      AND b.id = x.batch_id AND NOT b.tallied)
                 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9) c
         GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        ON CONFLICT (street_code, year, kind, category, closed, package_area_code, village_code,
                     grid_code)
        DO UPDATE SET n = tally_add(t.n, excluded.n),
                      sum_lon = tally_add(t.sum_lon, excluded.sum_lon),
                      sum_lat = tally_add(t.sum_lat, excluded.sum_lat)
    $sql$, source, sign);
    IF sign < 0 THEN
        EXECUTE format($sql$
            DELETE FROM incident_tally t
             WHERE NOT 0 < ANY (t.n)
               AND (t.street_code, t.year, t.kind) IN (
                   SELECT DISTINCT x.street_code,
                          extract(year FROM x.occurred_at AT TIME ZONE 'Asia/Shanghai')::smallint,
                          x.kind
                     FROM %I x)
        $sql$, source);
    END IF;
    RETURN NULL;
END $$;

-- Triggers of one event fire in name order: on UPDATE the old rows leave (a_…) before the new
-- rows arrive (b_…). Inserts are tallied by the loader (0006); TRUNCATE keeps its trigger.
CREATE TRIGGER incident_tally_a_delete AFTER DELETE ON incident
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT
    EXECUTE FUNCTION incident_tally_apply('removed', '-1');
CREATE TRIGGER incident_tally_a_update_old AFTER UPDATE ON incident
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT
    EXECUTE FUNCTION incident_tally_apply('removed', '-1');
CREATE TRIGGER incident_tally_b_update_new AFTER UPDATE ON incident
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT
    EXECUTE FUNCTION incident_tally_apply('added', '1');

-- Incidents already stored.
INSERT INTO incident_tally
SELECT c.street_code, c.package_area_code, c.village_code, c.grid_code, c.year, c.kind,
       c.category, c.closed, tally_months(array_agg(c.m), array_agg(c.n)),
       tally_months(array_agg(c.m), array_agg(c.lon)),
       tally_months(array_agg(c.m), array_agg(c.lat))
  FROM (SELECT i.street_code, i.package_area_code, i.village_code, i.grid_code,
               extract(year FROM i.occurred_at AT TIME ZONE 'Asia/Shanghai')::smallint AS year,
               extract(month FROM i.occurred_at AT TIME ZONE 'Asia/Shanghai')::integer AS m,
               i.kind, i.category, coalesce(s.is_final, false) AS closed,
               count(*)::integer AS n, sum(ST_X(i.geom)) AS lon, sum(ST_Y(i.geom)) AS lat
          FROM incident i LEFT JOIN incident_status s ON s.kind = i.kind AND s.code = i.status
         GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9) c
 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
