-- The street's clock, and the workflows of its cases as data: states, transitions, deadline
-- rules and the working-day calendar they are counted in.
--
-- Beijing time. China keeps UTC+8 all year (no summer time since 1991) and every street gridmap
-- serves is in China, so "the local day" and "the local month" of a moment are one fixed rule,
-- written here once and used by every query, trigger and tally. The database's own time zone is
-- set to the same zone (below), so that what psql and the logs print agrees with the pages.

DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET timezone = %L', current_database(), 'Asia/Shanghai');
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING '无权设置数据库时区；请由数据库管理员执行 ALTER DATABASE % SET timezone = ''Asia/Shanghai''',
        current_database();
END $$;

-- A petition that is not accepted (不予受理) ends there: the petitioner is told in writing which
-- authority to turn to.
INSERT INTO incident_status (kind, code, name, is_final, sort)
VALUES ('petition', 'not_accepted', '不予受理', true, 5);

-- The state every new case of a kind starts in.
ALTER TABLE incident_status ADD COLUMN initial boolean NOT NULL DEFAULT false;

UPDATE incident_status SET initial = true WHERE sort = 1;

CREATE UNIQUE INDEX incident_status_initial_idx ON incident_status (kind) WHERE initial;

-- The moves each workflow allows. ``roles`` names the account roles that may make a move (the
-- accounts to come enforce it; here it is data). A move from a final state back to an open one
-- reopens the case (a dispute that flares up again).
CREATE TABLE workflow_transition (
    kind             text NOT NULL,
    from_status      text NOT NULL,
    to_status        text NOT NULL,
    action           text NOT NULL,     -- what the button says
    roles            text[] NOT NULL,
    reason_required  boolean NOT NULL DEFAULT false,
    PRIMARY KEY (kind, from_status, to_status),
    FOREIGN KEY (kind, from_status) REFERENCES incident_status,
    FOREIGN KEY (kind, to_status) REFERENCES incident_status,
    CHECK (from_status <> to_status),
    CHECK (cardinality(roles) > 0)
);

INSERT INTO workflow_transition (kind, from_status, to_status, action, roles, reason_required)
VALUES
    ('dispute', 'found', 'mediating', '开始调处',
     '{grid_member,group_leader,village_cadre,village_secretary,center}', false),
    ('dispute', 'found', 'resolved', '当场化解',
     '{grid_member,group_leader,village_cadre,village_secretary,center}', false),
    ('dispute', 'found', 'referred', '移交处理',
     '{village_cadre,village_secretary,center}', true),
    ('dispute', 'mediating', 'resolved', '化解',
     '{grid_member,village_cadre,village_secretary,mediator,center}', false),
    ('dispute', 'mediating', 'referred', '移交处理',
     '{village_cadre,village_secretary,mediator,center}', true),
    ('dispute', 'resolved', 'mediating', '纠纷反复，重新调处',
     '{grid_member,village_cadre,village_secretary,center}', true),
    ('mediation', 'accepted', 'mediating', '开始调解', '{mediator,center}', false),
    ('mediation', 'mediating', 'agreement', '达成调解协议', '{mediator,center}', false),
    ('mediation', 'mediating', 'no_agreement', '调解不成，终止调解', '{mediator,center}', true),
    ('petition', 'registered', 'accepted', '受理', '{center}', false),
    ('petition', 'registered', 'not_accepted', '不予受理', '{center}', true),
    ('petition', 'accepted', 'handled', '出具处理意见', '{center}', false),
    ('petition', 'handled', 'closed', '办结', '{center}', false),
    ('enforcement', 'opened', 'investigated', '调查取证', '{center}', false),
    ('enforcement', 'investigated', 'decided', '作出决定', '{center}', false),
    ('enforcement', 'decided', 'closed', '结案', '{center}', false);

