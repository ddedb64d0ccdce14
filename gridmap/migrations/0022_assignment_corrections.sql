-- Corrections of the past are new rows with a reason, never edits.
--
-- An ended period of responsibility is history: the cases of that time count against the
-- people who held it (incident_responsible). Ending a period more than a few days back is
-- refused (gm_backdate_floor), because it would quietly take cases out of someone's record.
-- But records are sometimes wrong: a grid member left in March and nobody entered it until
-- June. The correction keeps both: the row as first recorded stays, marked superseded_at the
-- moment it was corrected, and a new row (corrects = the old one) carries the corrected
-- period, the reason and who made it. Readers take the rows that stand (the view
-- assignment_standing); the superseded ones say what the record said before, and since when
-- it says otherwise. Only assignment_correct() and person_correct_left() write corrections.

ALTER TABLE assignment
    ADD COLUMN superseded_at timestamptz,
    ADD COLUMN corrects      integer,
    ADD COLUMN reason        text,
    ADD COLUMN corrected_by  integer REFERENCES account,
    ADD CONSTRAINT assignment_corrects_fkey FOREIGN KEY (street_code, corrects)
        REFERENCES assignment (street_code, id),
    -- a correction says why; a first record has nothing to explain
    ADD CONSTRAINT assignment_correction_reason CHECK (
        (corrects IS NULL AND reason IS NULL AND corrected_by IS NULL)
        OR (corrects IS NOT NULL AND length(btrim(reason)) BETWEEN 4 AND 500)),
    -- a row is corrected once; a later correction corrects the correction
    ADD CONSTRAINT assignment_corrected_once UNIQUE (street_code, corrects);

-- The two exclusions hold between the rows that stand: the superseded row and its correction
-- describe the same period of one person, once as first recorded and once as corrected.
ALTER TABLE assignment DROP CONSTRAINT assignment_street_code_role_scope_code_valid_excl,
    DROP CONSTRAINT assignment_no_overlap;
ALTER TABLE assignment ADD CONSTRAINT assignment_single_holder
    EXCLUDE USING gist (street_code WITH =, role WITH =, scope_code WITH =, valid WITH &&)
        WHERE (role IN ('package_leader', 'village_secretary', 'group_leader')
               AND superseded_at IS NULL);
ALTER TABLE assignment ADD CONSTRAINT assignment_no_overlap
    EXCLUDE USING gist (street_code WITH =, person_id WITH =, role WITH =, scope_code WITH =,
                        valid WITH &&) WHERE (superseded_at IS NULL);

-- The assignments as the record now stands. Every reader of who held what reads this view;
-- the table itself is the ledger, corrections and what they replaced included.
CREATE VIEW assignment_standing AS
SELECT street_code, id, person_id, role, scope_code, valid, corrects, reason, corrected_by
  FROM assignment WHERE superseded_at IS NULL;

-- A person's date of leaving, corrected: what it was, what it is, why and by whom.
CREATE TABLE person_correction (
    street_code    text NOT NULL,
    id             integer GENERATED ALWAYS AS IDENTITY,
    person_id      integer NOT NULL,
    left_before    timestamptz,          -- NULL: the leaving had not been recorded
    left_after     timestamptz NOT NULL,
    reason         text NOT NULL CONSTRAINT person_correction_reason
                       CHECK (length(btrim(reason)) BETWEEN 4 AND 500),
    corrected_by   integer REFERENCES account,
    corrected_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (street_code, id),
    FOREIGN KEY (street_code, person_id) REFERENCES person
);

INSERT INTO audit_action (code, name) VALUES
    ('assignment_corrected', '更正任职期'),
    ('person_left_corrected', '更正离任时间');
