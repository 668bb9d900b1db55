-- An attempt's response headers come from the endpoint and may hold any
-- character, \u0000 too, which jsonb refuses and json keeps: they are json,
-- like the other JSON Herald keeps from outside.

-- +goose Up
ALTER TABLE attempts ALTER COLUMN response_headers TYPE json USING response_headers::json;
ALTER TABLE attempts ALTER COLUMN response_headers SET DEFAULT '{}';

-- +goose Down
ALTER TABLE attempts ALTER COLUMN response_headers TYPE jsonb USING response_headers::jsonb;
ALTER TABLE attempts ALTER COLUMN response_headers SET DEFAULT '{}';