-- Deadlines per step. A step's time runs from when the case entered it (counted_from 'step') or
-- from the case's registration (counted_from 'case': the 90 days of an enforcement case run from
-- its filing through investigation to the decision). Calendar-day periods follow the Civil Code
-- (民法典 第二百零一条至第二百零三条): the first day is not counted, a period whose last day is
-- a rest day ends on the next working day, and the last day ends at 24:00. Working-day periods
-- count working days of the street's calendar. The legal defaults below are copied into each
-- street's own rules, which the street may change.
CREATE TABLE deadline_rule_default (
    kind          text NOT NULL,
    status        text NOT NULL,
    days          integer NOT NULL,
    unit          text NOT NULL,
    counted_from  text NOT NULL DEFAULT 'step',
    extend_days   integer NOT NULL DEFAULT 0,   -- an extension adds at most this much
    extend_times  integer NOT NULL DEFAULT 0,   -- how many extensions a step allows
    basis         text NOT NULL,                -- where the period comes from
    PRIMARY KEY (kind, status),
    FOREIGN KEY (kind, status) REFERENCES incident_status
);

INSERT INTO deadline_rule_default VALUES
    ('petition', 'registered', 15, 'calendar', 'step', 0, 0,
     '《信访工作条例》（2022）：收到信访事项后 15 日内决定是否受理并书面告知信访人'),
    ('petition', 'accepted', 60, 'calendar', 'step', 30, 1,
     '《信访工作条例》（2022）：自受理之日起 60 日内办结；情况复杂的，经批准可适当延长，延长不得超过 30 日'),
    ('petition', 'handled', 30, 'calendar', 'step', 0, 0,
     '《信访工作条例》（2022）：信访人不服处理意见的，可自收到书面答复之日起 30 日内请求复查；期满未请求即办结'),
    ('mediation', 'accepted', 30, 'calendar', 'case', 0, 0,
     '《人民调解工作若干规定》（司法部令第 75 号）：人民调解委员会调解纠纷，一般在一个月内调结（自受理起算）'),
    ('mediation', 'mediating', 30, 'calendar', 'case', 0, 0,
     '《人民调解工作若干规定》（司法部令第 75 号）：人民调解委员会调解纠纷，一般在一个月内调结（自受理起算）'),
    ('dispute', 'found', 5, 'working', 'step', 0, 0,
     '街道自定（可修改）：排查发现后 5 个工作日内启动调处或移交'),
    ('dispute', 'mediating', 30, 'calendar', 'step', 0, 0,
     '街道自定（可修改），参照人民调解一个月内调结'),
    ('enforcement', 'opened', 90, 'calendar', 'case', 0, 0,
     '《行政处罚法》（2021）第六十条：自立案之日起九十日内作出行政处罚决定'),
    ('enforcement', 'investigated', 90, 'calendar', 'case', 0, 0,
     '《行政处罚法》（2021）第六十条：自立案之日起九十日内作出行政处罚决定'),
    ('enforcement', 'decided', 30, 'calendar', 'step', 0, 0,
     '街道自定（可修改）：决定送达、执行后结案');

CREATE TABLE deadline_rule (
    street_code   text NOT NULL REFERENCES street,
    kind          text NOT NULL,
    status        text NOT NULL,
    days          integer NOT NULL,
    unit          text NOT NULL,
    counted_from  text NOT NULL DEFAULT 'step',
    extend_days   integer NOT NULL DEFAULT 0,
    extend_times  integer NOT NULL DEFAULT 0,
    basis         text NOT NULL DEFAULT '',
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (street_code, kind, status),
    FOREIGN KEY (kind, status) REFERENCES incident_status,
    CONSTRAINT deadline_rule_days CHECK (days BETWEEN 1 AND 366),
    CONSTRAINT deadline_rule_unit CHECK (unit IN ('calendar', 'working')),
    CONSTRAINT deadline_rule_counted_from CHECK (counted_from IN ('step', 'case')),
    CONSTRAINT deadline_rule_extension CHECK (
        extend_days BETWEEN 0 AND 366 AND extend_times BETWEEN 0 AND 3
        AND (extend_days = 0) = (extend_times = 0)),
    CHECK (char_length(basis) <= 500)
);

-- The national calendar (国务院办公厅 部分节假日安排的通知, 2021–2026): days off that fall on
-- working days, and weekend days worked in exchange (调休上班). Each street gets a copy it can
-- edit; later years are added when the State Council publishes them.
CREATE TABLE holiday_default (
    day   date PRIMARY KEY,
    kind  text NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name  text NOT NULL
);

