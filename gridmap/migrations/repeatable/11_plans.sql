-- Repeatable: plans.
-- Plans (网格调整方案): revisions append-only, a published plan unchanged, the handover of open
-- cases when a plan comes into force, and the withdrawal of a scheduled one.
--
-- Applied again, whole, whenever a repeatable file changes (gridmap.store.migrate).

-- A plan is never deleted; it moves only forward: draft → published (→ cancelled, while it is
-- still to come); what was published is not rewritten.
CREATE OR REPLACE FUNCTION plan_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '网格调整方案是历史记录，不能删除' USING ERRCODE = 'GM409';
    END IF;
    IF OLD.status <> 'draft' AND (NEW.name, NEW.note, NEW.effective, NEW.published_by,
                                  NEW.published_at, NEW.summary, NEW.created_by)
       IS DISTINCT FROM (OLD.name, OLD.note, OLD.effective, OLD.published_by,
                         OLD.published_at, OLD.summary, OLD.created_by) THEN
        RAISE EXCEPTION '方案「%」已发布，不能再修改', OLD.name USING ERRCODE = 'GM409';
    END IF;
    IF OLD.status = 'draft' AND NEW.status = 'published' AND NOT EXISTS (
           SELECT FROM division d
            WHERE d.id = NEW.division_id AND d.street_code = NEW.street_code
              AND d.status = 'published' AND lower(d.valid) = NEW.effective
              AND d.created_at >= OLD.created_at
              AND NOT EXISTS (SELECT FROM plan o WHERE o.division_id = d.id AND o.id <> NEW.id))
    THEN
        RAISE EXCEPTION '方案「%」只能随它自己新建并发布的区划版本一起发布（plan_publish）', OLD.name
            USING ERRCODE = 'GM409';
    END IF;
    IF (OLD.status, NEW.status) NOT IN (('draft', 'draft'), ('draft', 'published'),
                                        ('published', 'published'), ('published', 'cancelled'))
    THEN
        RAISE EXCEPTION '方案「%」不能从「%」改为「%」', OLD.name, OLD.status, NEW.status
            USING ERRCODE = 'GM409';
    END IF;
    RETURN NEW;
END $$;

-- The next revision is the next number, and only a draft takes revisions.
CREATE OR REPLACE FUNCTION plan_revision_next() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    latest integer;
BEGIN
    IF NOT EXISTS (SELECT FROM plan p WHERE p.street_code = NEW.street_code
                      AND p.id = NEW.plan_id AND p.status = 'draft') THEN
        RAISE EXCEPTION '方案 % 已发布或已取消，不能再保存', NEW.plan_id USING ERRCODE = 'GM409';
    END IF;
    SELECT max(r.revision) INTO latest FROM plan_revision r
     WHERE r.street_code = NEW.street_code AND r.plan_id = NEW.plan_id
       AND r.village_code = NEW.village_code;
    IF NEW.revision <> COALESCE(latest, 0) + 1 THEN
        RAISE EXCEPTION '方案 % 的第 % 版不是下一版（最新为第 % 版）', NEW.plan_id, NEW.revision,
            COALESCE(latest, 0) USING ERRCODE = 'GM409';
    END IF;
    RETURN NEW;
END $$;

