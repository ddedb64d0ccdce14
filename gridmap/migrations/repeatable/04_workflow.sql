-- Repeatable: workflow.
-- A case moves only through its workflow: one step (incident_transition) or a longer deadline
-- (incident_extend), each writing its event in the caller's transaction; links checked against
-- the kinds they may join.
--
-- Applied again, whole, whenever a repeatable file changes (gridmap.store.migrate).

-- The one way a case changes state: check the workflow, write the event, update the case, in
-- the caller's transaction. ``expected`` is the state the person saw (a stale page is refused
-- rather than overwritten); ``at`` is when it happened (now, or earlier when entered late).
-- Who acts on a case is a person of the street, in post at the moment they act.
CREATE OR REPLACE FUNCTION gm_refuse_absent(street text, who integer, at timestamptz)
RETURNS void LANGUAGE plpgsql STABLE AS $$
DECLARE
    gone timestamptz;
BEGIN
    IF who IS NULL THEN
        RETURN;
    END IF;
    SELECT left_at INTO gone FROM person WHERE street_code = street AND id = who;
    IF NOT FOUND THEN
        RAISE EXCEPTION '办理人 % 不是本街道登记的人员', who USING ERRCODE = 'GM400';
    END IF;
    IF gone <= at THEN
        RAISE EXCEPTION '办理人已于 % 离任，不能以其名义办理', gm_local(gone)::date
            USING ERRCODE = 'GM400';
    END IF;
END $$;

CREATE OR REPLACE FUNCTION incident_transition(street text, incident_id bigint, to_status text,
                                    at timestamptz DEFAULT now(), by_person integer DEFAULT NULL,
                                    reason text DEFAULT '', expected text DEFAULT NULL)
RETURNS incident_event
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    i incident;
    t workflow_transition;
    s incident_status;
    due timestamptz;
    ev incident_event;
    allowed text;
    last_by text;
    last_at timestamptz;
BEGIN
    SELECT * INTO i FROM incident x WHERE x.street_code = street AND x.id = incident_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION '事件 % 不存在', incident_id USING ERRCODE = 'GM404';
    END IF;
    IF expected IS NOT NULL AND expected <> i.status THEN
        -- a stale page: say who acted first, and when
        SELECT coalesce(p.name, '他人'), e.at INTO last_by, last_at
          FROM incident_event e
          LEFT JOIN person p ON p.street_code = e.street_code AND p.id = e.by_person
         WHERE e.street_code = street AND e.incident_id = incident_transition.incident_id
         ORDER BY e.at DESC, e.id DESC LIMIT 1;
        RAISE EXCEPTION '事件已由%于 % 办理，当前状态为「%」，请刷新后再操作',
            coalesce(last_by, '他人'), coalesce(gm_local(last_at)::timestamp(0)::text, '此前'),
            (SELECT name FROM incident_status WHERE kind = i.kind AND code = i.status)
            USING ERRCODE = 'GM409';
    END IF;
    IF NOT EXISTS (SELECT FROM incident_status n
                    WHERE n.kind = i.kind AND n.code = incident_transition.to_status) THEN
        RAISE EXCEPTION '「%」没有「%」这个状态',
            (SELECT name FROM incident_kind WHERE code = i.kind), incident_transition.to_status
            USING ERRCODE = 'GM400';
    END IF;
    SELECT * INTO t FROM workflow_transition w
     WHERE w.kind = i.kind AND w.from_status = i.status AND w.to_status = incident_transition.to_status;
    IF NOT FOUND THEN
        SELECT string_agg(format('「%s」', n.name), '、' ORDER BY n.sort) INTO allowed
          FROM workflow_transition w JOIN incident_status n ON n.kind = w.kind AND n.code = w.to_status
         WHERE w.kind = i.kind AND w.from_status = i.status;
        RAISE EXCEPTION '%', format('当前状态「%s」不能转为「%s」。%s',
            (SELECT name FROM incident_status WHERE kind = i.kind AND code = i.status),
            (SELECT name FROM incident_status
              WHERE kind = i.kind AND code = incident_transition.to_status),
            CASE WHEN allowed IS NULL THEN '该事件已办结，流程不允许再变更。'
                 ELSE '可转为：' || allowed || '。' END)
            USING ERRCODE = 'GM400';
    END IF;
    IF t.reason_required AND coalesce(btrim(reason), '') = '' THEN
        RAISE EXCEPTION '「%」须填写理由', t.action USING ERRCODE = 'GM400';
    END IF;
    IF at < i.status_since THEN
        RAISE EXCEPTION '办理时间 % 早于当前环节的开始时间 %', gm_local(at)::timestamp(0),
            gm_local(i.status_since)::timestamp(0) USING ERRCODE = 'GM400';
    END IF;
    IF at > clock_timestamp() + interval '10 minutes' THEN
        RAISE EXCEPTION '办理时间不能晚于当前时间' USING ERRCODE = 'GM400';
    END IF;
    PERFORM gm_refuse_absent(street, by_person, at);
    SELECT * INTO s FROM incident_status n WHERE n.kind = i.kind AND n.code = t.to_status;
    IF NOT s.is_final THEN
        due := gm_due(street, i.kind, t.to_status, at, i.reported_at);
    END IF;
    INSERT INTO incident_event (street_code, incident_id, kind, at, from_status, to_status,
                                by_person, reason, due_at, left_due_at)
    VALUES (street, incident_id, 'transition', at, i.status, t.to_status, by_person,
            coalesce(reason, ''), due, i.due_at)
    RETURNING * INTO ev;
    UPDATE incident x
       SET status = t.to_status, status_since = at, due_at = due,
           closed_at = CASE WHEN s.is_final THEN at END
     WHERE x.street_code = street AND x.id = incident_id;
    RETURN ev;