INSERT INTO holiday_default (day, kind, name) VALUES
    ('2021-01-01', 'holiday', '元旦'),
    ('2021-01-02', 'holiday', '元旦'),
    ('2021-01-03', 'holiday', '元旦'),
    ('2021-02-07', 'workday', '春节调休上班'),
    ('2021-02-11', 'holiday', '春节'),
    ('2021-02-12', 'holiday', '春节'),
    ('2021-02-13', 'holiday', '春节'),
    ('2021-02-14', 'holiday', '春节'),
    ('2021-02-15', 'holiday', '春节'),
    ('2021-02-16', 'holiday', '春节'),
    ('2021-02-17', 'holiday', '春节'),
    ('2021-02-20', 'workday', '春节调休上班'),
    ('2021-04-03', 'holiday', '清明节'),
    ('2021-04-04', 'holiday', '清明节'),
    ('2021-04-05', 'holiday', '清明节'),
    ('2021-04-25', 'workday', '劳动节调休上班'),
    ('2021-05-01', 'holiday', '劳动节'),
    ('2021-05-02', 'holiday', '劳动节'),
    ('2021-05-03', 'holiday', '劳动节'),
    ('2021-05-04', 'holiday', '劳动节'),
    ('2021-05-05', 'holiday', '劳动节'),
    ('2021-05-08', 'workday', '劳动节调休上班'),
    ('2021-06-12', 'holiday', '端午节'),
    ('2021-06-13', 'holiday', '端午节'),
    ('2021-06-14', 'holiday', '端午节'),
    ('2021-09-18', 'workday', '中秋节调休上班'),
    ('2021-09-19', 'holiday', '中秋节'),
    ('2021-09-20', 'holiday', '中秋节'),
    ('2021-09-21', 'holiday', '中秋节'),
    ('2021-09-26', 'workday', '国庆节调休上班'),
    ('2021-10-01', 'holiday', '国庆节'),
    ('2021-10-02', 'holiday', '国庆节'),
    ('2021-10-03', 'holiday', '国庆节'),
    ('2021-10-04', 'holiday', '国庆节'),
    ('2021-10-05', 'holiday', '国庆节'),
    ('2021-10-06', 'holiday', '国庆节'),
    ('2021-10-07', 'holiday', '国庆节'),
    ('2021-10-09', 'workday', '国庆节调休上班'),
    ('2022-01-01', 'holiday', '元旦'),
    ('2022-01-02', 'holiday', '元旦'),
    ('2022-01-03', 'holiday', '元旦'),
    ('2022-01-29', 'workday', '春节调休上班'),
    ('2022-01-30', 'workday', '春节调休上班'),
    ('2022-01-31', 'holiday', '春节'),
    ('2022-02-01', 'holiday', '春节'),
    ('2022-02-02', 'holiday', '春节'),
    ('2022-02-03', 'holiday', '春节'),
    ('2022-02-04', 'holiday', '春节'),
    ('2022-02-05', 'holiday', '春节'),
    ('2022-02-06', 'holiday', '春节'),
    ('2022-04-02', 'workday', '清明节调休上班'),
    ('2022-04-03', 'holiday', '清明节'),
    ('2022-04-04', 'holiday', '清明节'),
    ('2022-04-05', 'holiday', '清明节'),
    ('2022-04-24', 'workday', '劳动节调休上班'),
    ('2022-04-30', 'holiday', '劳动节'),
    ('2022-05-01', 'holiday', '劳动节'),
    ('2022-05-02', 'holiday', '劳动节'),
    ('2022-05-03', 'holiday', '劳动节'),
    ('2022-05-04', 'holiday', '劳动节'),
    ('2022-05-07', 'workday', '劳动节调休上班'),
    ('2022-06-03', 'holiday', '端午节'),
    ('2022-06-04', 'holiday', '端午节'),
    ('2022-06-05', 'holiday', '端午节'),
    ('2022-09-10', 'holiday', '中秋节'),
    ('2022-09-11', 'holiday', '中秋节'),
    ('2022-09-12', 'holiday', '中秋节'),
    ('2022-10-01', 'holiday', '国庆节'),
    ('2022-10-02', 'holiday', '国庆节'),
    ('2022-10-03', 'holiday', '国庆节'),
    ('2022-10-04', 'holiday', '国庆节'),
    ('2022-10-05', 'holiday', '国庆节'),
    ('2022-10-06', 'holiday', '国庆节'),
    ('2022-10-07', 'holiday', '国庆节'),
    ('2022-10-08', 'workday', '国庆节调休上班'),
    ('2022-10-09', 'workday', '国庆节调休上班'),
    ('2022-12-31', 'holiday', '元旦'),
    ('2023-01-01', 'holiday', '元旦'),
    ('2023-01-02', 'holiday', '元旦'),
    ('2023-01-21', 'holiday', '春节'),
    ('2023-01-22', 'holiday', '春节'),
    ('2023-01-23', 'holiday', '春节'),
    ('2023-01-24', 'holiday', '春节'),
    ('2023-01-25', 'holiday', '春节'),
    ('2023-01-26', 'holiday', '春节'),
    ('2023-01-27', 'holiday', '春节'),
    ('2023-01-28', 'workday', '春节调休上班'),
    ('2023-01-29', 'workday', '春节调休上班'),
    ('2023-04-05', 'holiday', '清明节'),
    ('2023-04-23', 'workday', '劳动节调休上班'),
    ('2023-04-29', 'holiday', '劳动节'),
    ('2023-04-30', 'holiday', '劳动节'),
    ('2023-05-01', 'holiday', '劳动节'),
    ('2023-05-02', 'holiday', '劳动节'),
    ('2023-05-03', 'holiday', '劳动节'),
    ('2023-05-06', 'workday', '劳动节调休上班'),
    ('2023-06-22', 'holiday', '端午节'),
    ('2023-06-23', 'holiday', '端午节'),
    ('2023-06-24', 'holiday', '端午节'),
    ('2023-06-25', 'workday', '端午节调休上班'),
    ('2023-09-29', 'holiday', '中秋节、国庆节'),
    ('2023-09-30', 'holiday', '中秋节、国庆节'),
    ('2023-10-01', 'holiday', '中秋节、国庆节'),
    ('2023-10-02', 'holiday', '中秋节、国庆节'),
    ('2023-10-03', 'holiday', '中秋节、国庆节'),
    ('2023-10-04', 'holiday', '中秋节、国庆节'),
    ('2023-10-05', 'holiday', '中秋节、国庆节'),
    ('2023-10-06', 'holiday', '中秋节、国庆节'),
    ('2023-10-07', 'workday', '中秋节、国庆节调休上班'),
    ('2023-10-08', 'workday', '中秋节、国庆节调休上班'),
    ('2023-12-30', 'holiday', '元旦'),
    ('2023-12-31', 'holiday', '元旦'),
    ('2024-01-01', 'holiday', '元旦'),
    ('2024-02-04', 'workday', '春节调休上班'),
    ('2024-02-10', 'holiday', '春节'),
    ('2024-02-11', 'holiday', '春节'),
    ('2024-02-12', 'holiday', '春节'),
    ('2024-02-13', 'holiday', '春节'),
    ('2024-02-14', 'holiday', '春节'),
    ('2024-02-15', 'holiday', '春节'),
    ('2024-02-16', 'holiday', '春节'),
    ('2024-02-17', 'holiday', '春节'),
    ('2024-02-18', 'workday', '春节调休上班'),
    ('2024-04-04', 'holiday', '清明节'),
    ('2024-04-05', 'holiday', '清明节'),
    ('2024-04-06', 'holiday', '清明节'),
    ('2024-04-07', 'workday', '清明节调休上班'),
    ('2024-04-28', 'workday', '劳动节调休上班'),
    ('2024-05-01', 'holiday', '劳动节'),
    ('2024-05-02', 'holiday', '劳动节'),
    ('2024-05-03', 'holiday', '劳动节'),
    ('2024-05-04', 'holiday', '劳动节'),
    ('2024-05-05', 'holiday', '劳动节'),
    ('2024-05-11', 'workday', '劳动节调休上班'),
    ('2024-06-08', 'holiday', '端午节'),
    ('2024-06-09', 'holiday', '端午节'),
    ('2024-06-10', 'holiday', '端午节'),
    ('2024-09-14', 'workday', '中秋节调休上班'),
    ('2024-09-15', 'holiday', '中秋节'),
    ('2024-09-16', 'holiday', '中秋节'),
    ('2024-09-17', 'holiday', '中秋节'),
    ('2024-09-29', 'workday', '国庆节调休上班'),
    ('2024-10-01', 'holiday', '国庆节'),
    ('2024-10-02', 'holiday', '国庆节'),
    ('2024-10-03', 'holiday', '国庆节'),
    ('2024-10-04', 'holiday', '国庆节'),
    ('2024-10-05', 'holiday', '国庆节'),
    ('2024-10-06', 'holiday', '国庆节'),
    ('2024-10-07', 'holiday', '国庆节'),
    ('2024-10-12', 'workday', '国庆节调休上班'),
    ('2025-01-01', 'holiday', '元旦'),
    ('2025-01-26', 'workday', '春节调休上班'),
    ('2025-01-28', 'holiday', '春节'),
    ('2025-01-29', 'holiday', '春节'),
    ('2025-01-30', 'holiday', '春节'),
    ('2025-01-31', 'holiday', '春节'),
    ('2025-02-01', 'holiday', '春节'),
    ('2025-02-02', 'holiday', '春节'),
    ('2025-02-03', 'holiday', '春节'),
    ('2025-02-04', 'holiday', '春节'),
    ('2025-02-08', 'workday', '春节调休上班'),
    ('2025-04-04', 'holiday', '清明节'),
    ('2025-04-05', 'holiday', '清明节'),
    ('2025-04-06', 'holiday', '清明节'),
    ('2025-04-27', 'workday', '劳动节调休上班'),
    ('2025-05-01', 'holiday', '劳动节'),
    ('2025-05-02', 'holiday', '劳动节'),
    ('2025-05-03', 'holiday', '劳动节'),
    ('2025-05-04', 'holiday', '劳动节'),
    ('2025-05-05', 'holiday', '劳动节'),
    ('2025-05-31', 'holiday', '端午节'),
    ('2025-06-01', 'holiday', '端午节'),
    ('2025-06-02', 'holiday', '端午节'),
    ('2025-09-28', 'workday', '国庆节、中秋节调休上班'),
    ('2025-10-01', 'holiday', '国庆节、中秋节'),
    ('2025-10-02', 'holiday', '国庆节、中秋节'),
    ('2025-10-03', 'holiday', '国庆节、中秋节'),
    ('2025-10-04', 'holiday', '国庆节、中秋节'),
    ('2025-10-05', 'holiday', '国庆节、中秋节'),
    ('2025-10-06', 'holiday', '国庆节、中秋节'),
    ('2025-10-07', 'holiday', '国庆节、中秋节'),
    ('2025-10-08', 'holiday', '国庆节、中秋节'),
    ('2025-10-11', 'workday', '国庆节、中秋节调休上班'),
    ('2026-01-01', 'holiday', '元旦'),
    ('2026-01-02', 'holiday', '元旦'),
    ('2026-01-03', 'holiday', '元旦'),
    ('2026-01-04', 'workday', '元旦调休上班'),
    ('2026-02-14', 'workday', '春节调休上班'),
    ('2026-02-15', 'holiday', '春节'),
    ('2026-02-16', 'holiday', '春节'),
    ('2026-02-17', 'holiday', '春节'),
    ('2026-02-18', 'holiday', '春节'),
    ('2026-02-19', 'holiday', '春节'),
    ('2026-02-20', 'holiday', '春节'),
    ('2026-02-21', 'holiday', '春节'),
    ('2026-02-22', 'holiday', '春节'),
    ('2026-02-23', 'holiday', '春节'),
    ('2026-02-28', 'workday', '春节调休上班'),
    ('2026-04-04', 'holiday', '清明节'),
    ('2026-04-05', 'holiday', '清明节'),
    ('2026-04-06', 'holiday', '清明节'),
    ('2026-05-01', 'holiday', '劳动节'),
    ('2026-05-02', 'holiday', '劳动节'),
    ('2026-05-03', 'holiday', '劳动节'),
    ('2026-05-04', 'holiday', '劳动节'),
    ('2026-05-05', 'holiday', '劳动节'),
    ('2026-05-09', 'workday', '劳动节调休上班'),
    ('2026-06-19', 'holiday', '端午节'),
    ('2026-06-20', 'holiday', '端午节'),
    ('2026-06-21', 'holiday', '端午节'),
    ('2026-09-20', 'workday', '国庆节调休上班'),
    ('2026-09-25', 'holiday', '中秋节'),
    ('2026-09-26', 'holiday', '中秋节'),
    ('2026-09-27', 'holiday', '中秋节'),
    ('2026-10-01', 'holiday', '国庆节'),
    ('2026-10-02', 'holiday', '国庆节'),
    ('2026-10-03', 'holiday', '国庆节'),
    ('2026-10-04', 'holiday', '国庆节'),
    ('2026-10-05', 'holiday', '国庆节'),
    ('2026-10-06', 'holiday', '国庆节'),
    ('2026-10-07', 'holiday', '国庆节'),
    ('2026-10-10', 'workday', '国庆节调休上班');

