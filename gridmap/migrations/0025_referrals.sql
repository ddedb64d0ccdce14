-- 转办 to a 联动单位 (issue 18). The street works by coordination (平安办、综治中心、派出所、
-- 司法所、法庭协调联动): the center refers a case to a department with a date to reply by; the
-- department's account sees only what was sent to it, replies and returns it. The referral is
-- a record of who sent what to whom, and what came back; the case itself stays the center's.

-- The departments a street works with. Each street starts with the usual five and adds its own.
CREATE TABLE department (
    street_code  text NOT NULL REFERENCES street,
    code         text NOT NULL CONSTRAINT department_code CHECK (code ~ '^[a-z][a-z0-9_]{1,30}$'),
    name         text NOT NULL CONSTRAINT department_name
                     CHECK (length(btrim(name)) BETWEEN 2 AND 30),
    active       boolean NOT NULL DEFAULT true,
    PRIMARY KEY (street_code, code)
);

CREATE TABLE department_default (
    code  text PRIMARY KEY,
    name  text NOT NULL,
    sort  integer NOT NULL
);
INSERT INTO department_default VALUES
    ('police', '派出所', 1),
    ('justice', '司法所', 2),
    ('court', '法庭', 3),
    ('petition_office', '信访办', 4),
    ('enforcement', '综合执法', 5);

INSERT INTO department (street_code, code, name)
SELECT s.code, d.code, d.name FROM street s CROSS JOIN department_default d;

-- A department's account: of the department it answers for, and only that kind has one.
INSERT INTO account_role VALUES
    ('department', '联动单位', '查看转办给本单位的案件，答复并退回综治中心');
ALTER TABLE account ADD COLUMN department_code text,
    ADD CONSTRAINT account_department_fkey FOREIGN KEY (street_code, department_code)
        REFERENCES department (street_code, code),
    ADD CONSTRAINT account_department CHECK ((role = 'department') = (department_code IS NOT NULL));

CREATE TABLE incident_referral (
    street_code      text NOT NULL,
    id               bigint GENERATED ALWAYS AS IDENTITY,
    incident_id      bigint NOT NULL,
    department_code  text NOT NULL,
    at               timestamptz NOT NULL DEFAULT now(),
    by_person        integer,
    by_account       integer NOT NULL REFERENCES account,
    note             text NOT NULL CONSTRAINT incident_referral_note
                         CHECK (length(btrim(note)) BETWEEN 2 AND 1000),
    reply_by         timestamptz NOT NULL,
    replied_at       timestamptz,
    reply            text,
    replied_by       integer REFERENCES account,
    PRIMARY KEY (street_code, id),
    FOREIGN KEY (street_code, incident_id) REFERENCES incident,
    FOREIGN KEY (street_code, by_person) REFERENCES person,
    CONSTRAINT incident_referral_department_fkey FOREIGN KEY (street_code, department_code)
        REFERENCES department (street_code, code),
    CONSTRAINT incident_referral_reply_by CHECK (
        reply_by > at AND reply_by <= at + interval '60 days'),
    CONSTRAINT incident_referral_replied CHECK (
        (replied_at IS NULL) = (reply IS NULL) AND (replied_at IS NULL) = (replied_by IS NULL)
        AND (reply IS NULL OR length(btrim(reply)) BETWEEN 2 AND 2000))
);
-- One open referral of a case to a department at a time.
CREATE UNIQUE INDEX incident_referral_open_key ON incident_referral
    (street_code, incident_id, department_code) WHERE replied_at IS NULL;
CREATE INDEX incident_referral_department_idx ON incident_referral
    (street_code, department_code, at);
CREATE INDEX incident_referral_incident_idx ON incident_referral (street_code, incident_id);
