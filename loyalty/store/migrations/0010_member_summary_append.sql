-- The member summary's insert trigger recomputed the member's whole row from the ledger on every
-- entry, so an entry cost grew with the member's own history (10,000 entries of one member pulled
-- at once took seconds). Most entries only add to the end: an entry that is not an undo, that no
-- undo refers to yet, and, for a visit, that is later than the member's last visit. Those update
-- the row in place; every other entry (an undo, a visit that arrives out of order at sync, an entry
-- an undo that came first refers to, a member without a row) still takes the full recompute from
-- member_summary_fresh, which stays the definition the tests compare with.
DROP TRIGGER "member_summary_entry_insert";
CREATE TRIGGER "member_summary_entry_insert" AFTER INSERT ON "ledger_entry" BEGIN
  UPDATE "member_summary" SET
    "balance" = "balance" + COALESCE(NEW.points, 0),
    "revenue_cents" = "revenue_cents" + CASE WHEN NEW.kind IN ('purchase', 'treatment', 'refund')
                                             THEN COALESCE(NEW.amount_cents, 0) ELSE 0 END,
    "visits" = "visits" + (NEW.kind = 'visit'),
    "first_visit" = CASE WHEN NEW.kind = 'visit' THEN COALESCE("first_visit", NEW.created_at) ELSE "first_visit" END,
    "second_visit" = CASE WHEN NEW.kind = 'visit' AND "first_visit" IS NOT NULL AND "second_visit" IS NULL
                          THEN NEW.created_at ELSE "second_visit" END,
    "prev_visit" = CASE WHEN NEW.kind = 'visit' THEN "last_visit" ELSE "prev_visit" END,
    "last_visit" = CASE WHEN NEW.kind = 'visit' THEN NEW.created_at ELSE "last_visit" END
  WHERE "member_id" = NEW.member_id AND NEW.kind <> 'undo'
    AND (NEW.kind <> 'visit' OR "last_visit" IS NULL OR NEW.created_at > "last_visit")
    AND NOT EXISTS (SELECT 1 FROM ledger_entry u WHERE u.ref = NEW.id AND u.kind = 'undo');
  INSERT OR REPLACE INTO "member_summary" SELECT * FROM "member_summary_fresh"
  WHERE member_id = NEW.member_id AND changes() = 0;
  INSERT OR REPLACE INTO "member_summary" SELECT * FROM "member_summary_fresh"
  WHERE NEW.ref IS NOT NULL AND member_id = (SELECT o.member_id FROM ledger_entry o WHERE o.id = NEW.ref)
    AND member_id <> NEW.member_id;
END;
