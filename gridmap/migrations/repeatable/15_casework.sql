-- Repeatable: the center's work on a case (migration 0023): 督办 / 催办 and their answers,
-- and 回访. Each is written as it happens, by a person in post, and kept as written.
--
-- Applied again, whole, whenever a repeatable file changes (gridmap.store.migrate).

-- The guards run as the owner (they call gm_refuse_absent, the owner's helper).
CREATE OR REPLACE FUNCTION supervision_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    i incident;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '督办记录是历史记录，不能删除' USING ERRCODE = 'GM409';
    END IF;
    IF TG_OP = 'INSERT' THEN
        SELECT * INTO i FROM incident x WHERE x.street_code = NEW.street_code
           AND x.id = NEW.incident_id;
        IF i.closed_at IS NOT NULL THEN
            RAISE EXCEPTION '案件已于 % 办结，不能再督办或催办', gm_local(i.closed_at)::date
                USING ERRCODE = 'GM400';
        END IF;
        IF NEW.at < now() - interval '1 minute' OR NEW.at > clock_timestamp() + interval '1 minute'
        THEN
            RAISE EXCEPTION '督办时间只能是督办的当时' USING ERRCODE = 'GM400';
        END IF;
        IF NEW.answered_at IS NOT NULL THEN
            RAISE EXCEPTION '新的督办还没有答复' USING ERRCODE = 'GM400';
        END IF;
        PERFORM gm_refuse_absent(NEW.street_code, NEW.by_person, NEW.at);
        RETURN NEW;
    END IF;
    -- The one change: the answer, written once, when it is given.
    IF OLD.answered_at IS NOT NULL THEN
        RAISE EXCEPTION '该督办已于 % 答复，答复不能修改', gm_local(OLD.answered_at)::timestamp(0)
            USING ERRCODE = 'GM409';
    END IF;
    IF (NEW.street_code, NEW.id, NEW.incident_id, NEW.kind, NEW.at, NEW.by_person,
        NEW.by_account, NEW.note, NEW.answer_by) IS DISTINCT FROM
       (OLD.street_code, OLD.id, OLD.incident_id, OLD.kind, OLD.at, OLD.by_person,
        OLD.by_account, OLD.note, OLD.answer_by) THEN
        RAISE EXCEPTION '督办记录只能补记答复，其余不能修改' USING ERRCODE = 'GM409';
    END IF;
    IF NEW.answered_at IS NOT NULL THEN
        NEW.answered_at := now();
        PERFORM gm_refuse_absent(NEW.street_code, NEW.answered_by, NEW.answered_at);
    END IF;
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS supervision_guard ON incident_supervision;
CREATE TRIGGER supervision_guard BEFORE INSERT OR UPDATE OR DELETE ON incident_supervision
    FOR EACH ROW EXECUTE FUNCTION supervision_guard();

CREATE OR REPLACE FUNCTION callback_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    closed timestamptz;
BEGIN
    SELECT closed_at INTO closed FROM incident x
     WHERE x.street_code = NEW.street_code AND x.id = NEW.incident_id;
    IF closed IS NULL THEN
        RAISE EXCEPTION '案件尚未办结，回访须在办结之后' USING ERRCODE = 'GM400';
    END IF;
    IF NEW.closed_at IS DISTINCT FROM closed THEN
        RAISE EXCEPTION '回访须针对案件最近一次办结（%）', gm_local(closed)::timestamp(0)
            USING ERRCODE = 'GM400';
    END IF;
    IF NEW.at < now() - interval '1 minute' OR NEW.at > clock_timestamp() + interval '1 minute'
    THEN
        RAISE EXCEPTION '回访时间只能是回访的当时' USING ERRCODE = 'GM400';
    END IF;
    PERFORM gm_refuse_absent(NEW.street_code, NEW.by_person, NEW.at);
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS callback_guard ON incident_callback;
CREATE TRIGGER callback_guard BEFORE INSERT ON incident_callback
    FOR EACH ROW EXECUTE FUNCTION callback_guard();

DROP TRIGGER IF EXISTS callback_history ON incident_callback;
CREATE TRIGGER callback_history BEFORE UPDATE OR DELETE ON incident_callback
    FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION refuse_history_change('回访记录');
