-- A keyed hash of a party's ID-card number (incident_party.id_key), so that a repeat
-- petitioner can be recognised across cases without anyone seeing the number: HMAC-SHA-256
-- under the server's PII_KEY (gridmap.accounts.pii.id_key), 32 hex digits. The key never reaches the
-- database; rows stored before this migration get theirs from `gridmap db maintain`.
ALTER TABLE incident_party ADD COLUMN id_key text,
    ADD CONSTRAINT incident_party_id_key CHECK (id_key ~ '^[0-9a-f]{32}$');

CREATE INDEX incident_party_id_key_idx ON incident_party (street_code, id_key)
    WHERE id_key IS NOT NULL;
