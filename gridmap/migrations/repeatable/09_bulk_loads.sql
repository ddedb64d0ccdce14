-- Repeatable: bulk loads.
-- A large load drops the incident table's secondary indexes and rebuilds them after its COPY,
-- under one lock.
--
-- Applied again, whole, whenever a repeatable file changes (gridmap.store.migrate).

CREATE OR REPLACE FUNCTION bulk_indexes_drop() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    r record;
    n integer := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('gridmap.bulk_load'));
    FOR r IN SELECT c.relname AS name, pg_get_indexdef(x.indexrelid) AS definition
               FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
              WHERE x.indrelid = 'incident'::regclass AND NOT x.indisunique
                AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = x.indexrelid)
              ORDER BY c.relname LOOP
        INSERT INTO bulk_index_rebuild (name, definition) VALUES (r.name, r.definition);
        EXECUTE format('DROP INDEX %I', r.name);
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;

CREATE OR REPLACE FUNCTION bulk_indexes_restore() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    r record;
    n integer := 0;
BEGIN
    FOR r IN DELETE FROM bulk_index_rebuild RETURNING definition LOOP
        EXECUTE r.definition;
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;
