-- Pulled events this station could not apply (a value no column holds, a reference to a record it
-- does not have, a clock far ahead): kept whole with the reason, counted in the staff app's sync
-- details, while the cursor moves on (sync/station.py, `apply_page`). Station-only.
CREATE TABLE "set_aside" ("event_id" TEXT NOT NULL PRIMARY KEY, "tbl" TEXT NOT NULL, "record_id" TEXT NOT NULL, "device_id" TEXT NOT NULL, "member" TEXT, "reason" TEXT NOT NULL, "event" TEXT NOT NULL, "at" TEXT NOT NULL);
CREATE INDEX "set_aside_member" ON "set_aside" ("member");
CREATE INDEX "set_aside_at" ON "set_aside" ("at");