END $$;

-- Extending the current step's deadline, where its rule allows it (a complicated petition:
-- once, by at most 30 days, with the reason told to the petitioner).
CREATE OR REPLACE FUNCTION incident_extend(street text, incident_id bigint, days integer,
                                at timestamptz DEFAULT now(), by_person integer DEFAULT NULL,
                                reason text DEFAULT '')
RETURNS incident_event
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    i incident;
    r deadline_rule;
    used integer;
    due timestamptz;
    ev incident_event;
BEGIN
    SELECT * INTO i FROM incident x WHERE x.street_code = street AND x.id = incident_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION '事件 % 不存在', incident_id USING ERRCODE = 'GM404';
    END IF;
    IF i.closed_at IS NOT NULL OR i.due_at IS NULL THEN
        RAISE EXCEPTION '该事件当前没有办理期限，无需延期' USING ERRCODE = 'GM400';
    END IF;
    SELECT * INTO r FROM deadline_rule d
     WHERE d.street_code = street AND d.kind = i.kind AND d.status = i.status;
    IF NOT FOUND OR r.extend_times = 0 THEN
        RAISE EXCEPTION '本环节的办理期限不能延长' USING ERRCODE = 'GM400';
    END IF;
    IF days IS NULL OR days < 1 OR days > r.extend_days THEN
        RAISE EXCEPTION '延长天数应为 1～% 天', r.extend_days USING ERRCODE = 'GM400';
    END IF;
    IF coalesce(btrim(reason), '') = '' THEN
        RAISE EXCEPTION '延期须填写理由（并告知当事人）' USING ERRCODE = 'GM400';
    END IF;
    IF at < i.status_since OR at > clock_timestamp() + interval '10 minutes' THEN
        RAISE EXCEPTION '延期时间应在本环节开始之后、当前时间之前' USING ERRCODE = 'GM400';
    END IF;
    PERFORM gm_refuse_absent(street, by_person, at);
    IF at >= i.due_at THEN
        RAISE EXCEPTION '办理期限已于 % 届满，届满后不能再延期',
            gm_local(i.due_at)::timestamp(0) USING ERRCODE = 'GM400';
    END IF;
    SELECT count(*) INTO used FROM incident_event e
     WHERE e.street_code = street AND e.incident_id = i.id AND e.kind = 'extension'
       AND e.at >= i.status_since;
    IF used >= r.extend_times THEN
        RAISE EXCEPTION '本环节已延期 % 次，不能再延期', used USING ERRCODE = 'GM409';
    END IF;
    due := gm_deadline(street, i.due_at - interval '1 microsecond', days, r.unit);
    INSERT INTO incident_event (street_code, incident_id, kind, at, from_status, to_status,
                                by_person, reason, due_at)
    VALUES (street, incident_id, 'extension', at, i.status, NULL, by_person, reason, due)
    RETURNING * INTO ev;
    UPDATE incident x SET due_at = due WHERE x.street_code = street AND x.id = incident_id;
    RETURN ev;
END $$;

CREATE OR REPLACE FUNCTION incident_link_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    a incident;
    b incident;
BEGIN
    SELECT * INTO a FROM incident WHERE street_code = NEW.street_code AND id = NEW.from_id;
    SELECT * INTO b FROM incident WHERE street_code = NEW.street_code AND id = NEW.to_id;
    IF NOT EXISTS (SELECT FROM link_rule r
                    WHERE r.link = NEW.link AND r.from_kind = a.kind AND r.to_kind = b.kind) THEN
        RAISE EXCEPTION '「%」不能关联「%」（关联类型 %）',
            (SELECT name FROM incident_kind WHERE code = a.kind),
            (SELECT name FROM incident_kind WHERE code = b.kind), NEW.link
            USING ERRCODE = 'GM400';
    END IF;
    IF NEW.link = 'duplicate' THEN
        IF a.reported_at < b.reported_at THEN
            RAISE EXCEPTION '重复上报应关联更早上报的原事件' USING ERRCODE = 'GM400';
        END IF;
        IF EXISTS (SELECT FROM incident_link l WHERE l.street_code = NEW.street_code
                      AND l.from_id = NEW.to_id AND l.link = 'duplicate') THEN
            RAISE EXCEPTION '事件 % 本身是重复上报，请关联其原事件', NEW.to_id
                USING ERRCODE = 'GM400';
        END IF;
    ELSIF b.occurred_at < a.occurred_at THEN
        RAISE EXCEPTION '转办或上交的事件不能早于原事件发生' USING ERRCODE = 'GM400';
    END IF;
    IF NEW.at > clock_timestamp() + interval '10 minutes' THEN
        RAISE EXCEPTION '关联时间不能晚于当前时间' USING ERRCODE = 'GM400';
    END IF;
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS incident_link_check ON incident_link;
CREATE TRIGGER incident_link_check BEFORE INSERT ON incident_link
    FOR EACH ROW EXECUTE FUNCTION incident_link_check();
