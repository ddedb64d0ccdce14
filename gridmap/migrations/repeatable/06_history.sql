-- Repeatable: history.
-- History is never erased: published divisions frozen, periods following one another, people
-- and assignments ended rather than deleted, and every record of a case's history kept as
-- written.
--
-- Applied again, whole, whenever a repeatable file changes (gridmap.store.migrate).

CREATE OR REPLACE FUNCTION refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%是历史记录，只能追加，不能修改或删除', TG_ARGV[0] USING ERRCODE = 'GM409';
END $$;

-- Published areas: the freeze no longer has a session-setting door.
CREATE OR REPLACE FUNCTION refuse_published_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    div integer := CASE WHEN TG_OP = 'INSERT' THEN NEW.division_id ELSE OLD.division_id END;
BEGIN
    IF EXISTS (SELECT 1 FROM division WHERE id = div AND status = 'published') THEN
        RAISE EXCEPTION '区划版本 % 已发布，不能再修改其边界', div USING ERRCODE = 'GM001';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.division_id <> OLD.division_id THEN
        RAISE EXCEPTION '区域不能移到另一个区划版本' USING ERRCODE = 'GM409';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

-- What a division must be to be published, whoever publishes it: areas at every level, each
-- of its street and named by the code of the area above it, every grid holding a unit, every
-- unit a valid, non-empty shape, and no two units overlapping. The planner's check says the
-- same in more words before a publish; this is the last word.
CREATE OR REPLACE FUNCTION division_refuse_problems(div integer, street text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    bad text;
BEGIN
    IF NOT EXISTS (SELECT FROM package_area WHERE division_id = div)
       OR NOT EXISTS (SELECT FROM village WHERE division_id = div)
       OR NOT EXISTS (SELECT FROM grid WHERE division_id = div)
       OR NOT EXISTS (SELECT FROM unit WHERE division_id = div) THEN
        RAISE EXCEPTION '区划版本 % 缺少片区、村（社区）、网格或单元，不能发布', div
            USING ERRCODE = 'GM400';
    END IF;
    SELECT x.code INTO bad FROM (
        SELECT code, street_code, code ~ ('^' || street || '-P[0-9]{1,3}$') AS named
          FROM package_area WHERE division_id = div
        UNION ALL
        -- villages: 12 digits of the street's district (洪北 and 成功 are coded by the
        -- district's administrative areas, not under the street's own nine digits)
        SELECT v.code, v.street_code, v.code ~ ('^' || left(street, 6) || '[0-9]{6}$')
          FROM village v WHERE v.division_id = div
        UNION ALL
        SELECT g.code, g.street_code, left(g.code, 12) = v.code AND g.code ~ '^[0-9]{15}$'
          FROM grid g JOIN village v ON v.id = g.village_id WHERE g.division_id = div
        UNION ALL
        SELECT u.code, u.street_code, left(u.code, 12) = v.code AND u.code ~ '^[0-9]{15}$'
               AND g.village_id = u.village_id
          FROM unit u JOIN village v ON v.id = u.village_id JOIN grid g ON g.id = u.grid_id
         WHERE u.division_id = div) x
     WHERE x.street_code <> street OR NOT x.named LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '区划版本 % 中的编码「%」不属于街道 % 或不在其上级区域之下，不能发布', div,
            bad, street USING ERRCODE = 'GM400';
    END IF;
    SELECT g.code INTO bad FROM grid g
     WHERE g.division_id = div AND NOT EXISTS (SELECT FROM unit u WHERE u.grid_id = g.id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '区划版本 % 的网格 % 没有任何单元，不能发布', div, bad USING ERRCODE = 'GM400';
    END IF;
    SELECT u.code INTO bad FROM unit u
     WHERE u.division_id = div AND (u.geom IS NULL OR ST_IsEmpty(u.geom) OR NOT ST_IsValid(u.geom))
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '区划版本 % 的单元 % 边界无效（为空或自相交），不能发布', div, bad
            USING ERRCODE = 'GM400';
    END IF;
    SELECT a.code || '、' || b.code INTO bad FROM unit a JOIN unit b
        ON b.division_id = div AND a.id < b.id AND a.geom && b.geom
       AND ST_Relate(a.geom, b.geom, '2********')
     WHERE a.division_id = div LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '区划版本 % 的单元 % 相互重叠，不能发布', div, bad USING ERRCODE = 'GM400';
    END IF;
END $$;

CREATE OR REPLACE FUNCTION division_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    stranded timestamptz;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status = 'published' THEN
            RAISE EXCEPTION '区划版本 %（%）已发布，是历史记录，不能删除', OLD.id, OLD.name
                USING ERRCODE = 'GM409';
        END IF;
        RETURN OLD;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.status = 'published' THEN
            RAISE EXCEPTION '区划版本须先作为草稿载入、检查，再发布' USING ERRCODE = 'GM409';
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.status = 'draft' THEN
        IF NEW.status = 'published' THEN
            PERFORM division_refuse_problems(NEW.id, NEW.street_code);
            NEW.published_at := now();
        END IF;
        RETURN NEW;
    END IF;
    -- A published division: only its open period may be closed, and only after its incidents.
    IF (NEW.id, NEW.street_code, NEW.name, NEW.status, NEW.created_at, NEW.published_at,
        NEW.note, lower(NEW.valid)) IS DISTINCT FROM
       (OLD.id, OLD.street_code, OLD.name, OLD.status, OLD.created_at, OLD.published_at,
        OLD.note, lower(OLD.valid))
       OR NEW.boundary IS NULL OR NOT ST_Equals(NEW.boundary, OLD.boundary) THEN
        RAISE EXCEPTION '区划版本 %（%）已发布，不能撤销发布或修改', OLD.id, OLD.name
            USING ERRCODE = 'GM409';
    END IF;
    IF NEW.valid IS DISTINCT FROM OLD.valid THEN
        IF NOT upper_inf(OLD.valid) OR upper_inf(NEW.valid) THEN
            RAISE EXCEPTION '已发布区划版本 % 的生效期已确定，只有发布其后继版本时才能截止', OLD.id
                USING ERRCODE = 'GM409';
        END IF;
        SELECT max(i.occurred_at) INTO stranded FROM incident i
         WHERE i.street_code = OLD.street_code AND i.occurred_at >= upper(NEW.valid)
           AND i.division_id = OLD.id;
        IF stranded IS NOT NULL THEN
            RAISE EXCEPTION '区划版本 % 上有 % 发生的事件，生效期不能在此之前截止', OLD.id,
                gm_local(stranded)::timestamp(0) USING ERRCODE = 'GM409';
        END IF;
    END IF;
    RETURN NEW;
END $$;

-- At commit: a street's published periods follow one another without gap, the last open.
CREATE OR REPLACE FUNCTION division_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    broken record;
BEGIN
    SELECT x.id, x.name INTO broken
      FROM (SELECT d.id, d.name, d.valid,
                   lead(lower(d.valid)) OVER (ORDER BY lower(d.valid)) AS next_start
              FROM division d WHERE d.street_code = NEW.street_code AND d.status = 'published') x
     WHERE (x.next_start IS NULL AND NOT upper_inf(x.valid))
        OR (x.next_start IS NOT NULL AND upper(x.valid) IS DISTINCT FROM x.next_start)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '街道 % 的已发布区划版本前后不衔接（版本 %，%）：截止一个版本必须同时发布其后继版本',
            NEW.street_code, broken.id, broken.name USING ERRCODE = 'GM409';
    END IF;
    RETURN NULL;
END $$;

-- Ending a person ends their open assignments at the same moment.
CREATE OR REPLACE FUNCTION person_left() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- a correction (person_correct_left) writes its own row and corrects the periods itself
    IF gm_correcting() THEN
        RETURN NEW;
    END IF;
    IF OLD.left_at IS NOT NULL AND NEW.left_at IS DISTINCT FROM OLD.left_at THEN
        RAISE EXCEPTION '离任时间已登记为 %，不能直接修改；如登记有误，请用“更正离任时间”并写明原因',
            gm_local(OLD.left_at)::timestamp(0) USING ERRCODE = 'GM409';
    END IF;
    IF NEW.left_at IS NOT NULL AND OLD.left_at IS NULL THEN
        IF NEW.left_at < gm_backdate_floor() AND NOT gm_is_owner() THEN
            RAISE EXCEPTION '离任时间 % 早于 7 天前：离任只能登记当时或近几天的，更早的请用“更正离任时间”并写明原因',
                gm_local(NEW.left_at)::date USING ERRCODE = 'GM400';
        END IF;
        IF EXISTS (SELECT FROM assignment_standing a WHERE a.street_code = NEW.street_code
                      AND a.person_id = NEW.id AND lower(a.valid) >= NEW.left_at) THEN
            RAISE EXCEPTION '该人员有在离任时间之后才开始的任职，请先核对' USING ERRCODE = 'GM400';
        END IF;
        UPDATE assignment a SET valid = tstzrange(lower(a.valid), NEW.left_at)
         WHERE a.street_code = NEW.street_code AND a.person_id = NEW.id
           AND upper_inf(a.valid) AND a.superseded_at IS NULL;
    END IF;
    RETURN NEW;
END $$;

-- An assignment keeps who, what and from when; its open period may be ended, once, after it
-- began. Anything else about the past is corrected by a new row (assignment_correct, 0022):
-- the row it replaces is only marked superseded, at the moment of the correction.
CREATE OR REPLACE FUNCTION assignment_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '任职记录是历史记录，不能删除；请设置任职截止时间' USING ERRCODE = 'GM409';
    END IF;
    IF OLD.superseded_at IS NOT NULL THEN
        RAISE EXCEPTION '任职记录 % 已于 % 更正，是历史记录，不能再改；请对更正后的记录操作',
            OLD.id, gm_local(OLD.superseded_at)::timestamp(0) USING ERRCODE = 'GM409';
    END IF;
    IF (NEW.street_code, NEW.id, NEW.person_id, NEW.role, NEW.scope_code, lower(NEW.valid),
        NEW.corrects, NEW.reason, NEW.corrected_by)
       IS DISTINCT FROM
       (OLD.street_code, OLD.id, OLD.person_id, OLD.role, OLD.scope_code, lower(OLD.valid),
        OLD.corrects, OLD.reason, OLD.corrected_by) THEN
        RAISE EXCEPTION '任职记录的人员、职责、范围和起始时间不可修改；如登记有误，请用“更正任职期”并写明原因'
            USING ERRCODE = 'GM409';
    END IF;
    IF NEW.superseded_at IS NOT NULL THEN
        IF NOT gm_correcting() OR NEW.valid IS DISTINCT FROM OLD.valid THEN
            RAISE EXCEPTION '任职记录只能通过“更正任职期”（写明原因）改写过去' USING ERRCODE = 'GM409';
        END IF;
        NEW.superseded_at := now();
        RETURN NEW;
    END IF;
    IF NEW.valid IS DISTINCT FROM OLD.valid
       AND (NOT upper_inf(OLD.valid) OR upper_inf(NEW.valid)) THEN
        RAISE EXCEPTION '任职已于 % 截止，不能再改', gm_local(upper(OLD.valid))::timestamp(0)
            USING ERRCODE = 'GM409';
    END IF;
    IF NEW.valid IS DISTINCT FROM OLD.valid AND upper(NEW.valid) < gm_backdate_floor()
       AND NOT gm_is_owner() THEN
        RAISE EXCEPTION '任职截止时间 % 早于 7 天前：截止只能登记当时或近几天的；更早的请用“更正任职期”并写明原因',
            gm_local(upper(NEW.valid))::date USING ERRCODE = 'GM400';
    END IF;
    RETURN NEW;
END $$;

-- A person who has left takes no new assignment after leaving.
CREATE OR REPLACE FUNCTION assignment_of_present_person() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    gone timestamptz;
BEGIN
    IF NEW.superseded_at IS NOT NULL THEN
        RETURN NEW;  -- a row as first recorded, kept beside its correction
    END IF;
    SELECT left_at INTO gone FROM person WHERE street_code = NEW.street_code AND id = NEW.person_id;
    IF gone IS NOT NULL AND (upper_inf(NEW.valid) OR upper(NEW.valid) > gone) THEN
        RAISE EXCEPTION '该人员已于 % 离任，任职不能延续到离任之后', gm_local(gone)::timestamp(0)
            USING ERRCODE = 'GM400';
    END IF;
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS division_guard ON division;
CREATE TRIGGER division_guard BEFORE INSERT OR UPDATE OR DELETE ON division
    FOR EACH ROW EXECUTE FUNCTION division_guard();

DROP TRIGGER IF EXISTS division_chain ON division;
CREATE CONSTRAINT TRIGGER division_chain AFTER INSERT OR UPDATE ON division
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION division_chain();

DROP TRIGGER IF EXISTS person_left ON person;
CREATE TRIGGER person_left AFTER UPDATE OF left_at ON person
    FOR EACH ROW EXECUTE FUNCTION person_left();

DROP TRIGGER IF EXISTS assignment_guard ON assignment;
CREATE TRIGGER assignment_guard BEFORE UPDATE OR DELETE ON assignment
    FOR EACH ROW EXECUTE FUNCTION assignment_guard();

DROP TRIGGER IF EXISTS assignment_of_present_person ON assignment;
CREATE TRIGGER assignment_of_present_person BEFORE INSERT OR UPDATE ON assignment
    FOR EACH ROW EXECUTE FUNCTION assignment_of_present_person();

-- Receipts are history too: never changed.
DROP TRIGGER IF EXISTS api_receipt_history ON api_receipt;
CREATE TRIGGER api_receipt_history BEFORE UPDATE OR DELETE ON api_receipt
    FOR EACH ROW WHEN (pg_trigger_depth() = 0)
    EXECUTE FUNCTION refuse_history_change('提交回执');

DROP TRIGGER IF EXISTS grid_frozen ON grid;
CREATE TRIGGER grid_frozen BEFORE INSERT OR UPDATE OR DELETE ON grid
    FOR EACH ROW EXECUTE FUNCTION refuse_published_change();

DROP TRIGGER IF EXISTS incident_event_history ON incident_event;
CREATE TRIGGER incident_event_history BEFORE UPDATE OR DELETE ON incident_event
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change('事件流转记录');

DROP TRIGGER IF EXISTS incident_handover_history ON incident_handover;
CREATE TRIGGER incident_handover_history BEFORE UPDATE OR DELETE ON incident_handover
    FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION refuse_history_change('案件移交记录');

DROP TRIGGER IF EXISTS incident_link_history ON incident_link;
CREATE TRIGGER incident_link_history BEFORE UPDATE OR DELETE ON incident_link
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change('事件关联');

DROP TRIGGER IF EXISTS incident_note_history ON incident_note;
CREATE TRIGGER incident_note_history BEFORE UPDATE OR DELETE ON incident_note
    FOR EACH ROW WHEN (pg_trigger_depth() = 0)
    EXECUTE FUNCTION refuse_history_change('案件跟进记录');

DROP TRIGGER IF EXISTS incident_photo_history ON incident_photo;
CREATE TRIGGER incident_photo_history BEFORE UPDATE OR DELETE ON incident_photo
    FOR EACH ROW WHEN (pg_trigger_depth() = 0)
    EXECUTE FUNCTION refuse_history_change('案件照片');

DROP TRIGGER IF EXISTS package_area_frozen ON package_area;
CREATE TRIGGER package_area_frozen BEFORE INSERT OR UPDATE OR DELETE ON package_area
    FOR EACH ROW EXECUTE FUNCTION refuse_published_change();

DROP TRIGGER IF EXISTS person_history ON person;
CREATE TRIGGER person_history BEFORE DELETE ON person
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change('人员（请登记离任时间）');

DROP TRIGGER IF EXISTS plan_grid_history ON plan_grid;
CREATE TRIGGER plan_grid_history BEFORE UPDATE OR DELETE ON plan_grid
    FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION refuse_history_change('方案修订');

DROP TRIGGER IF EXISTS plan_grid_member_history ON plan_grid_member;
CREATE TRIGGER plan_grid_member_history BEFORE UPDATE OR DELETE ON plan_grid_member
    FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION refuse_history_change('方案修订');

DROP TRIGGER IF EXISTS plan_revision_history ON plan_revision;
CREATE TRIGGER plan_revision_history BEFORE UPDATE OR DELETE ON plan_revision
    FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION refuse_history_change('方案修订');

DROP TRIGGER IF EXISTS plan_unit_history ON plan_unit;
CREATE TRIGGER plan_unit_history BEFORE UPDATE OR DELETE ON plan_unit
    FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION refuse_history_change('方案修订');

DROP TRIGGER IF EXISTS unit_frozen ON unit;
CREATE TRIGGER unit_frozen BEFORE INSERT OR UPDATE OR DELETE ON unit
    FOR EACH ROW EXECUTE FUNCTION refuse_published_change();

DROP TRIGGER IF EXISTS village_frozen ON village;
CREATE TRIGGER village_frozen BEFORE INSERT OR UPDATE OR DELETE ON village
    FOR EACH ROW EXECUTE FUNCTION refuse_published_change();
