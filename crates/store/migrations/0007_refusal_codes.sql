-- schema version 7: the hub's refusal as a code with arguments beside its English reason, so the cockpit says
-- it in the user's language. Rows settled before keep only `reason` (code NULL): the cockpit shows the reason.
ALTER TABLE outbox ADD COLUMN code TEXT;
ALTER TABLE outbox ADD COLUMN args TEXT;
