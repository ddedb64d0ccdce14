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

CREATE FUNCTION gm_bin_size(OUT dlon float8, OUT dlat float8) LANGUAGE sql IMMUTABLE AS $$
    SELECT 0.001::float8, 0.0009::float8
$$;
CREATE FUNCTION gm_bin_x(g geometry) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT floor(ST_X(g) / 0.001)::integer
$$;
CREATE FUNCTION gm_bin_y(g geometry) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT floor(ST_Y(g) / 0.0009)::integer
$$;

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

-- The cells of a set of incident rows, signed, leaving out rows of the batches in ``skip``
-- (the tally's conventions: see tally_append_sql).
CREATE FUNCTION bins_append_sql(source text, sign integer, skip integer[]) RETURNS text
    LANGUAGE sql IMMUTABLE AS $f$
    SELECT format($q$
        INSERT INTO incident_bins (street_code, kind, year, month, cells)
        SELECT x.street_code, x.kind, x.year, x.month,
               string_agg(int4send(x.ix) || int4send(x.iy) || int4send(x.n), ''::bytea)
          FROM (SELECT r.street_code, r.kind,
                       extract(year FROM gm_local(r.occurred_at))::smallint AS year,
                       extract(month FROM gm_local(r.occurred_at))::smallint AS month,
                       gm_bin_x(r.geom) AS ix, gm_bin_y(r.geom) AS iy,
                       (%2$s * count(*))::integer AS n
                  FROM %1$s r
                 WHERE r.batch_id IS NULL OR r.batch_id <> ALL (%3$L::integer[])
                 GROUP BY 1, 2, 3, 4, 5, 6) x
         GROUP BY 1, 2, 3, 4
    $q$, source, sign, skip)
$f$;

CREATE OR REPLACE FUNCTION incident_tally_insert() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    SET enable_sort = off AS $$
DECLARE
    batches integer[];
    loose boolean;  -- some rows belong to no batch
    skip integer[] := '{}';
BEGIN
    -- One pass: the statement's batches (a hash of one value, not a sort of a million).
    SELECT array_agg(x.batch_id) FILTER (WHERE x.batch_id IS NOT NULL),
           coalesce(bool_or(x.batch_id IS NULL), false)
      INTO batches, loose
      FROM (SELECT DISTINCT batch_id FROM added) x;
    IF batches IS NOT NULL THEN
        skip := tally_skipped(batches);
    END IF;
    IF loose OR cardinality(skip) < coalesce(cardinality(batches), 0) THEN
        EXECUTE tally_append_sql('added', 1, skip);
        EXECUTE bins_append_sql('added', 1, skip);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION incident_tally_delete() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    SET enable_sort = off AS $$
DECLARE
    batches integer[];
    skip integer[];
BEGIN
    SELECT array_agg(x.batch_id) INTO batches
      FROM (SELECT DISTINCT batch_id FROM removed WHERE batch_id IS NOT NULL) x;
    skip := CASE WHEN batches IS NULL THEN '{}' ELSE tally_skipped(batches) END;
    EXECUTE tally_append_sql('removed', -1, skip);
    EXECUTE bins_append_sql('removed', -1, skip);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION incident_tally_truncate() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    TRUNCATE incident_tally, incident_bins;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION tally_fold(street text, batch integer) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    SET enable_sort = off AS $$
DECLARE
    done boolean;
    rows text := format('(SELECT * FROM incident WHERE street_code = %L AND batch_id = %s)',
                        street, batch);
BEGIN
    SELECT tallied INTO done FROM load_batch WHERE street_code = street AND id = batch FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION '导入批次 % 不存在', batch USING ERRCODE = 'GM404';
    END IF;
    IF done THEN
        RETURN false;
    END IF;
    EXECUTE tally_append_sql(rows, 1, '{}');
    EXECUTE bins_append_sql(rows, 1, '{}');
    UPDATE load_batch SET tallied = true WHERE street_code = street AND id = batch;
    RETURN true;
END $$;

-- Merges a street's bins rows into one row per kind and month, as tally_compact() does for the
-- tally (and under its lock, called from it). The packed cells are not unpacked in SQL: the
-- merged row is counted again from the incidents of its kind and month (through the time
-- index), in the same statement and snapshot as the delete of the rows it replaces. A writer
-- whose rows this snapshot does not see has its incidents unseen too, so its appended rows
-- stay and count them once.
CREATE FUNCTION bins_compact(street text) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    SET enable_sort = off AS $$
DECLARE
    merged integer;
BEGIN
    WITH keys AS (
        SELECT kind, year, month, make_date(year, month, 1) AS first_day
          FROM incident_bins WHERE street_code = street
         GROUP BY 1, 2, 3
        HAVING count(*) > 1),
    gone AS (
        DELETE FROM incident_bins b USING keys k
         WHERE b.street_code = street AND (b.kind, b.year, b.month) = (k.kind, k.year, k.month)
        RETURNING 1),  -- runs to completion whether read or not, in the statement's snapshot
    cells AS (
        SELECT k.kind, k.year, k.month, gm_bin_x(i.geom) AS ix, gm_bin_y(i.geom) AS iy,
               count(*)::integer AS n
          FROM keys k
          JOIN incident i ON i.street_code = street AND i.kind = k.kind
               AND i.occurred_at >= gm_day_start(k.first_day)
               AND i.occurred_at < gm_day_start((k.first_day + interval '1 month')::date)
         WHERE NOT EXISTS (SELECT FROM load_batch b WHERE b.street_code = street
                              AND b.id = i.batch_id AND NOT b.tallied)
         GROUP BY 1, 2, 3, 4, 5)
    INSERT INTO incident_bins (street_code, kind, year, month, cells)
    SELECT street, kind, year, month, string_agg(int4send(ix) || int4send(iy) || int4send(n), ''::bytea)
      FROM cells GROUP BY 1, 2, 3, 4;
    GET DIAGNOSTICS merged = ROW_COUNT;
    RETURN merged;
END $$;
REVOKE EXECUTE ON FUNCTION bins_compact(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION tally_compact(street text) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    SET enable_sort = off AS $$
DECLARE
    merged integer;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('gridmap.incident_tally'), hashtext(street)) THEN
        RETURN -1;
    END IF;
    WITH keys AS (
        SELECT measure, package_area_code, village_code, grid_code, kind, category, closed, year
          FROM incident_tally WHERE street_code = street
         GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        HAVING count(*) > 1 OR bool_or(0 = ANY (n))),
    gone AS (
        DELETE FROM incident_tally t USING keys k
         WHERE t.street_code = street
           AND (t.measure, t.package_area_code, t.village_code, t.grid_code, t.kind,
                t.category, t.closed, t.year)
             = (k.measure, k.package_area_code, k.village_code, k.grid_code, k.kind,
                k.category, k.closed, k.year)
        RETURNING t.*),
    cells AS (
        SELECT g.measure, g.package_area_code, g.village_code, g.grid_code, g.kind, g.category,
               g.closed, g.year, c.m, sum(c.n)::integer AS n, sum(c.lon) AS lon,
               sum(c.lat) AS lat
          FROM gone g CROSS JOIN LATERAL unnest(g.months, g.n, g.sum_lon, g.sum_lat) AS c(m, n, lon, lat)
         GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
        HAVING sum(c.n) <> 0)
    INSERT INTO incident_tally (street_code, measure, package_area_code, village_code, grid_code,
                                kind, category, closed, year, months, n, sum_lon, sum_lat)
    SELECT street, measure, package_area_code, village_code, grid_code, kind, category, closed,
           year, array_agg(m), array_agg(n), array_agg(lon), array_agg(lat)
      FROM cells GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
    GET DIAGNOSTICS merged = ROW_COUNT;
    RETURN merged + bins_compact(street);
END $$;

-- Incidents already stored, except batches the tally leaves out.
DO $$
BEGIN
    EXECUTE bins_append_sql(
        '(SELECT i.* FROM incident i WHERE NOT EXISTS (SELECT FROM load_batch b WHERE'
        || ' b.street_code = i.street_code AND b.id = i.batch_id AND NOT b.tallied))', 1, '{}');
END $$;

CREATE OR REPLACE FUNCTION purge_street(target text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    guarded text[] := ARRAY['incident_event', 'incident_link', 'incident', 'person',
                            'assignment', 'division', 'package_area', 'village', 'grid', 'unit',
                            'street_calendar'];
    t text;
BEGIN
    SET CONSTRAINTS ALL IMMEDIATE;  -- ALTER TABLE refuses a table with pending trigger events
    FOREACH t IN ARRAY guarded LOOP
        EXECUTE format('ALTER TABLE %I DISABLE TRIGGER USER', t);
    END LOOP;
    DELETE FROM incident_event WHERE street_code = target;
    DELETE FROM incident_link WHERE street_code = target;
    DELETE FROM incident_party WHERE street_code = target;
    DELETE FROM incident WHERE street_code = target;
    DELETE FROM incident_tally WHERE street_code = target;
    DELETE FROM incident_bins WHERE street_code = target;
    DELETE FROM load_batch WHERE street_code = target;
    DELETE FROM assignment WHERE street_code = target;
    DELETE FROM person WHERE street_code = target;
    DELETE FROM demo_hotspot WHERE street_code = target;
    DELETE FROM division WHERE street_code = target;  -- its areas cascade
    DELETE FROM deadline_rule WHERE street_code = target;
    DELETE FROM street_calendar WHERE street_code = target;
    DELETE FROM street_day WHERE street_code = target;
    DELETE FROM street WHERE code = target;
    FOREACH t IN ARRAY guarded LOOP
        EXECUTE format('ALTER TABLE %I ENABLE TRIGGER USER', t);
    END LOOP;
    SET CONSTRAINTS division_chain DEFERRED;  -- back to its default for the rest of the transaction
END $$;
REVOKE EXECUTE ON FUNCTION purge_street(text) FROM PUBLIC;