CREATE TABLE street_calendar (
    street_code  text NOT NULL REFERENCES street,
    day          date NOT NULL,
    kind         text NOT NULL,
    name         text NOT NULL,
    PRIMARY KEY (street_code, day),
    CONSTRAINT street_calendar_kind CHECK (kind IN ('holiday', 'workday')),
    CONSTRAINT street_calendar_range CHECK (day BETWEEN '2000-01-01' AND '2100-12-31'),
    -- A worked exchange day is a weekend day; a weekday is worked anyway.
    CONSTRAINT street_calendar_workday_on_weekend
        CHECK (kind <> 'workday' OR extract(isodow FROM day) >= 6),
    CONSTRAINT street_calendar_name CHECK (char_length(name) BETWEEN 1 AND 50)
);

-- Every day from 2000 to 2100 of each street, with the number of working days up to it: adding
-- n working days to a day is one lookup, and a million open cases get their deadlines in one
-- join. Rebuilt for a street whenever its calendar changes.
CREATE TABLE street_day (
    street_code   text COLLATE "C" NOT NULL,
    day           date NOT NULL,
    workday       boolean NOT NULL,
    workday_no    integer NOT NULL,  -- working days from 2000-01-01 up to and including this day
    next_workday  date,              -- this day if it is a working day, else the next one
    PRIMARY KEY (street_code, day)
);

