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
    -- Only inside a load: its batch written by this very transaction (loaded_at is the
    -- transaction's start); and its commit waits for the indexes to be back (below).
    IF NOT EXISTS (SELECT FROM load_batch b WHERE b.loaded_at = now()) THEN
        RAISE EXCEPTION '只有大批量导入事件时才能暂时拆除事件表的索引' USING ERRCODE = 'GM409';
    END IF;
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

-- Indexes dropped for a load are built again before its transaction commits: at commit, a
-- definition still waiting refuses the commit, and the drop is undone with it.
CREATE OR REPLACE FUNCTION bulk_index_rebuilt() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT FROM bulk_index_rebuild WHERE name = NEW.name) THEN
        RAISE EXCEPTION '导入时拆除的事件表索引 % 尚未重建，导入未保存', NEW.name
            USING ERRCODE = 'GM409';
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS bulk_index_rebuilt ON bulk_index_rebuild;
CREATE CONSTRAINT TRIGGER bulk_index_rebuilt AFTER INSERT ON bulk_index_rebuild
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bulk_index_rebuilt();
