-- Repeatable: integrity.
-- What an incident may be when it is stored: one statement-level check of all new rows at once
-- (kinds, states, categories, snapshot, reporter, deadline, nothing in the future), the guard on
-- what never changes afterwards, and the statistics refreshed after a large load.
--
-- Applied again, whole, whenever a repeatable file changes (gridmap.store.migrate).

CREATE OR REPLACE FUNCTION incident_check_insert() RETURNS trigger LANGUAGE plpgsql AS $f$
DECLARE
    bad bigint;
    why record;
    nestloop text := current_setting('enable_nestloop');
    cache_mode text := current_setting('plan_cache_mode');
    small boolean := (SELECT count(*) FROM (SELECT FROM added LIMIT 51) x) <= 50;
    horizon timestamptz := clock_timestamp() + interval '10 minutes';  -- "the future"
BEGIN
    IF (SELECT count(*) FROM (SELECT FROM added LIMIT 1001) x) > 1000 THEN
        PERFORM set_config('enable_nestloop', 'off', true);
    END IF;
    -- A pin's check is planned once per session (4.5 ms of its 10 otherwise); a load's is
    -- planned for its own rows, which a plan made for a pin would not serve.
    IF NOT small THEN
        PERFORM set_config('plan_cache_mode', 'force_custom_plan', true);
    END IF;
    SELECT (SELECT a.id FROM added a
             WHERE a.street_code = g.street_code AND a.kind = g.kind
               AND a.status = g.status AND a.category = g.category
               AND a.batch_id IS NOT DISTINCT FROM g.batch_id
               AND a.reported_by IS NOT DISTINCT FROM g.reported_by
               AND (a.closed_at IS NOT NULL) = g.closed AND (a.due_at IS NULL) = g.no_due
             ORDER BY greatest(a.occurred_at, a.reported_at, a.closed_at) DESC LIMIT 1)
      FROM (SELECT street_code, batch_id, reported_by, kind, status, category,
                   closed_at IS NOT NULL AS closed, due_at IS NULL AS no_due,
                   max(greatest(occurred_at, reported_at, closed_at)) AS latest,
                   max(reported_at) AS last_report
              FROM added GROUP BY 1, 2, 3, 4, 5, 6, 7, 8) g
      LEFT JOIN street st ON st.code = g.street_code
      LEFT JOIN incident_status s ON s.kind = g.kind AND s.code = g.status
      LEFT JOIN incident_category c ON c.kind = g.kind AND c.code = g.category
      LEFT JOIN deadline_rule r ON r.street_code = g.street_code AND r.kind = g.kind
                               AND r.status = g.status
      LEFT JOIN person pe ON pe.street_code = g.street_code AND pe.id = g.reported_by
      LEFT JOIN load_batch b ON b.street_code = g.street_code AND b.id = g.batch_id
     WHERE st.code IS NULL OR s.kind IS NULL
        OR (g.category <> '' AND c.kind IS NULL)
        OR s.is_final <> g.closed
        OR (NOT g.closed AND g.no_due AND r.days IS NOT NULL)
        OR (g.reported_by IS NOT NULL AND pe.id IS NULL)
        OR (g.reported_by IS NOT NULL AND pe.left_at <= g.last_report)
        OR (g.batch_id IS NOT NULL AND b.id IS NULL)
        OR g.latest > horizon
     LIMIT 1 INTO bad;
    IF bad IS NULL AND small THEN
        -- A pin, or a few rows: each row's unit looked up by its key.
        SELECT a.id INTO bad FROM added a
          LEFT JOIN unit u ON u.id = a.unit_id
          LEFT JOIN grid g ON g.id = u.grid_id
          LEFT JOIN village v ON v.id = g.village_id
          LEFT JOIN package_area p ON p.id = v.package_area_id
          LEFT JOIN division d ON d.id = u.division_id AND d.status = 'published'
         WHERE d.id IS NULL
            OR (d.street_code, u.division_id, u.grid_id, u.code, g.code, v.code, p.code)
               <> (a.street_code, a.division_id, a.grid_id, a.unit_code, a.grid_code,
                   a.village_code, a.package_area_code)
            OR NOT d.valid @> a.occurred_at
            OR NOT ST_Covers(u.geom, a.geom)
         LIMIT 1;
    ELSIF bad IS NULL THEN
        EXECUTE $q$
            WITH snap AS MATERIALIZED (
                -- Every unit of a published division, with what a snapshot must name.
                SELECT u.id AS unit_id, d.street_code, u.division_id, u.grid_id,
                       u.code AS unit_code, g.code AS grid_code, v.code AS village_code,
                       p.code AS package_area_code, u.geom, lower(d.valid) AS valid_from,
                       coalesce(upper(d.valid), 'infinity') AS valid_to
                  FROM unit u JOIN grid g ON g.id = u.grid_id
                  JOIN village v ON v.id = g.village_id
                  JOIN package_area p ON p.id = v.package_area_id
                  JOIN division d ON d.id = u.division_id AND d.status = 'published')
            SELECT a.id FROM added a LEFT JOIN snap u ON u.unit_id = a.unit_id
             WHERE u.unit_id IS NULL
                OR (u.street_code, u.division_id, u.grid_id, u.unit_code, u.grid_code,
                    u.village_code, u.package_area_code)
                   <> (a.street_code, a.division_id, a.grid_id, a.unit_code, a.grid_code,
                       a.village_code, a.package_area_code)
                OR a.occurred_at < u.valid_from OR a.occurred_at >= u.valid_to
                OR NOT ST_Covers(u.geom, a.geom)
             LIMIT 1 $q$ INTO bad;
    END IF;
    PERFORM set_config('enable_nestloop', nestloop, true);
    PERFORM set_config('plan_cache_mode', cache_mode, true);
    IF bad IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE $q$
        SELECT a.id, a.kind, a.status, a.category, a.unit_id, a.street_code, a.reported_by,
               gm_local(a.occurred_at)::timestamp(0) AS occurred,
               CASE
                 WHEN NOT EXISTS (SELECT FROM street t WHERE t.code = a.street_code) THEN 'street'
                 WHEN s.kind IS NULL THEN 'state'
                 WHEN a.category <> '' AND c.kind IS NULL THEN 'category'
                 WHEN (a.closed_at IS NOT NULL) <> s.is_final THEN 'closed'
                 WHEN d.id IS NULL OR u.division_id <> a.division_id OR u.grid_id <> a.grid_id
                   OR u.code <> a.unit_code OR g.code <> a.grid_code OR v.code <> a.village_code
                   OR p.code <> a.package_area_code THEN 'snapshot'
                 WHEN d.street_code <> a.street_code THEN 'street'
                 WHEN NOT d.valid @> a.occurred_at THEN 'period'
                 WHEN NOT ST_Covers(u.geom, a.geom) THEN 'point'
                 WHEN a.reported_by IS NOT NULL AND pe.id IS NULL THEN 'reporter'
                 WHEN a.reported_by IS NOT NULL AND pe.left_at <= a.reported_at THEN 'left'
                 WHEN a.batch_id IS NOT NULL AND b.id IS NULL THEN 'batch'
                 WHEN a.closed_at IS NULL AND a.due_at IS NULL
                  AND EXISTS (SELECT FROM deadline_rule r WHERE r.street_code = a.street_code
                                 AND r.kind = a.kind AND r.status = a.status) THEN 'deadline'
                 ELSE 'future'
               END AS problem
          FROM added a
          LEFT JOIN incident_status s ON s.kind = a.kind AND s.code = a.status
          LEFT JOIN incident_category c ON c.kind = a.kind AND c.code = a.category
          LEFT JOIN unit u ON u.id = a.unit_id
          LEFT JOIN grid g ON g.id = u.grid_id
          LEFT JOIN village v ON v.id = g.village_id
          LEFT JOIN package_area p ON p.id = v.package_area_id
          LEFT JOIN division d ON d.id = u.division_id AND d.status = 'published'
          LEFT JOIN person pe ON pe.street_code = a.street_code AND pe.id = a.reported_by
          LEFT JOIN load_batch b ON b.street_code = a.street_code AND b.id = a.batch_id
         WHERE a.id = $1 $q$ INTO why USING bad;
    RAISE EXCEPTION '%', CASE why.problem
        WHEN 'state' THEN format('事件类型「%s」没有状态「%s」', why.kind, why.status)
        WHEN 'category' THEN format('事件类型「%s」没有分类「%s」', why.kind, why.category)
        WHEN 'closed' THEN format('状态「%s」与结案时间不符：结案状态必须有结案时间，办理中的事件不能有',
                                  why.status)
        WHEN 'snapshot' THEN format('落格快照不一致：单元 %s 不属于所记的已发布区划、网格、村（社区）或片区',
                                    why.unit_id)
        WHEN 'street' THEN format('街道 %s 不存在，或与落格单元所属的街道不符', why.street_code)
        WHEN 'period' THEN format('发生时间 %s 时，所记的区划版本并未生效', why.occurred)
        WHEN 'reporter' THEN format('上报人 %s 不是本街道登记的人员', why.reported_by)
        WHEN 'left' THEN format('上报人 %s 在上报之前已离任', why.reported_by)
        WHEN 'point' THEN format('落格快照不一致：事件的位置不在所记的单元 %s 之内', why.unit_id)
        WHEN 'batch' THEN '所记的导入批次不存在'
        WHEN 'deadline' THEN format('办理中的事件须有本环节的办理期限（按街道规则 gm_due 计算），事件 %s 没有',
                                    why.id)
        ELSE '时间晚于当前时间：不能记录未来发生的事'
    END USING ERRCODE = 'GM400', DETAIL = format('incident id %s', why.id);
