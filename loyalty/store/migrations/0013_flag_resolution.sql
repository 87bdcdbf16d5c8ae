-- A flag (many transactions in a day, a negative balance) is resolved by a manager who says what
-- they found: who (staff id) and the note travel with the flag (loyalty/services/flags.py).
ALTER TABLE "flag" ADD COLUMN "resolved_by" TEXT;
ALTER TABLE "flag" ADD COLUMN "note" TEXT;
-- The manager's list reads the open flags, oldest first.
CREATE INDEX "flag_open_at" ON "flag" ("at") WHERE "resolved_at" IS NULL;
