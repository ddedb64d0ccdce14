-- Repeatable: corrections of the past (migration 0022).
-- A period of responsibility ended long ago, or a leaving entered months late, is corrected
-- by a new row with its reason and its author; the row as first recorded stays, superseded.
-- assignment_correct() and person_correct_left() are the only doors, run as the owner, for an
-- enabled administrator of the street; the constraint triggers below hold the ledger together
-- whoever writes.
--
-- Applied again, whole, whenever a repeatable file changes (gridmap.store.migrate).

CREATE OR REPLACE FUNCTION gm_refuse_unless_admin(street text, by_account integer, doing text)
RETURNS void LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM account a WHERE a.id = by_account AND a.street_code = street
                      AND a.disabled_at IS NULL AND a.role = 'admin') THEN
        RAISE EXCEPTION '%须由本街道在用的系统管理员账号进行', doing USING ERRCODE = 'GM403';
    END IF;
END $$;

CREATE OR REPLACE FUNCTION gm_refuse_without_reason(why text, doing text) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF why IS NULL OR length(btrim(why)) < 4 THEN
        RAISE EXCEPTION '%须写明原因（至少 4 个字），例如“3 月已调离，当时未登记”', doing
            USING ERRCODE = 'GM400';
    END IF;
    IF length(btrim(why)) > 500 THEN
        RAISE EXCEPTION '%的原因不超过 500 字', doing USING ERRCODE = 'GM400';
    END IF;
END $$;

-- Correct the period of one assignment: the row stands no more (superseded now) and a new row
-- holds the corrected period, the reason and the administrator. Returns the new row's id.
CREATE OR REPLACE FUNCTION assignment_correct(street text, assignment_no integer,
                                              corrected tstzrange, why text, by_account integer)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    old assignment;
    newer integer;
    made integer;
BEGIN
    PERFORM gm_refuse_unless_admin(street, by_account, '更正任职期');
    PERFORM gm_refuse_without_reason(why, '更正任职期');
    SELECT * INTO old FROM assignment WHERE street_code = street AND id = assignment_no
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION '任职记录 % 不存在', assignment_no USING ERRCODE = 'GM404';
    END IF;
    IF old.superseded_at IS NOT NULL THEN
        SELECT id INTO newer FROM assignment WHERE street_code = street AND corrects = old.id;
        RAISE EXCEPTION '任职记录 % 已于 % 更正为任职记录 %，请更正最新的那一条', old.id,
            gm_local(old.superseded_at)::timestamp(0), newer USING ERRCODE = 'GM409';
    END IF;
    IF corrected IS NULL OR lower_inf(corrected) OR isempty(corrected) THEN
        RAISE EXCEPTION '更正后的任职期须有开始时间，且截止晚于开始' USING ERRCODE = 'GM400';
    END IF;
    IF corrected = old.valid THEN
        RAISE EXCEPTION '更正后的任职期与原记录相同，无需更正' USING ERRCODE = 'GM400';
    END IF;
    IF NOT upper_inf(corrected) AND upper(corrected) > now() THEN
        RAISE EXCEPTION '更正后的截止时间 % 还没有到：更正只改写过去，将来的截止请用“结束任职”',
            gm_local(upper(corrected))::date USING ERRCODE = 'GM400';
    END IF;
    PERFORM set_config('gridmap.correcting', 'on', true);
    UPDATE assignment SET superseded_at = now() WHERE street_code = street AND id = old.id;
    INSERT INTO assignment (street_code, person_id, role, scope_code, valid, corrects, reason,
                            corrected_by)
    VALUES (street, old.person_id, old.role, old.scope_code, corrected, old.id, btrim(why),
            by_account)
    RETURNING id INTO made;
    PERFORM set_config('gridmap.correcting', 'off', true);
    RETURN made;
END $$;

-- Correct when a person left (earlier than recorded, or recorded when they left long ago, or
-- later than a mistaken date): every period of theirs that the new date cuts is corrected to
-- end at it, the periods that the old date ended are carried to the new one, and the change is
-- written to person_correction. Returns that row's id.
CREATE OR REPLACE FUNCTION person_correct_left(street text, person_no integer, left_on timestamptz,
                                               why text, by_account integer)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    p person;
    a record;
    made integer;
