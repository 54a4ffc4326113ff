-- schema version 6: a rejected push op's refusal as its code and arguments (JSON `{"code", "args"}`) beside
-- the English reason, so a retried push repeats the code too. NULL for ops answered before it.
ALTER TABLE client_ops ADD COLUMN refusal TEXT;
