-- Repeatable: tally.
-- incident_tally, kept exact by the database whoever writes (append-only signed rows, per
-- statement), folded and compacted on request, and read by gridmap.data.tally through its
-- monthly views.
--
-- Applied again, whole, whenever a repeatable file changes (gridmap.store.migrate).

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

-- Of the given batches, those left out of the tally; they are locked against tally_fold() until
-- this transaction ends, so that a fold never misses a row written meanwhile.
CREATE OR REPLACE FUNCTION tally_skipped(batches integer[]) RETURNS integer[]
    LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT coalesce(array_agg(b.id), '{}')
      FROM (SELECT id FROM load_batch WHERE id = ANY (batches) AND NOT tallied
             ORDER BY id FOR SHARE) b
$$;

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

CREATE OR REPLACE FUNCTION incident_tally_update() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    lon float8 := ST_X(NEW.geom);
    lat float8 := ST_Y(NEW.geom);
    occurred smallint := extract(month FROM gm_local(NEW.occurred_at));
    occurred_year smallint := extract(year FROM gm_local(NEW.occurred_at));
BEGIN
    IF NEW.batch_id IS NOT NULL AND NEW.batch_id = ANY (tally_skipped(ARRAY[NEW.batch_id])) THEN
        RETURN NULL;
    END IF;
    INSERT INTO incident_tally (street_code, measure, package_area_code, village_code,
                                grid_code, kind, category, closed, year, months, n, sum_lon,
                                sum_lat)
    SELECT NEW.street_code, c.measure, NEW.package_area_code, NEW.village_code, NEW.grid_code,
           NEW.kind, c.category, c.closed, c.year, ARRAY[c.m], ARRAY[c.sign], ARRAY[c.sign * lon],
           ARRAY[c.sign * lat]
      FROM (VALUES
            ('occurred', OLD.category, OLD.closed_at IS NOT NULL, occurred_year, occurred, -1, true),
            ('occurred', NEW.category, NEW.closed_at IS NOT NULL, occurred_year, occurred, 1, true),
            ('closed', OLD.category, true, extract(year FROM gm_local(OLD.closed_at))::smallint,
             extract(month FROM gm_local(OLD.closed_at))::smallint, -1, OLD.closed_at IS NOT NULL),
            ('closed', NEW.category, true, extract(year FROM gm_local(NEW.closed_at))::smallint,
             extract(month FROM gm_local(NEW.closed_at))::smallint, 1, NEW.closed_at IS NOT NULL))
           AS c(measure, category, closed, year, m, sign, used)
     WHERE c.used;
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

-- One row per month: what the center's queries read.
CREATE OR REPLACE VIEW incident_tally_monthly AS
SELECT t.street_code, t.package_area_code, t.village_code, t.grid_code, t.year,
       make_date(t.year, c.m, 1) AS month, t.kind, t.category, t.closed, c.n, c.sum_lon,
       c.sum_lat
  FROM incident_tally t
 CROSS JOIN LATERAL unnest(t.months, t.n, t.sum_lon, t.sum_lat) AS c(m, n, sum_lon, sum_lat)
 WHERE t.measure = 'occurred';

CREATE OR REPLACE VIEW incident_closed_monthly AS
SELECT t.street_code, t.package_area_code, t.village_code, t.grid_code, t.year,
       make_date(t.year, c.m, 1) AS month, t.kind, t.category, c.n
  FROM incident_tally t
 CROSS JOIN LATERAL unnest(t.months, t.n) AS c(m, n)
 WHERE t.measure = 'closed';

DROP TRIGGER IF EXISTS incident_tally_insert ON incident;
CREATE TRIGGER incident_tally_insert AFTER INSERT ON incident
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION incident_tally_insert();

DROP TRIGGER IF EXISTS incident_tally_update ON incident;
CREATE TRIGGER incident_tally_update AFTER UPDATE ON incident FOR EACH ROW
    WHEN (OLD.closed_at IS DISTINCT FROM NEW.closed_at OR OLD.category <> NEW.category)
    EXECUTE FUNCTION incident_tally_update();

DROP TRIGGER IF EXISTS incident_tally_delete ON incident;
CREATE TRIGGER incident_tally_delete AFTER DELETE ON incident
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION incident_tally_delete();

DROP TRIGGER IF EXISTS incident_tally_truncate ON incident;
CREATE TRIGGER incident_tally_truncate AFTER TRUNCATE ON incident
    FOR EACH STATEMENT EXECUTE FUNCTION incident_tally_truncate();
