-- What the server answered to a submission carrying a client id (a phone's report), so that a
-- repeat of the same id gets the same answer and a repeat with other content a conflict:
-- nothing is created twice on a bad network. ``digest`` is the SHA-256 of the submission as
-- the server read it (gridmap.intake.pins.digest).
CREATE TABLE api_receipt (
    street_code  text NOT NULL REFERENCES street ON DELETE CASCADE,
    client_id    uuid NOT NULL,
    digest       text NOT NULL,
    account_id   integer REFERENCES account ON DELETE CASCADE,
    status       smallint NOT NULL,
    body         jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (street_code, client_id),
    CONSTRAINT api_receipt_digest CHECK (digest ~ '^[0-9a-f]{64}$'),
    CONSTRAINT api_receipt_status CHECK (status BETWEEN 200 AND 299)
);