-- Hand over the open cases of a published plan's villages once it is in force (idempotent:
-- a plan is handed over once). Runs as the owner: the app may not write an incident's handler.
CREATE OR REPLACE FUNCTION plan_hand_over(street text, plan_no integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    p record;
    moved integer;
BEGIN
    SELECT * INTO p FROM plan WHERE street_code = street AND id = plan_no FOR UPDATE;
    IF NOT FOUND OR p.status <> 'published' OR p.effective > now()
       OR p.handed_over_at IS NOT NULL THEN
        RETURN 0;
    END IF;
    IF NOT EXISTS (SELECT FROM division d WHERE d.id = p.division_id AND d.status = 'published'
                      AND d.street_code = street AND lower(d.valid) = p.effective) THEN
        RAISE EXCEPTION '方案「%」的区划版本未按方案发布，不能移交案件', p.name USING ERRCODE = 'GM409';
    END IF;
    -- The new division was written in this very transaction: without fresh statistics the
    -- planner takes its units for one and re-reads every open case per unit (5 s at 50,000
    -- open cases; 0.2 s this way, bench/planner.py).
    ANALYZE package_area, village, grid, unit;
    CREATE TEMP TABLE handover_moves ON COMMIT DROP AS
    SELECT i.id, COALESCE(i.handler_grid_code, i.grid_code) AS from_grid, u.code AS unit_code,
           g.code AS grid_code, v.code AS village_code, pa.code AS package_area_code
      FROM village v
      JOIN unit u ON u.village_id = v.id
      JOIN grid g ON g.id = u.grid_id
      JOIN package_area pa ON pa.id = v.package_area_id
      JOIN incident i ON i.street_code = street AND i.closed_at IS NULL
                     AND ST_Covers(u.geom, i.geom)
     WHERE v.division_id = p.division_id
       AND v.code IN (SELECT DISTINCT r.village_code FROM plan_revision r
                       WHERE r.street_code = street AND r.plan_id = plan_no)
       AND (COALESCE(i.handler_grid_code, i.grid_code) <> g.code
            OR COALESCE(i.handler_unit_code, i.unit_code) <> u.code);
    INSERT INTO incident_handover (street_code, incident_id, plan_id, division_id, at,
                                   from_grid_code, to_unit_code, to_grid_code, to_village_code,
                                   to_package_area_code)
    SELECT street, m.id, plan_no, p.division_id, p.effective, m.from_grid, m.unit_code,
           m.grid_code, m.village_code, m.package_area_code
      FROM handover_moves m;
    UPDATE incident i
       SET handler_unit_code = m.unit_code, handler_grid_code = m.grid_code,
           handler_village_code = m.village_code, handler_package_area_code = m.package_area_code
      FROM handover_moves m
     WHERE i.street_code = street AND i.id = m.id;
    GET DIAGNOSTICS moved = ROW_COUNT;
    DROP TABLE handover_moves;
    UPDATE plan SET handed_over_at = now() WHERE street_code = street AND id = plan_no;
    RETURN moved;
END $$;

-- Publishing and cancelling a plan are a planner's (or the administrator's) doing, by an
-- account of the street still in use: the owner's functions are told which account acts.
CREATE OR REPLACE FUNCTION gm_refuse_unless_planner(street text, by_account integer, doing text)
RETURNS void LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM account a WHERE a.id = by_account AND a.street_code = street
                      AND a.disabled_at IS NULL AND a.role IN ('planner', 'admin')) THEN
        RAISE EXCEPTION '%须由本街道在用的规划员或管理员账号进行', doing USING ERRCODE = 'GM403';
    END IF;
END $$;

-- Cancel a scheduled plan before its day: the one way a published division goes, since
-- nothing can have happened in it yet. Its assignments are undone, the division it was to
-- replace is open again, and the plan stays, cancelled, with who and when.
CREATE OR REPLACE FUNCTION plan_withdraw(street text, plan_no integer, by_account integer) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    p record;
    guarded text[] := ARRAY['division', 'package_area', 'village', 'grid', 'unit',
                            'assignment', 'plan'];
    t text;
BEGIN
    SELECT * INTO p FROM plan WHERE street_code = street AND id = plan_no FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION '方案 % 不存在', plan_no USING ERRCODE = 'GM404';
    END IF;
    IF p.status <> 'published' THEN
        RAISE EXCEPTION '方案「%」未发布，无需取消', p.name USING ERRCODE = 'GM409';
    END IF;
    IF p.effective <= now() THEN
        RAISE EXCEPTION '方案「%」已于 % 生效，不能再取消；请另拟新方案', p.name,
            gm_local(p.effective)::timestamp(0) USING ERRCODE = 'GM409';
    END IF;
    PERFORM gm_refuse_unless_planner(street, by_account, '取消方案');
    IF NOT EXISTS (SELECT FROM division d WHERE d.id = p.division_id AND d.street_code = street
                      AND d.status = 'published' AND lower(d.valid) = p.effective
                      AND d.created_at >= p.created_at) THEN
        RAISE EXCEPTION '方案「%」所记的区划版本不是它发布的，不能取消', p.name USING ERRCODE = 'GM409';
    END IF;
    IF EXISTS (SELECT FROM incident i WHERE i.street_code = street
                  AND i.division_id = p.division_id) THEN
        RAISE EXCEPTION '方案「%」的区划上已有事件，不能取消', p.name USING ERRCODE = 'GM409';
    END IF;
    IF EXISTS (SELECT FROM division d WHERE d.street_code = street AND d.status = 'published'
                  AND lower(d.valid) > p.effective) THEN
        RAISE EXCEPTION '方案「%」之后还有已排期的方案，请先取消后者', p.name USING ERRCODE = 'GM409';
    END IF;
    IF EXISTS (SELECT FROM plan_assignment pa JOIN assignment a
                   ON a.street_code = pa.street_code AND a.id = pa.assignment_id
                WHERE pa.street_code = street AND pa.plan_id = plan_no
                  AND a.superseded_at IS NOT NULL) THEN
        RAISE EXCEPTION '方案「%」开始或结束的任职已被更正，不能再取消；请先核对这些任职', p.name
            USING ERRCODE = 'GM409';
    END IF;
    SET CONSTRAINTS ALL IMMEDIATE;
    -- Disabling the guards locks their tables for the moment of the cancel; a session that
    -- holds them (a long report) makes the cancel wait at most a few seconds, then say so.
    PERFORM set_config('lock_timeout', '5s', true);
    BEGIN
        FOREACH t IN ARRAY guarded LOOP
            EXECUTE format('ALTER TABLE %I DISABLE TRIGGER USER', t);
        END LOOP;
    EXCEPTION WHEN lock_not_available THEN
        RAISE EXCEPTION '区划数据正被其他操作使用，暂时无法取消方案「%」，请稍后再试', p.name
            USING ERRCODE = 'GM409';
    END;
    DELETE FROM assignment a USING plan_assignment pa
     WHERE pa.street_code = street AND pa.plan_id = plan_no AND pa.action = 'started'
       AND a.street_code = street AND a.id = pa.assignment_id;
    UPDATE assignment a SET valid = tstzrange(lower(a.valid), NULL)
      FROM plan_assignment pa
     WHERE pa.street_code = street AND pa.plan_id = plan_no AND pa.action = 'ended'
       AND a.street_code = street AND a.id = pa.assignment_id;
    UPDATE plan SET status = 'cancelled', division_id = NULL, cancelled_by = by_account,
                    cancelled_at = now()
     WHERE street_code = street AND id = plan_no;
    DELETE FROM division WHERE id = p.division_id;  -- its areas cascade
    UPDATE division SET valid = tstzrange(lower(valid), NULL)
     WHERE street_code = street AND status = 'published' AND upper(valid) = p.effective;
    FOREACH t IN ARRAY guarded LOOP
        EXECUTE format('ALTER TABLE %I ENABLE TRIGGER USER', t);
    END LOOP;
    SET CONSTRAINTS division_chain DEFERRED;
