-- incident_tally, kept exact by the database whoever writes, and never a place where writers
-- wait for one another.
--
-- Why the change. In 0007 inserts were tallied by the loader in Python (a row inserted any other
-- way was missing), and updates upserted the tally's rows: two transactions changing cases in
-- two grids in opposite order deadlocked on those rows, and a single-row update cost 3.5–5.5 ms
-- of triggers.
--
-- Now the tally is append-only: every writer adds rows of signed counts and never updates one,
-- so no writer waits for another. Readers sum, as they always did. A row holds one grid, kind,
-- category, state and year, with the months it has counts for (``months``, and ``n``,
-- ``sum_lon``, ``sum_lat`` cell by cell); tally_compact() merges a street's rows into one row per
-- key from time to time (gridmap db maintain, gridmap serve every few minutes, after each load).
--
-- Two measures. 'occurred' counts incidents by the month they happened, with their current state
-- (closed or not), as the center's maps ask. 'closed' counts them by the month they were closed,
-- so that a report can ask what was open at the end of a period: incidents occurred by then
-- minus those closed by then (a case closed in March was open at the end of February). A case
-- reopened and closed again counts by its last closing.
--
-- Who adds what:
-- * inserts: a statement trigger over the statement's new rows, except rows of a batch the
--   loader left out (load_batch.tallied = false: a large load, counted directly by readers until
--   tally_fold() adds it in one aggregate and marks it tallied, in one transaction);
-- * updates: a row trigger, only when the closing time or the category changes (a note edited
--   writes nothing), adding −1 under the old key and +1 under the new;
-- * deletes: a statement trigger, −1 for each removed row.

DROP TRIGGER incident_tally_a_delete ON incident;
DROP TRIGGER incident_tally_a_update_old ON incident;
DROP TRIGGER incident_tally_b_update_new ON incident;
DROP TRIGGER incident_tally_truncate ON incident;
DROP FUNCTION incident_tally_apply();
DROP FUNCTION incident_tally_clear();
DROP VIEW incident_tally_monthly;
DROP TABLE incident_tally;
DROP FUNCTION tally_add(anyarray, anyarray);
DROP FUNCTION tally_months(integer[], anyarray);

CREATE TABLE incident_tally (
    street_code        text COLLATE "C" NOT NULL,
    measure            text COLLATE "C" NOT NULL,
    package_area_code  text COLLATE "C" NOT NULL,
    village_code       text COLLATE "C" NOT NULL,
    grid_code          text COLLATE "C" NOT NULL,
    kind               text COLLATE "C" NOT NULL,
    category           text COLLATE "C" NOT NULL,
    closed             boolean NOT NULL,    -- in a final state of its workflow
    year               smallint NOT NULL,   -- Beijing time
    months             smallint[] NOT NULL, -- 1–12, each once
    n                  integer[] NOT NULL,  -- signed counts, cell by cell
    sum_lon            float8[] NOT NULL,   -- for the mean position of a grid's incidents
    sum_lat            float8[] NOT NULL,
    CHECK (measure IN ('occurred', 'closed')),
    CHECK (cardinality(months) BETWEEN 1 AND 12 AND cardinality(n) = cardinality(months)
           AND cardinality(sum_lon) = cardinality(months)
           AND cardinality(sum_lat) = cardinality(months))
);
CREATE INDEX incident_tally_idx ON incident_tally (street_code, measure, year);

-- One row per month: what the center's queries read.
CREATE VIEW incident_tally_monthly AS
SELECT t.street_code, t.package_area_code, t.village_code, t.grid_code, t.year,
       make_date(t.year, c.m, 1) AS month, t.kind, t.category, t.closed, c.n, c.sum_lon,
       c.sum_lat
  FROM incident_tally t
 CROSS JOIN LATERAL unnest(t.months, t.n, t.sum_lon, t.sum_lat) AS c(m, n, sum_lon, sum_lat)
 WHERE t.measure = 'occurred';

CREATE VIEW incident_closed_monthly AS
SELECT t.street_code, t.package_area_code, t.village_code, t.grid_code, t.year,
       make_date(t.year, c.m, 1) AS month, t.kind, t.category, c.n
  FROM incident_tally t
 CROSS JOIN LATERAL unnest(t.months, t.n) AS c(m, n)
 WHERE t.measure = 'closed';

