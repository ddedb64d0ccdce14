-- Repeatable: bins.
-- incident_bins: incidents per ~100 m cell, kind and month, packed, kept like the tally.
--
-- Applied again, whole, whenever a repeatable file changes (gridmap.store.migrate).

CREATE OR REPLACE FUNCTION gm_bin_size(OUT dlon float8, OUT dlat float8) LANGUAGE sql IMMUTABLE AS $$
    SELECT 0.001::float8, 0.0009::float8
$$;

CREATE OR REPLACE FUNCTION gm_bin_x(g geometry) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT floor(ST_X(g) / 0.001)::integer
$$;

CREATE OR REPLACE FUNCTION gm_bin_y(g geometry) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT floor(ST_Y(g) / 0.0009)::integer
$$;

-- The cells of a set of incident rows, signed, leaving out rows of the batches in ``skip``
-- (the tally's conventions: see tally_append_sql).
CREATE OR REPLACE FUNCTION bins_append_sql(source text, sign integer, skip integer[]) RETURNS text
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

-- Merges a street's bins rows into one row per kind and month, as tally_compact() does for the
-- tally (and under its lock, called from it). The packed cells are not unpacked in SQL: the
-- merged row is counted again from the incidents of its kind and month (through the time
-- index), in the same statement and snapshot as the delete of the rows it replaces. A writer
-- whose rows this snapshot does not see has its incidents unseen too, so its appended rows
-- stay and count them once.
CREATE OR REPLACE FUNCTION bins_compact(street text) RETURNS integer
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