END $$;

-- The one way a plan is published: its new draft division is put in force from ``effective``
-- (the division in force then closes at that moment, division_guard checks what is
-- published), and the plan records it, with who and what changed. Checks its own
-- preconditions, since it runs as the owner.
CREATE OR REPLACE FUNCTION plan_publish(street text, plan_no integer, div integer,
                                        effective timestamptz, by_account integer,
                                        summary jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    p record;
    d record;
BEGIN
    SELECT * INTO p FROM plan WHERE street_code = street AND id = plan_no FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION '方案 % 不存在', plan_no USING ERRCODE = 'GM404';
    END IF;
    IF p.status <> 'draft' THEN
        RAISE EXCEPTION '方案「%」已发布或已取消，不能再发布', p.name USING ERRCODE = 'GM409';
    END IF;
    IF NOT EXISTS (SELECT FROM plan_revision r WHERE r.street_code = street AND r.plan_id = plan_no)
    THEN
        RAISE EXCEPTION '方案「%」还没有保存任何村（社区）的调整，无需发布', p.name
            USING ERRCODE = 'GM400';
    END IF;
    PERFORM gm_refuse_unless_planner(street, by_account, '发布方案');
    SELECT * INTO d FROM division WHERE id = div FOR UPDATE;
    IF NOT FOUND OR d.street_code <> street OR d.status <> 'draft' OR d.created_at < p.created_at
       OR EXISTS (SELECT FROM plan o WHERE o.division_id = div) THEN
        RAISE EXCEPTION '区划版本 % 不是为方案「%」新建的草稿，不能随它发布', div, p.name
            USING ERRCODE = 'GM409';
    END IF;
    IF effective < now() - interval '1 minute' THEN
        RAISE EXCEPTION '方案的生效时间不能早于发布的时刻' USING ERRCODE = 'GM400';
    END IF;
    UPDATE division SET valid = tstzrange(lower(valid), effective)
     WHERE street_code = street AND status = 'published' AND upper_inf(valid);
    UPDATE division SET status = 'published', valid = tstzrange(effective, NULL) WHERE id = div;
    UPDATE plan SET status = 'published', division_id = div, effective = plan_publish.effective,
                    published_by = by_account, published_at = now(),
                    summary = plan_publish.summary
     WHERE street_code = street AND id = plan_no;
END $$;

DROP TRIGGER IF EXISTS plan_guard ON plan;
CREATE TRIGGER plan_guard BEFORE UPDATE OR DELETE ON plan
    FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION plan_guard();

DROP TRIGGER IF EXISTS plan_revision_next ON plan_revision;
CREATE TRIGGER plan_revision_next BEFORE INSERT ON plan_revision
    FOR EACH ROW EXECUTE FUNCTION plan_revision_next();
