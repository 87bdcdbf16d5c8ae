-- Sync: each outbox row becomes an event with its own id, hybrid logical clock, changed fields and
-- HQ's receipt; row_clock keeps per-field clocks of mutable rows for last-writer-wins merges.
ALTER TABLE "outbox" ADD COLUMN "event_id" TEXT;
UPDATE "outbox" SET "event_id" = lower(hex(randomblob(16))) WHERE "event_id" IS NULL;
CREATE UNIQUE INDEX "outbox_event_id" ON "outbox" ("event_id");
ALTER TABLE "outbox" ADD COLUMN "hlc" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "outbox" ADD COLUMN "fields" TEXT;
ALTER TABLE "outbox" ADD COLUMN "receipt" TEXT;
ALTER TABLE "outbox" ADD COLUMN "reason" TEXT;
CREATE INDEX "outbox_receipt" ON "outbox" ("receipt");
CREATE TABLE "row_clock" ("tbl" TEXT NOT NULL, "record_id" TEXT NOT NULL, "clocks" TEXT NOT NULL, PRIMARY KEY ("tbl", "record_id"));
