-- Incidents keep themselves true, whoever writes them.
--
-- Until now the loader validated every row in Python and the table trusted it. From now on
-- grid members, planners, ledger imports and people with a database console write here, so the
-- database itself refuses what can never be true:
--
-- * row by row, with CHECK constraints (they cost nothing measurable on a million-row COPY):
--   times in order and inside the plausible window, text within its limits;
-- * statement by statement, with one trigger over the statement's new rows (a transition
--   table): the kind and state exist and belong together, the category belongs to the kind, a
--   closing time exactly when the state is final, the snapshot names a unit of a published
--   division that was in force when the incident happened, and whose grid, village and package
--   area are the ones named, the street exists, the reporter is a person of the street, the
--   moment is not in the future. Foreign keys would check the same row by row: measured on a
--   million-row load, one composite foreign key (kind, status) alone cost 6 s, the whole
--   statement-level check 1.7 s (bench/attribution.py --constraints prints the figures).
--
-- What an incident is never changes after it is stored: kind, place, time and snapshot. Its
-- state changes only through incident_transition(), which checks the workflow and writes the
-- event; a state change without its event is refused.
ALTER TABLE incident
    ADD COLUMN status_since timestamptz,   -- when the case entered its current state
    ADD COLUMN client_id uuid,             -- the id a phone gave a submission it may retry
    ADD COLUMN source text,                -- the ledger a row was imported from
    ADD COLUMN source_key text,            -- the row's own key in that ledger
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- Rows already stored: a closed case entered its final state when it closed; for an open one
-- the start of its step is not known, so its registration stands in. (No tally key changes.)
ALTER TABLE incident DISABLE TRIGGER USER;

UPDATE incident SET status_since = coalesce(closed_at, reported_at);

ALTER TABLE incident ENABLE TRIGGER USER;

ALTER TABLE incident ALTER COLUMN status_since SET NOT NULL;

