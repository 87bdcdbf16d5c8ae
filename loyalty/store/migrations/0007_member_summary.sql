-- Summaries of the ledger for the manager's dashboard and lists (loyalty/services/insights.py): facts
-- per member and totals per quarter hour, kept equal to the ledger by triggers, so the figures read one row per member instead of seeking through a
-- million ledger entries. The views *_fresh are the definitions: the triggers copy its row
-- for every member whose entries change (check-ins, sync-applied entries and undos alike), the backfill
-- copies all of it, and the tests compare the table with it.
-- A visit or revenue entry that was undone (an `undo` entry refers to it) counts nowhere; balances are
-- plain sums of points, since an undo carries its own reversing points. Revenue is purchases,
-- treatments and refunds in cents. second_visit is the first visit after first_visit's moment,
-- prev_visit the one before last_visit in time order (ties included).
CREATE TABLE "member_summary" ("member_id" TEXT NOT NULL PRIMARY KEY, "balance" INTEGER NOT NULL, "visits" INTEGER NOT NULL, "first_visit" TEXT, "second_visit" TEXT, "prev_visit" TEXT, "last_visit" TEXT, "revenue_cents" INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX "member_summary_first_visit" ON "member_summary" ("first_visit");
CREATE VIEW "member_summary_fresh" AS
SELECT m.id AS member_id,
       (SELECT COALESCE(SUM(e.points), 0) FROM ledger_entry e WHERE e.member_id = m.id) AS balance,
       (SELECT COUNT(*) FROM ledger_entry v WHERE v.member_id = m.id AND v.kind = 'visit'
        AND NOT EXISTS (SELECT 1 FROM ledger_entry u WHERE u.ref = v.id AND u.kind = 'undo')) AS visits,
       (SELECT MIN(v.created_at) FROM ledger_entry v WHERE v.member_id = m.id AND v.kind = 'visit'
        AND NOT EXISTS (SELECT 1 FROM ledger_entry u WHERE u.ref = v.id AND u.kind = 'undo')) AS first_visit,
       (SELECT MIN(v.created_at) FROM ledger_entry v WHERE v.member_id = m.id AND v.kind = 'visit'
        AND NOT EXISTS (SELECT 1 FROM ledger_entry u WHERE u.ref = v.id AND u.kind = 'undo')
        AND v.created_at > (SELECT MIN(w.created_at) FROM ledger_entry w WHERE w.member_id = m.id AND w.kind = 'visit'
                            AND NOT EXISTS (SELECT 1 FROM ledger_entry u WHERE u.ref = w.id AND u.kind = 'undo'))) AS second_visit,
       (SELECT v.created_at FROM ledger_entry v WHERE v.member_id = m.id AND v.kind = 'visit'
        AND NOT EXISTS (SELECT 1 FROM ledger_entry u WHERE u.ref = v.id AND u.kind = 'undo')
        ORDER BY v.created_at DESC LIMIT 1 OFFSET 1) AS prev_visit,
       (SELECT MAX(v.created_at) FROM ledger_entry v WHERE v.member_id = m.id AND v.kind = 'visit'
        AND NOT EXISTS (SELECT 1 FROM ledger_entry u WHERE u.ref = v.id AND u.kind = 'undo')) AS last_visit,
       (SELECT COALESCE(SUM(r.amount_cents), 0) FROM ledger_entry r WHERE r.member_id = m.id
        AND r.kind IN ('purchase', 'treatment', 'refund')
        AND NOT EXISTS (SELECT 1 FROM ledger_entry u WHERE u.ref = r.id AND u.kind = 'undo')) AS revenue_cents
FROM member m;
INSERT INTO "member_summary" SELECT * FROM "member_summary_fresh";
CREATE TRIGGER "member_summary_member_insert" AFTER INSERT ON "member" BEGIN
  INSERT OR REPLACE INTO "member_summary" SELECT * FROM "member_summary_fresh" WHERE member_id = NEW.id;
END;
CREATE TRIGGER "member_summary_member_delete" AFTER DELETE ON "member" BEGIN
  DELETE FROM "member_summary" WHERE member_id = OLD.id;
END;
CREATE TRIGGER "member_summary_entry_insert" AFTER INSERT ON "ledger_entry" BEGIN
  INSERT OR REPLACE INTO "member_summary" SELECT * FROM "member_summary_fresh" WHERE member_id = NEW.member_id;
  INSERT OR REPLACE INTO "member_summary" SELECT * FROM "member_summary_fresh"
  WHERE NEW.ref IS NOT NULL AND member_id = (SELECT o.member_id FROM ledger_entry o WHERE o.id = NEW.ref)
    AND member_id <> NEW.member_id;
END;
CREATE TRIGGER "member_summary_entry_delete" AFTER DELETE ON "ledger_entry" BEGIN
  INSERT OR REPLACE INTO "member_summary" SELECT * FROM "member_summary_fresh"
  WHERE member_id IN (OLD.member_id, (SELECT o.member_id FROM ledger_entry o WHERE o.id = OLD.ref));
END;
-- Ledger totals per quarter hour (UTC) and kind, for the weekly charts and the period sums: entries,
-- points and cents of the entries not undone; the triggers add each new entry and take out the one an
-- undo undoes (once: a second undo of it, met at sync, changes nothing; an undo that arrives before
-- its entry keeps the entry out). `bucket` is the quarter hour's start written like
-- created_at, so `bucket >= lo AND bucket < hi` picks exactly the entries of [lo, hi) when lo and hi
-- are local midnights: every time zone's offset today is a whole number of quarter hours.
CREATE TABLE "ledger_bucket" ("bucket" TEXT NOT NULL, "kind" TEXT NOT NULL, "entries" INTEGER NOT NULL, "points" INTEGER NOT NULL, "amount_cents" INTEGER NOT NULL, PRIMARY KEY ("bucket", "kind")) WITHOUT ROWID;
CREATE VIEW "ledger_bucket_fresh" AS
SELECT substr(e.created_at, 1, 14) || printf('%02d', CAST(substr(e.created_at, 15, 2) AS INTEGER) / 15 * 15) || ':00.000000Z' AS bucket, e.kind AS kind, COUNT(*) AS entries, SUM(e.points) AS points,
       SUM(e.amount_cents) AS amount_cents
FROM ledger_entry e WHERE NOT EXISTS (SELECT 1 FROM ledger_entry u WHERE u.ref = e.id AND u.kind = 'undo')
GROUP BY 1, 2;
INSERT INTO "ledger_bucket" SELECT * FROM "ledger_bucket_fresh";
CREATE TRIGGER "ledger_bucket_entry_insert" AFTER INSERT ON "ledger_entry" BEGIN
  INSERT INTO "ledger_bucket" ("bucket", "kind", "entries", "points", "amount_cents")
  SELECT substr(NEW.created_at, 1, 14) || printf('%02d', CAST(substr(NEW.created_at, 15, 2) AS INTEGER) / 15 * 15) || ':00.000000Z', NEW.kind, 1, NEW.points, NEW.amount_cents
  WHERE NOT EXISTS (SELECT 1 FROM ledger_entry u WHERE u.ref = NEW.id AND u.kind = 'undo')
  ON CONFLICT ("bucket", "kind") DO UPDATE SET "entries" = "entries" + 1, "points" = "points" + excluded."points",
                                               "amount_cents" = "amount_cents" + excluded."amount_cents";
  UPDATE "ledger_bucket" SET "entries" = "ledger_bucket"."entries" - 1, "points" = "ledger_bucket"."points" - o.points,
                             "amount_cents" = "ledger_bucket"."amount_cents" - o.amount_cents
  FROM (SELECT created_at, kind, points, amount_cents FROM ledger_entry WHERE id = NEW.ref) o
  WHERE NEW.kind = 'undo' AND "bucket" = substr(o.created_at, 1, 14) || printf('%02d', CAST(substr(o.created_at, 15, 2) AS INTEGER) / 15 * 15) || ':00.000000Z' AND "ledger_bucket"."kind" = o.kind
    AND NOT EXISTS (SELECT 1 FROM ledger_entry u WHERE u.ref = NEW.ref AND u.kind = 'undo' AND u.id <> NEW.id);
END;
-- Deleting a member deletes their entries (ON DELETE CASCADE): each one leaves the totals, and an undo
-- that leaves puts the entry it undid back, unless another undo of it remains.
CREATE TRIGGER "ledger_bucket_entry_delete" AFTER DELETE ON "ledger_entry" BEGIN
  UPDATE "ledger_bucket" SET "entries" = "entries" - 1, "points" = "points" - OLD.points,
                             "amount_cents" = "amount_cents" - OLD.amount_cents
  WHERE "bucket" = substr(OLD.created_at, 1, 14) || printf('%02d', CAST(substr(OLD.created_at, 15, 2) AS INTEGER) / 15 * 15) || ':00.000000Z' AND "kind" = OLD.kind
    AND NOT EXISTS (SELECT 1 FROM ledger_entry u WHERE u.ref = OLD.id AND u.kind = 'undo');
  UPDATE "ledger_bucket" SET "entries" = "ledger_bucket"."entries" + 1, "points" = "ledger_bucket"."points" + o.points,
                             "amount_cents" = "ledger_bucket"."amount_cents" + o.amount_cents
  FROM (SELECT created_at, kind, points, amount_cents FROM ledger_entry WHERE id = OLD.ref) o
  WHERE OLD.kind = 'undo' AND "bucket" = substr(o.created_at, 1, 14) || printf('%02d', CAST(substr(o.created_at, 15, 2) AS INTEGER) / 15 * 15) || ':00.000000Z' AND "ledger_bucket"."kind" = o.kind
    AND NOT EXISTS (SELECT 1 FROM ledger_entry u WHERE u.ref = OLD.ref AND u.kind = 'undo');
END;
-- The ledger is append-only (corrections are new entries), which is what keeps the two tables above
-- simple: a change to an entry's amounts, kind, time, member or reference is refused. Erasure blanks
-- item codes and reasons only.
CREATE TRIGGER "ledger_entry_append_only" BEFORE UPDATE OF "id", "member_id", "kind", "points", "stamps", "amount_cents", "ref", "created_at" ON "ledger_entry"
WHEN OLD.id IS NOT NEW.id OR OLD.member_id IS NOT NEW.member_id OR OLD.kind IS NOT NEW.kind
  OR OLD.points IS NOT NEW.points OR OLD.stamps IS NOT NEW.stamps OR OLD.amount_cents IS NOT NEW.amount_cents
  OR OLD.ref IS NOT NEW.ref OR OLD.created_at IS NOT NEW.created_at
BEGIN
  SELECT RAISE(ABORT, 'ledger entries are append-only: correct one with a new entry');
END;
-- The rebooking figure and the recall list look for a later treatment of the same kind per member;
-- the dashboard reads the treatments of a period from the second index alone.
CREATE INDEX "treatment_member_id_item_code_performed_at" ON "treatment" ("member_id", "item_code", "performed_at", "entry");
CREATE INDEX "treatment_performed_at" ON "treatment" ("performed_at", "member_id", "item_code", "recall_due", "entry");
-- Erased members are few; balances owed leave them out through this small index.
CREATE INDEX "member_erased" ON "member" ("id") WHERE "erased_at" IS NOT NULL;
