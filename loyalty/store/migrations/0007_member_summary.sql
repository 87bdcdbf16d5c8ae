-- Per-member facts for the manager's dashboard and lists (loyalty/services/insights.py), kept equal to
-- the ledger by triggers, so the figures read one row per member instead of seeking through a
-- million ledger entries. The view member_summary_fresh is the definition: the triggers copy its row
-- for every member whose entries change (check-ins, sync-applied entries and undos alike), the backfill
-- copies all of it, and the tests compare the table with it.
-- A visit or revenue entry that was undone (an `undo` entry refers to it) counts nowhere; balances are
-- plain sums of points, since an undo carries its own reversing points. Revenue is purchases,
-- treatments and refunds in cents. second_visit is the first visit after first_visit's moment,
-- prev_visit the one before last_visit in time order (ties included).
CREATE TABLE "member_summary" ("member_id" TEXT NOT NULL PRIMARY KEY, "balance" INTEGER NOT NULL, "visits" INTEGER NOT NULL, "first_visit" TEXT, "second_visit" TEXT, "prev_visit" TEXT, "last_visit" TEXT, "revenue_cents" INTEGER NOT NULL);
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
CREATE TRIGGER "member_summary_entry_update" AFTER UPDATE OF "id", "member_id", "kind", "points", "amount_cents", "ref", "created_at" ON "ledger_entry" BEGIN
  INSERT OR REPLACE INTO "member_summary" SELECT * FROM "member_summary_fresh"
  WHERE member_id IN (OLD.member_id, NEW.member_id,
                      (SELECT o.member_id FROM ledger_entry o WHERE o.id = OLD.ref),
                      (SELECT o.member_id FROM ledger_entry o WHERE o.id = NEW.ref));
END;
CREATE TRIGGER "member_summary_entry_delete" AFTER DELETE ON "ledger_entry" BEGIN
  INSERT OR REPLACE INTO "member_summary" SELECT * FROM "member_summary_fresh"
  WHERE member_id IN (OLD.member_id, (SELECT o.member_id FROM ledger_entry o WHERE o.id = OLD.ref));
END;
-- The rebooking figure and the recall list look for a later treatment of the same kind per member,
-- and the dashboard picks the treatments of a period.
CREATE INDEX "treatment_member_id_item_code_performed_at" ON "treatment" ("member_id", "item_code", "performed_at", "entry");
CREATE INDEX "treatment_performed_at" ON "treatment" ("performed_at");