CREATE INDEX street_day_workday_no_idx ON street_day (street_code, workday_no) WHERE workday;

-- Streets already stored.
INSERT INTO deadline_rule (street_code, kind, status, days, unit, counted_from, extend_days,
                           extend_times, basis)
SELECT s.code, r.kind, r.status, r.days, r.unit, r.counted_from, r.extend_days, r.extend_times,
       r.basis
  FROM street s CROSS JOIN deadline_rule_default r;

INSERT INTO street_calendar (street_code, day, kind, name)
SELECT s.code, h.day, h.kind, h.name FROM street s CROSS JOIN holiday_default h;

-- Links between incidents: a dispute taken up as a mediation case, a dispute or a failed
-- mediation that became a petition, a duplicate of an earlier report. They let 源头治理 ask
-- "how many disputes were solved before they became petitions (矛盾不上交)".
CREATE TABLE link_kind (
    code  text PRIMARY KEY,
    name  text NOT NULL
);

INSERT INTO link_kind VALUES
    ('mediation', '转为人民调解案件'),
    ('petition', '上交为信访'),
    ('enforcement', '移交行政执法'),
    ('duplicate', '重复上报');

CREATE TABLE link_rule (
    link       text NOT NULL REFERENCES link_kind,
    from_kind  text NOT NULL REFERENCES incident_kind,
    to_kind    text NOT NULL REFERENCES incident_kind,
    PRIMARY KEY (link, from_kind, to_kind)
);

INSERT INTO link_rule VALUES
    ('mediation', 'dispute', 'mediation'),
    ('petition', 'dispute', 'petition'),
    ('petition', 'mediation', 'petition'),
    ('enforcement', 'dispute', 'enforcement'),
    ('duplicate', 'dispute', 'dispute'),
    ('duplicate', 'mediation', 'mediation'),
    ('duplicate', 'petition', 'petition'),
    ('duplicate', 'enforcement', 'enforcement');