BEGIN
    PERFORM gm_refuse_unless_admin(street, by_account, '更正离任时间');
    PERFORM gm_refuse_without_reason(why, '更正离任时间');
    SELECT * INTO p FROM person WHERE street_code = street AND id = person_no FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION '人员 % 不存在', person_no USING ERRCODE = 'GM404';
    END IF;
    IF left_on IS NULL OR left_on > now() THEN
        RAISE EXCEPTION '更正的离任时间须是已经过去的时间；将来的离任请用“登记离任”'
            USING ERRCODE = 'GM400';
    END IF;
    IF left_on = p.left_at THEN
        RAISE EXCEPTION '%的离任时间已登记为 %，无需更正', p.name,
            gm_local(p.left_at)::timestamp(0) USING ERRCODE = 'GM400';
    END IF;
    SELECT id, lower(valid) AS since INTO a FROM assignment_standing
     WHERE street_code = street AND person_id = person_no AND lower(valid) >= left_on
     ORDER BY lower(valid) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '%在 % 才开始任职（任职记录 %），离任不能早于此；请先核对该任职', p.name,
            gm_local(a.since)::date, a.id USING ERRCODE = 'GM400';
    END IF;
    PERFORM set_config('gridmap.correcting', 'on', true);
    UPDATE person SET left_at = left_on WHERE street_code = street AND id = person_no;
    PERFORM set_config('gridmap.correcting', 'off', true);
    FOR a IN SELECT id, valid FROM assignment_standing
              WHERE street_code = street AND person_id = person_no
                AND (upper_inf(valid) OR upper(valid) > left_on
                     OR (p.left_at IS NOT NULL AND upper(valid) = p.left_at))
              ORDER BY id
    LOOP
        PERFORM assignment_correct(street, a.id, tstzrange(lower(a.valid), left_on), why,
                                   by_account);
    END LOOP;
    INSERT INTO person_correction (street_code, person_id, left_before, left_after, reason,
                                   corrected_by)
    VALUES (street, person_no, p.left_at, left_on, btrim(why), by_account)
    RETURNING id INTO made;
    RETURN made;
END $$;

-- Whether a correction door is writing (set, transaction-local, by the two functions above;
-- only the owner's own sessions count, so the app's role cannot claim it).
CREATE OR REPLACE FUNCTION gm_correcting() RETURNS boolean LANGUAGE sql STABLE
    RETURN gm_is_owner() AND coalesce(current_setting('gridmap.correcting', true), '') = 'on';

-- At commit: a superseded row has its correction, and a correction corrects a superseded row
-- of the same person, duty and area.
CREATE OR REPLACE FUNCTION assignment_ledger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.superseded_at IS NOT NULL AND NOT EXISTS (
           SELECT FROM assignment c WHERE c.street_code = NEW.street_code AND c.corrects = NEW.id)
    THEN
        RAISE EXCEPTION '任职记录 % 被标为已更正，却没有更正后的记录', NEW.id USING ERRCODE = 'GM409';
    END IF;
    IF NEW.corrects IS NOT NULL AND NOT EXISTS (
           SELECT FROM assignment o WHERE o.street_code = NEW.street_code AND o.id = NEW.corrects
              AND o.superseded_at IS NOT NULL AND o.person_id = NEW.person_id
              AND o.role = NEW.role AND o.scope_code = NEW.scope_code) THEN
        RAISE EXCEPTION '更正记录 % 须对应同一人员、职责和范围的一条已被更正的任职记录', NEW.id
            USING ERRCODE = 'GM409';
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS assignment_ledger ON assignment;
CREATE CONSTRAINT TRIGGER assignment_ledger AFTER INSERT OR UPDATE ON assignment
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.superseded_at IS NOT NULL OR NEW.corrects IS NOT NULL)
    EXECUTE FUNCTION assignment_ledger();

DROP TRIGGER IF EXISTS person_correction_history ON person_correction;
CREATE TRIGGER person_correction_history BEFORE UPDATE OR DELETE ON person_correction
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change('离任时间更正记录');
