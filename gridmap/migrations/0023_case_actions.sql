-- The center works its cases (issue 18): 办结审核 (a closure claimed from the field is
-- reviewed), 督办 / 催办 (a supervisor asks for an answer by a date) and 回访 (the party is
-- called back after closing). Each is a record of who, when and why; none rewrites a case.

-- 办结审核. A grid member or group leader who has resolved a dispute reports it for review
-- (待审核); the center (or the village, as the street sets: CLOSURE_REVIEW) accepts it or
-- returns it for more work with a reason. Until then the case is open and counted as 在办.
INSERT INTO incident_status (kind, code, name, is_final, sort)
VALUES ('dispute', 'review', '待审核', false, 3);
UPDATE incident_status SET sort = sort + 1
 WHERE kind = 'dispute' AND code IN ('resolved', 'referred');

UPDATE workflow_transition
   SET roles = array_remove(array_remove(roles, 'grid_member'), 'group_leader')
 WHERE kind = 'dispute' AND to_status = 'resolved' AND from_status IN ('found', 'mediating');

INSERT INTO workflow_transition (kind, from_status, to_status, action, roles, reason_required)
VALUES
    ('dispute', 'found', 'review', '已化解，报审核', '{grid_member,group_leader}', false),
    ('dispute', 'mediating', 'review', '已化解，报审核', '{grid_member,group_leader}', false),
    ('dispute', 'review', 'resolved', '审核通过，办结',
     '{center,village_secretary,village_cadre}', false),
    ('dispute', 'review', 'mediating', '退回重办',
     '{center,village_secretary,village_cadre}', true);

INSERT INTO deadline_rule_default (kind, status, days, unit, counted_from, basis)
VALUES ('dispute', 'review', 3, 'working', 'step',
        '街道自定（可修改）：网格上报的化解在 3 个工作日内审核');
INSERT INTO deadline_rule (street_code, kind, status, days, unit, counted_from, basis)
SELECT s.code, 'dispute', 'review', 3, 'working', 'step',
       '街道自定（可修改）：网格上报的化解在 3 个工作日内审核'
  FROM street s
 WHERE NOT EXISTS (SELECT FROM deadline_rule r WHERE r.street_code = s.code
                      AND r.kind = 'dispute' AND r.status = 'review');

-- 督办 (supervise) and 催办 (urge): a note and a date to answer by, from the center or a
-- 包片 leader, to whoever handles the case. The answer is written once; a supervision is never
-- changed or deleted otherwise, so that it can be counted per leader and per handler.
CREATE TABLE incident_supervision (
    street_code   text NOT NULL,
    id            bigint GENERATED ALWAYS AS IDENTITY,
    incident_id   bigint NOT NULL,
    kind          text NOT NULL CONSTRAINT incident_supervision_kind
                      CHECK (kind IN ('supervise', 'urge')),
    at            timestamptz NOT NULL DEFAULT now(),
    by_person     integer,
    by_account    integer NOT NULL REFERENCES account,
    note          text NOT NULL CONSTRAINT incident_supervision_note
                      CHECK (length(btrim(note)) BETWEEN 2 AND 500),
    answer_by     timestamptz NOT NULL,
    answered_at   timestamptz,
    answer        text,
    answered_by   integer,
    PRIMARY KEY (street_code, id),
    FOREIGN KEY (street_code, incident_id) REFERENCES incident,
    FOREIGN KEY (street_code, by_person) REFERENCES person,
    FOREIGN KEY (street_code, answered_by) REFERENCES person,
    CONSTRAINT incident_supervision_answer_by CHECK (
        answer_by > at AND answer_by <= at + interval '60 days'),
    CONSTRAINT incident_supervision_answered CHECK (
        (answered_at IS NULL) = (answer IS NULL)
        AND (answer IS NULL OR length(btrim(answer)) BETWEEN 2 AND 1000)
        AND (answered_at IS NULL OR answered_at >= at))
);
CREATE INDEX incident_supervision_incident_idx
    ON incident_supervision (street_code, incident_id, at);
CREATE INDEX incident_supervision_open_idx
    ON incident_supervision (street_code, answer_by) WHERE answered_at IS NULL;

-- 回访: after a case is closed the center calls the party back and records how satisfied they
-- are. One callback per closing (a case reopened and closed again is called back again).
CREATE TABLE incident_callback (
    street_code   text NOT NULL,
    id            bigint GENERATED ALWAYS AS IDENTITY,
    incident_id   bigint NOT NULL,
    closed_at     timestamptz NOT NULL,   -- the closing this callback follows
    at            timestamptz NOT NULL DEFAULT now(),
    by_person     integer,
    by_account    integer NOT NULL REFERENCES account,
    result        text NOT NULL CONSTRAINT incident_callback_result
                      CHECK (result IN ('satisfied', 'fairly', 'unsatisfied')),
    note          text NOT NULL DEFAULT '' CONSTRAINT incident_callback_note
                      CHECK (length(note) <= 1000),
    PRIMARY KEY (street_code, id),
    FOREIGN KEY (street_code, incident_id) REFERENCES incident,
    FOREIGN KEY (street_code, by_person) REFERENCES person,
    CONSTRAINT incident_callback_once UNIQUE (street_code, incident_id, closed_at),
    CONSTRAINT incident_callback_after_closing CHECK (at >= closed_at)
);

-- Who reviews a closure claimed from the field: the center, or the village (its secretary and
-- cadres), as each street decides (gridmap review-by).
ALTER TABLE street ADD COLUMN closure_review text NOT NULL DEFAULT 'center'
    CONSTRAINT street_closure_review CHECK (closure_review IN ('center', 'village'));

-- The deadline of the step an event leaves, so that "closed on time" (按期办结) is a fact of the
-- record, not a guess: the case's own due_at is cleared when it closes. NULL for events written
-- before this column, and for steps without a deadline.
ALTER TABLE incident_event ADD COLUMN left_due_at timestamptz;
