-- A case's follow-up (跟进): notes and photos added by the people handling it. Both are history:
-- added, never changed or removed (a purge of the street removes them with its incidents).
-- A photo's bytes live in the instance folder under a name the server chose
-- (gridmap.cases.photos); the row says what they are.
CREATE TABLE incident_note (
    street_code  text NOT NULL,
    id           bigint GENERATED ALWAYS AS IDENTITY,
    incident_id  bigint NOT NULL,
    body         text NOT NULL,
    by_person    integer,
    at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (street_code, id),
    FOREIGN KEY (street_code, incident_id) REFERENCES incident ON DELETE CASCADE,
    FOREIGN KEY (street_code, by_person) REFERENCES person,
    CONSTRAINT incident_note_body CHECK (char_length(btrim(body)) BETWEEN 1 AND 2000)
);

CREATE INDEX incident_note_incident_idx ON incident_note (street_code, incident_id, at);

CREATE TABLE incident_photo (
    street_code   text NOT NULL,
    id            bigint GENERATED ALWAYS AS IDENTITY,
    incident_id   bigint NOT NULL,
    file          text NOT NULL,          -- the server's name for the bytes
    content_type  text NOT NULL,
    bytes         integer NOT NULL,
    width         integer NOT NULL,
    height        integer NOT NULL,
    sha256        text NOT NULL,
    by_person     integer,
    at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (street_code, id),
    UNIQUE (file),
    FOREIGN KEY (street_code, incident_id) REFERENCES incident ON DELETE CASCADE,
    FOREIGN KEY (street_code, by_person) REFERENCES person,
    CONSTRAINT incident_photo_file CHECK (file ~ '^[0-9a-f]{32}\.(jpg|png|webp)$'),
    CONSTRAINT incident_photo_type CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
    CONSTRAINT incident_photo_size CHECK (bytes > 0 AND width > 0 AND height > 0),
    CONSTRAINT incident_photo_sha256 CHECK (sha256 ~ '^[0-9a-f]{64}$')
);

CREATE INDEX incident_photo_incident_idx ON incident_photo (street_code, incident_id, at);