-- The plausible window of a recorded moment begins in 2000 (gridmap.core.timewindow; no ledger of
-- the street is older); "not in the future" needs the clock, so the statement trigger checks it.
ALTER TABLE incident
    ADD CONSTRAINT incident_times_in_order CHECK (
        occurred_at >= timestamptz '2000-01-01 00:00+08'
        AND reported_at >= occurred_at
        AND status_since >= occurred_at
        AND (closed_at IS NULL OR closed_at = status_since)
        AND (due_at IS NULL OR due_at > occurred_at)),
    -- The limits of gridmap.intake.rows (the loader's are these or stricter); details are
    -- measured as stored (its text form would cost a conversion a row: 2 s on a million).
    ADD CONSTRAINT incident_text_limits CHECK (
        char_length(title) <= 200
        AND char_length(description) <= 5000
        AND jsonb_typeof(details) = 'object'
        AND pg_column_size(details) <= 16384),
    ADD CONSTRAINT incident_source_key CHECK (
        (source_key IS NULL OR (source IS NOT NULL AND char_length(source_key) <= 100))
        AND (source IS NULL OR char_length(source) BETWEEN 1 AND 200));

-- (That the street exists is the statement check's: a regular expression on every row cost
-- a second of a million-row load.)

-- Identity for the writers to come: a retried submission from a phone, a re-imported ledger.
-- Led by street_code like every key, so partitioning by street needs no schema change; partial,
-- so the bulk loads that carry neither pay nothing for them.
CREATE UNIQUE INDEX incident_client_id_key ON incident (street_code, client_id)
    WHERE client_id IS NOT NULL;

CREATE UNIQUE INDEX incident_source_key_key ON incident (street_code, source, source_key)
    WHERE source_key IS NOT NULL;

-- Incidents already stored pass the same test (an old database with untrue rows stops here).
DO $$
DECLARE
    bad bigint;
BEGIN
    SELECT i.id INTO bad
      FROM incident i
      LEFT JOIN incident_status s ON s.kind = i.kind AND s.code = i.status
      LEFT JOIN unit u ON u.id = i.unit_id
      LEFT JOIN division d ON d.id = u.division_id AND d.status = 'published'
     WHERE s.kind IS NULL OR (i.closed_at IS NOT NULL) <> s.is_final OR d.id IS NULL
        OR u.division_id <> i.division_id OR u.grid_id <> i.grid_id OR u.code <> i.unit_code
        OR NOT d.valid @> i.occurred_at
     LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION '已存储的事件 % 不一致（状态、结案时间或落格快照），请先更正', bad;
    END IF;
END $$;

-- Every change of state is an event: who, when, from, to, why. The event log is history: rows
-- are added, never changed or removed.
ALTER TABLE incident_event RENAME COLUMN status TO to_status;

ALTER TABLE incident_event RENAME COLUMN note TO reason;

ALTER TABLE incident_event
    ADD COLUMN kind text NOT NULL DEFAULT 'transition',
    ADD COLUMN from_status text,
    ADD COLUMN due_at timestamptz,            -- the deadline from this event on
    ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now(),
    ALTER COLUMN to_status DROP NOT NULL,
    ADD CONSTRAINT incident_event_kind CHECK (kind IN ('transition', 'extension')),
    ADD CONSTRAINT incident_event_transition CHECK (
        kind <> 'transition'
        OR (from_status IS NOT NULL AND to_status IS NOT NULL AND from_status <> to_status)),
    ADD CONSTRAINT incident_event_extension CHECK (kind <> 'extension' OR due_at IS NOT NULL),
    ADD CONSTRAINT incident_event_reason CHECK (char_length(reason) <= 2000),
    ADD CONSTRAINT incident_event_not_future CHECK (at <= recorded_at + interval '10 minutes'),
    ADD FOREIGN KEY (street_code, by_person) REFERENCES person;

ALTER TABLE incident_event DROP CONSTRAINT incident_event_street_code_incident_id_fkey,
    ADD FOREIGN KEY (street_code, incident_id) REFERENCES incident;

CREATE INDEX incident_event_incident_idx ON incident_event (street_code, incident_id, at);

-- Personal data of parties stays with its incident: removing an incident that has parties is
-- refused rather than cascaded.
ALTER TABLE incident_party DROP CONSTRAINT incident_party_street_code_incident_id_fkey,
    ADD FOREIGN KEY (street_code, incident_id) REFERENCES incident,
    ADD CONSTRAINT incident_party_limits CHECK (
        char_length(name) BETWEEN 1 AND 50 AND char_length(id_number) <= 18
        AND char_length(phone) <= 30 AND char_length(address) <= 200);

CREATE INDEX incident_party_incident_idx ON incident_party (street_code, incident_id);

-- Links between incidents (see link_kind): which rule they follow, and that an escalation
-- comes after what it escalates. A duplicate points at the original, never at another duplicate.
CREATE TABLE incident_link (
    street_code  text NOT NULL,
    id           bigint GENERATED BY DEFAULT AS IDENTITY,
    from_id      bigint NOT NULL,
    to_id        bigint NOT NULL,
    link         text NOT NULL REFERENCES link_kind,
    at           timestamptz NOT NULL DEFAULT now(),
    by_person    integer,
    note         text NOT NULL DEFAULT '',
    PRIMARY KEY (street_code, id),
    UNIQUE (street_code, from_id, to_id, link),
    FOREIGN KEY (street_code, from_id) REFERENCES incident,
    FOREIGN KEY (street_code, to_id) REFERENCES incident,
    FOREIGN KEY (street_code, by_person) REFERENCES person,
    CHECK (from_id <> to_id),
    CHECK (char_length(note) <= 2000)
);

CREATE INDEX incident_link_to_idx ON incident_link (street_code, to_id);

CREATE UNIQUE INDEX incident_link_one_original ON incident_link (street_code, from_id)
    WHERE link = 'duplicate';
