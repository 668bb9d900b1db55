-- Replies to platforms: an inbound webhook's bot token (Slack
-- chat.postMessage, Telegram sendMessage), and per invocation where its
-- response goes back to (JSON, NULL: nowhere) and how sending it went.

-- +goose Up
ALTER TABLE inbound_webhooks ADD COLUMN bot_token text NOT NULL DEFAULT '';
ALTER TABLE invocations ADD COLUMN reply_to text;
ALTER TABLE invocations ADD COLUMN reply_status text NOT NULL DEFAULT '';
ALTER TABLE invocations ADD COLUMN reply_error text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE invocations DROP COLUMN reply_error;
ALTER TABLE invocations DROP COLUMN reply_status;
ALTER TABLE invocations DROP COLUMN reply_to;
ALTER TABLE inbound_webhooks DROP COLUMN bot_token;