END $f$;

-- What an incident is never changes; its state changes only with its event (written by
-- incident_transition or incident_extend in the same transaction).
CREATE OR REPLACE FUNCTION incident_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    final boolean;
BEGIN
    IF (NEW.street_code, NEW.id, NEW.kind, NEW.occurred_at, NEW.reported_at, NEW.batch_id,
        NEW.division_id, NEW.unit_id, NEW.grid_id, NEW.unit_code, NEW.grid_code,
        NEW.village_code, NEW.package_area_code, NEW.client_id, NEW.source, NEW.source_key)
       IS DISTINCT FROM
       (OLD.street_code, OLD.id, OLD.kind, OLD.occurred_at, OLD.reported_at, OLD.batch_id,
        OLD.division_id, OLD.unit_id, OLD.grid_id, OLD.unit_code, OLD.grid_code,
        OLD.village_code, OLD.package_area_code, OLD.client_id, OLD.source, OLD.source_key)
       OR NOT ST_Equals(NEW.geom, OLD.geom)
       OR (OLD.reported_by IS NOT NULL AND NEW.reported_by IS DISTINCT FROM OLD.reported_by) THEN
        RAISE EXCEPTION '事件的类型、发生时间、地点、落格快照、上报人和来源记录后不可修改（事件 %）', OLD.id
            USING ERRCODE = 'GM409';
    END IF;
    IF NEW.status <> OLD.status THEN
        IF NOT EXISTS (SELECT FROM workflow_transition t
                        WHERE t.kind = NEW.kind AND t.from_status = OLD.status
                          AND t.to_status = NEW.status) THEN
            RAISE EXCEPTION '流程不允许从「%」转为「%」', OLD.status, NEW.status
                USING ERRCODE = 'GM400';
        END IF;
        IF NOT EXISTS (SELECT FROM incident_event e
                        WHERE e.street_code = NEW.street_code AND e.incident_id = NEW.id
                          AND e.kind = 'transition' AND e.from_status = OLD.status
                          AND e.to_status = NEW.status AND e.at = NEW.status_since
                          AND e.recorded_at = now()) THEN
            RAISE EXCEPTION '状态变更必须记录为流转事件（请通过 incident_transition 办理）'
                USING ERRCODE = 'GM409';
        END IF;
    ELSIF NEW.due_at IS DISTINCT FROM OLD.due_at AND NEW.status_since = OLD.status_since THEN
        IF NOT EXISTS (SELECT FROM incident_event e
                        WHERE e.street_code = NEW.street_code AND e.incident_id = NEW.id
                          AND e.kind = 'extension' AND e.due_at = NEW.due_at
                          AND e.recorded_at = now()) THEN
            RAISE EXCEPTION '办理期限的变更必须记录为延期事件（请通过 incident_extend 办理）'
                USING ERRCODE = 'GM409';
        END IF;
    ELSIF (NEW.status_since, NEW.closed_at, NEW.due_at)
          IS DISTINCT FROM (OLD.status_since, OLD.closed_at, OLD.due_at) THEN
        RAISE EXCEPTION '环节开始时间、结案时间和办理期限只随流转事件变更'
            USING ERRCODE = 'GM409';
    END IF;
    IF NEW.status <> OLD.status OR NEW.closed_at IS DISTINCT FROM OLD.closed_at THEN
        SELECT s.is_final INTO final FROM incident_status s
         WHERE s.kind = NEW.kind AND s.code = NEW.status;
        IF (NEW.closed_at IS NOT NULL) <> final THEN
            RAISE EXCEPTION '状态「%」与结案时间不符', NEW.status USING ERRCODE = 'GM400';
        END IF;
    END IF;
    IF NEW.category <> OLD.category AND NEW.category <> ''
       AND NOT EXISTS (SELECT FROM incident_category c
                        WHERE c.kind = NEW.kind AND c.code = NEW.category) THEN
        RAISE EXCEPTION '事件类型「%」没有分类「%」', NEW.kind, NEW.category
            USING ERRCODE = 'GM400';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END $$;

-- The planner's statistics after a large load (ANALYZE is the owner's too).
CREATE OR REPLACE FUNCTION incident_analyze() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    ANALYZE incident;
END $$;

DROP TRIGGER IF EXISTS incident_guard ON incident;
CREATE TRIGGER incident_guard BEFORE UPDATE ON incident
    FOR EACH ROW EXECUTE FUNCTION incident_guard();

DROP TRIGGER IF EXISTS incident_a_check_insert ON incident;
CREATE TRIGGER incident_a_check_insert AFTER INSERT ON incident
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION incident_check_insert();