-- The statement that adds the signed counts of a set of incident rows (``source``: a
-- transition table's name or a subquery) to the tally, leaving out rows of the batches in
-- ``skip``. Aggregated by grid id first (integers hash faster than three codes), then named by
-- the grid's codes. Returned as text for the caller to EXECUTE, because a transition table is
-- visible only inside its own trigger function.
CREATE FUNCTION tally_append_sql(source text, sign integer, skip integer[]) RETURNS text
    LANGUAGE sql IMMUTABLE AS $f$
    SELECT format($q$
        INSERT INTO incident_tally (street_code, measure, package_area_code, village_code,
                                    grid_code, kind, category, closed, year, months, n,
                                    sum_lon, sum_lat)
        SELECT x.street_code, x.measure, p.code, v.code, g.code, x.kind, x.category, x.closed,
               x.year, array_agg(x.m), array_agg(x.n), array_agg(x.lon), array_agg(x.lat)
          FROM (SELECT r.street_code, m.measure, r.grid_id, r.kind, r.category, m.closed,
                       extract(year FROM gm_local(m.t))::smallint AS year,
                       extract(month FROM gm_local(m.t))::smallint AS m,
                       (%2$s * count(*))::integer AS n, %2$s * sum(ST_X(r.geom)) AS lon,
                       %2$s * sum(ST_Y(r.geom)) AS lat
                  FROM %1$s r
                 CROSS JOIN LATERAL (VALUES ('occurred', r.occurred_at, r.closed_at IS NOT NULL),
                                            ('closed', r.closed_at, true)) AS m(measure, t, closed)
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
CREATE FUNCTION tally_skipped(batches integer[]) RETURNS integer[]
    LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT coalesce(array_agg(b.id), '{}')
      FROM (SELECT id FROM load_batch WHERE id = ANY (batches) AND NOT tallied
             ORDER BY id FOR SHARE) b
$$;

CREATE FUNCTION incident_tally_insert() RETURNS trigger
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
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION incident_tally_delete() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    SET enable_sort = off AS $$
DECLARE
    batches integer[];
BEGIN
    SELECT array_agg(x.batch_id) INTO batches
      FROM (SELECT DISTINCT batch_id FROM removed WHERE batch_id IS NOT NULL) x;
    EXECUTE tally_append_sql('removed', -1,
                             CASE WHEN batches IS NULL THEN '{}' ELSE tally_skipped(batches) END);
    RETURN NULL;
END $$;

CREATE FUNCTION incident_tally_update() RETURNS trigger
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

CREATE FUNCTION incident_tally_truncate() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    TRUNCATE incident_tally;
    RETURN NULL;
END $$;

CREATE TRIGGER incident_tally_insert AFTER INSERT ON incident
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION incident_tally_insert();
CREATE TRIGGER incident_tally_delete AFTER DELETE ON incident
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION incident_tally_delete();
CREATE TRIGGER incident_tally_update AFTER UPDATE ON incident FOR EACH ROW
    WHEN (OLD.closed_at IS DISTINCT FROM NEW.closed_at OR OLD.category <> NEW.category)
    EXECUTE FUNCTION incident_tally_update();
CREATE TRIGGER incident_tally_truncate AFTER TRUNCATE ON incident
    FOR EACH STATEMENT EXECUTE FUNCTION incident_tally_truncate();

-- Adds a batch the loader left out, in one aggregate, and marks it tallied. Returns false when
-- there was nothing to do (already tallied).
CREATE FUNCTION tally_fold(street text, batch integer) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    SET enable_sort = off AS $$
DECLARE
    done boolean;
BEGIN
    SELECT tallied INTO done FROM load_batch WHERE street_code = street AND id = batch FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION '导入批次 % 不存在', batch USING ERRCODE = 'GM404';
    END IF;
    IF done THEN
        RETURN false;
    END IF;
    EXECUTE tally_append_sql(
        format('(SELECT * FROM incident WHERE street_code = %L AND batch_id = %s)', street, batch),
        1, '{}');
    UPDATE load_batch SET tallied = true WHERE street_code = street AND id = batch;
    RETURN true;
END $$;

-- Merges a street's tally rows into one row per key (dropping cells that sum to zero). One
-- compaction at a time per street; one already running makes this return at once (-1). Rows
-- added meanwhile by other transactions are not touched, so nothing is counted twice or lost.
CREATE FUNCTION tally_compact(street text) RETURNS integer
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
    RETURN merged;
END $$;

-- Incidents already stored, except batches the tally leaves out.
DO $$
BEGIN
    EXECUTE tally_append_sql(
        '(SELECT i.* FROM incident i WHERE NOT EXISTS (SELECT FROM load_batch b WHERE'
        || ' b.street_code = i.street_code AND b.id = i.batch_id AND NOT b.tallied))', 1, '{}');
END $$;

-- The one door through which a whole street leaves the database (the demo reloads itself
-- through it). It belongs to the owning role and is not granted to the app's role. The guards
-- stay on for everyone else while it runs, since ALTER TABLE locks the tables it touches until
-- the transaction ends.
CREATE FUNCTION purge_street(target text) RETURNS void LANGUAGE plpgsql AS $$
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
