-- Day rollups for the manager's dashboard (loyalty/services/insights.py, loyalty/tally.py), kept by
-- triggers as entries arrive, the same rollups HQ keeps for its overview (sync/hq/rollups.py), so a
-- location's figures at HQ are the station's own. Defined by loyalty/activity.py; the views *_fresh
-- compute them from scratch (refill and tests).
--   member_rollup: a number per member (for the day sets), their home, the local days they joined,
--     first and last visited, whether they were erased, and their balance (for the points liability). home is the HQ location they belong to,
--     or 'device:<id>' of the station that enrolled them before it joined HQ.
--   member_day: per member and local day, what counts in the figures (entries an undo of the same
--     member refers to count nowhere) and the day's points (all entries: the balance).
--   location_day: per home and local day, the sums of member_day and the day's enrolments, and the sets
--     of members who visited, first visited and joined that day (member numbers packed as
--     loyalty.tally.pack does, kept by the SQL functions set_with and set_without).
--   treatment_recall: per treatment with a recall date that was not undone, its home, the day it was
--     performed, the last day to rebook it (recall date plus 14 grace days, kpis.REBOOK_GRACE_DAYS) and
--     whether the same treatment followed by then, for the rebooking figure.
-- Days are local calendar days of the program's time zone as ordinals (date.toordinal()), from the SQL
-- function local_day() (loyalty/store/db.py); a program in another time zone refills them.
CREATE TABLE "member_rollup" ("n" INTEGER PRIMARY KEY, "member_id" TEXT NOT NULL UNIQUE, "home" TEXT NOT NULL, "created_day" INTEGER NOT NULL, "first_day" INTEGER, "last_day" INTEGER, "erased" INTEGER NOT NULL, "balance" INTEGER NOT NULL DEFAULT 0);
CREATE INDEX "member_rollup_home_balance" ON "member_rollup" ("home", "erased", "balance");
CREATE INDEX "member_rollup_home_first_day" ON "member_rollup" ("home", "first_day", "n");
CREATE INDEX "member_rollup_home_created_day" ON "member_rollup" ("home", "created_day", "n");
CREATE INDEX "member_rollup_erased" ON "member_rollup" ("home", "n") WHERE "erased";
CREATE TABLE "member_day" ("n" INTEGER NOT NULL, "day" INTEGER NOT NULL, "home" TEXT NOT NULL, "visits" INTEGER NOT NULL DEFAULT 0, "paid" INTEGER NOT NULL DEFAULT 0, "revenue_cents" INTEGER NOT NULL DEFAULT 0, "redemptions" INTEGER NOT NULL DEFAULT 0, "redeemed_points" INTEGER NOT NULL DEFAULT 0, "redeemed_value_cents" INTEGER NOT NULL DEFAULT 0, "earned_points" INTEGER NOT NULL DEFAULT 0, "points" INTEGER NOT NULL DEFAULT 0, "responses" INTEGER NOT NULL DEFAULT 0, "promoters" INTEGER NOT NULL DEFAULT 0, "detractors" INTEGER NOT NULL DEFAULT 0, PRIMARY KEY ("n", "day")) WITHOUT ROWID;
CREATE INDEX "member_day_day" ON "member_day" ("day", "n", "points");
CREATE TABLE "location_day" ("home" TEXT NOT NULL, "day" INTEGER NOT NULL, "enrolments" INTEGER NOT NULL DEFAULT 0, "visits" INTEGER NOT NULL DEFAULT 0, "paid" INTEGER NOT NULL DEFAULT 0, "revenue_cents" INTEGER NOT NULL DEFAULT 0, "redemptions" INTEGER NOT NULL DEFAULT 0, "redeemed_points" INTEGER NOT NULL DEFAULT 0, "redeemed_value_cents" INTEGER NOT NULL DEFAULT 0, "earned_points" INTEGER NOT NULL DEFAULT 0, "responses" INTEGER NOT NULL DEFAULT 0, "promoters" INTEGER NOT NULL DEFAULT 0, "detractors" INTEGER NOT NULL DEFAULT 0, "visitors" BLOB, "firsts" BLOB, "enrolled" BLOB, PRIMARY KEY ("home", "day")) WITHOUT ROWID;

CREATE VIEW "member_rollup_fresh" AS
SELECT m.id AS member_id, COALESCE(m.home_location, 'device:' || m.created_device) AS home,
       local_day(m.created_at) AS created_day,
       (SELECT MIN(local_day(v.created_at)) FROM ledger_entry v WHERE v.member_id = m.id AND v.kind = 'visit'
        AND NOT EXISTS (SELECT 1 FROM ledger_entry u WHERE u.ref = v.id AND u.kind = 'undo' AND u.member_id = v.member_id)) AS first_day,
       (SELECT MAX(local_day(v.created_at)) FROM ledger_entry v WHERE v.member_id = m.id AND v.kind = 'visit'
        AND NOT EXISTS (SELECT 1 FROM ledger_entry u WHERE u.ref = v.id AND u.kind = 'undo' AND u.member_id = v.member_id)) AS last_day,
       m.erased_at IS NOT NULL AS erased,
       (SELECT COALESCE(SUM(e.points), 0) FROM ledger_entry e WHERE e.member_id = m.id) AS balance
FROM member m;
CREATE VIEW "member_day_fresh" AS
WITH counted AS (
  SELECT e.member_id, local_day(e.created_at) AS day, e.points,
         CASE WHEN EXISTS (SELECT 1 FROM ledger_entry u WHERE u.ref = e.id AND u.kind = 'undo' AND u.member_id = e.member_id)
              THEN NULL ELSE e.kind END AS kind, e.amount_cents
  FROM ledger_entry e),
parts AS (
  SELECT member_id, day, kind = 'visit' AS visits, kind IN ('purchase', 'treatment') AS paid,
         CASE WHEN kind IN ('purchase', 'treatment', 'refund') THEN amount_cents ELSE 0 END AS revenue_cents,
         kind = 'redeem' AS redemptions, CASE WHEN kind = 'redeem' THEN -points ELSE 0 END AS redeemed_points,
         CASE WHEN kind = 'redeem' THEN amount_cents ELSE 0 END AS redeemed_value_cents,
         CASE WHEN kind IN ('signup', 'visit', 'purchase', 'treatment', 'referral', 'birthday', 'refund') THEN points ELSE 0 END
           AS earned_points, points, 0 AS responses, 0 AS promoters, 0 AS detractors
  FROM counted
  UNION ALL
  SELECT member_id, local_day(at), 0, 0, 0, 0, 0, 0, 0, 0, 1, score >= 9, score <= 6 FROM feedback WHERE score IS NOT NULL)
SELECT r.n AS n, p.day AS day, r.home AS home, COALESCE(SUM(p.visits), 0) AS visits, COALESCE(SUM(p.paid), 0) AS paid,
       SUM(p.revenue_cents) AS revenue_cents, COALESCE(SUM(p.redemptions), 0) AS redemptions,
       SUM(p.redeemed_points) AS redeemed_points, SUM(p.redeemed_value_cents) AS redeemed_value_cents,
       SUM(p.earned_points) AS earned_points, SUM(p.points) AS points, SUM(p.responses) AS responses,
       SUM(p.promoters) AS promoters, SUM(p.detractors) AS detractors
FROM parts p JOIN member_rollup r ON r.member_id = p.member_id
GROUP BY r.n, p.day;
CREATE VIEW "location_day_fresh" AS
SELECT home, day, SUM(enrolments) AS enrolments, SUM(visits) AS visits, SUM(paid) AS paid,
       SUM(revenue_cents) AS revenue_cents, SUM(redemptions) AS redemptions, SUM(redeemed_points) AS redeemed_points,
       SUM(redeemed_value_cents) AS redeemed_value_cents, SUM(earned_points) AS earned_points,
       SUM(responses) AS responses, SUM(promoters) AS promoters, SUM(detractors) AS detractors,
       member_set(visitor) AS visitors, member_set(first) AS firsts, member_set(joined) AS enrolled
FROM (SELECT home, day, 0 AS enrolments, visits, paid, revenue_cents, redemptions, redeemed_points,
             redeemed_value_cents, earned_points, responses, promoters, detractors,
             CASE WHEN visits > 0 THEN n END AS visitor, NULL AS first, NULL AS joined FROM member_day
      UNION ALL
      SELECT home, created_day, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL, n FROM member_rollup
      UNION ALL
      SELECT home, first_day, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, n, NULL FROM member_rollup WHERE first_day IS NOT NULL)
GROUP BY home, day;

CREATE TABLE "treatment_recall" ("treatment_id" TEXT NOT NULL PRIMARY KEY, "member_id" TEXT NOT NULL, "home" TEXT NOT NULL, "item_code" TEXT NOT NULL, "day" INTEGER NOT NULL, "close_day" INTEGER NOT NULL, "rebooked" INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX "treatment_recall_home_day" ON "treatment_recall" ("home", "day", "item_code", "close_day", "rebooked");
CREATE INDEX "treatment_recall_member" ON "treatment_recall" ("member_id", "item_code");
CREATE INDEX "treatment_entry" ON "treatment" ("entry");
CREATE VIEW "treatment_live" AS
SELECT t.* FROM treatment t
WHERE t.entry IS NULL OR NOT EXISTS (SELECT 1 FROM ledger_entry u WHERE u.ref = t.entry AND u.kind = 'undo' AND u.member_id = t.member_id);
CREATE VIEW "treatment_recall_fresh" AS
SELECT t.id AS treatment_id, t.member_id AS member_id, r.home AS home, t.item_code AS item_code,
       local_day(t.performed_at) AS day, local_day(strftime('%Y-%m-%dT%H:%M', t.recall_due, '+14 days')) AS close_day,
       EXISTS (SELECT 1 FROM treatment_live n WHERE n.member_id = t.member_id AND n.item_code = t.item_code
               AND n.performed_at > t.performed_at AND julianday(n.performed_at) <= julianday(t.recall_due) + 14) AS rebooked
FROM treatment_live t JOIN member_rollup r ON r.member_id = t.member_id
WHERE t.recall_due IS NOT NULL;

INSERT INTO "member_rollup" ("member_id", "home", "created_day", "first_day", "last_day", "erased")
SELECT id, COALESCE(home_location, 'device:' || created_device), local_day(created_at), NULL, NULL, erased_at IS NOT NULL
FROM "member" ORDER BY created_at, id;
INSERT INTO "member_day" SELECT * FROM "member_day_fresh";
UPDATE "member_rollup" SET "first_day" = v.first, "last_day" = v.last, "balance" = v.balance
FROM (SELECT n, MIN(CASE WHEN visits > 0 THEN day END) AS first, MAX(CASE WHEN visits > 0 THEN day END) AS last,
             SUM(points) AS balance FROM "member_day" GROUP BY n) v
WHERE "member_rollup"."n" = v.n;
INSERT INTO "location_day" SELECT * FROM "location_day_fresh";
INSERT INTO "treatment_recall" SELECT * FROM "treatment_recall_fresh";

-- Members: a number, and a row at their home on the day they joined; a move takes their days along.
CREATE TRIGGER "member_rollup_member_insert" AFTER INSERT ON "member" BEGIN
  INSERT INTO "member_rollup" ("member_id", "home", "created_day", "first_day", "last_day", "erased")
  VALUES (NEW.id, COALESCE(NEW.home_location, 'device:' || NEW.created_device), local_day(NEW.created_at), NULL, NULL,
          NEW.erased_at IS NOT NULL);
END;
CREATE TRIGGER "member_rollup_member_update" AFTER UPDATE OF "home_location", "created_device", "created_at", "erased_at" ON "member" BEGIN
  UPDATE "member_rollup" SET "home" = COALESCE(NEW.home_location, 'device:' || NEW.created_device),
                             "created_day" = local_day(NEW.created_at), "erased" = NEW.erased_at IS NOT NULL
  WHERE "member_id" = NEW.id;
END;
CREATE TRIGGER "member_rollup_member_delete" AFTER DELETE ON "member" BEGIN
  DELETE FROM "member_day" WHERE "n" = (SELECT "n" FROM "member_rollup" WHERE "member_id" = OLD.id);
  DELETE FROM "member_rollup" WHERE "member_id" = OLD.id;
END;
CREATE TRIGGER "location_day_member_insert" AFTER INSERT ON "member_rollup" BEGIN
  INSERT INTO "location_day" ("home", "day", "enrolments", "enrolled") VALUES (NEW.home, NEW.created_day, 1, set_with(NULL, NEW.n))
  ON CONFLICT ("home", "day") DO UPDATE SET "enrolments" = "enrolments" + 1, "enrolled" = set_with("enrolled", NEW.n);
END;
CREATE TRIGGER "location_day_member_moved" AFTER UPDATE OF "home", "created_day" ON "member_rollup"
WHEN OLD.home IS NOT NEW.home OR OLD.created_day IS NOT NEW.created_day BEGIN
  UPDATE "location_day" SET "enrolments" = "enrolments" - 1, "enrolled" = set_without("enrolled", OLD.n)
  WHERE "home" = OLD.home AND "day" = OLD.created_day;
  INSERT INTO "location_day" ("home", "day", "enrolments", "enrolled") VALUES (NEW.home, NEW.created_day, 1, set_with(NULL, NEW.n))
  ON CONFLICT ("home", "day") DO UPDATE SET "enrolments" = "enrolments" + 1, "enrolled" = set_with("enrolled", NEW.n);
  UPDATE "member_day" SET "home" = NEW.home WHERE "n" = NEW.n AND "home" IS NOT NEW.home;
  UPDATE "treatment_recall" SET "home" = NEW.home WHERE "member_id" = NEW.member_id AND "home" IS NOT NEW.home;
END;
CREATE TRIGGER "location_day_first_moved" AFTER UPDATE OF "home", "first_day" ON "member_rollup"
WHEN OLD.home IS NOT NEW.home OR OLD.first_day IS NOT NEW.first_day BEGIN
  UPDATE "location_day" SET "firsts" = set_without("firsts", OLD.n) WHERE "home" = OLD.home AND "day" = OLD.first_day;
  INSERT INTO "location_day" ("home", "day", "firsts") SELECT NEW.home, NEW.first_day, set_with(NULL, NEW.n)
  WHERE NEW.first_day IS NOT NULL
  ON CONFLICT ("home", "day") DO UPDATE SET "firsts" = set_with("firsts", NEW.n);
END;
CREATE TRIGGER "location_day_member_delete" AFTER DELETE ON "member_rollup" BEGIN
  UPDATE "location_day" SET "enrolments" = "enrolments" - 1, "enrolled" = set_without("enrolled", OLD.n)
  WHERE "home" = OLD.home AND "day" = OLD.created_day;
  UPDATE "location_day" SET "firsts" = set_without("firsts", OLD.n) WHERE "home" = OLD.home AND "day" = OLD.first_day;
END;

-- Ledger entries and feedback add to the member's day; an undo takes out, once, what the entry it
-- undoes counted (an undo that arrives first keeps the entry out when it comes).
CREATE TRIGGER "member_day_entry_insert" AFTER INSERT ON "ledger_entry" BEGIN
  INSERT INTO "member_day" ("n", "day", "home", "visits", "paid", "revenue_cents", "redemptions", "redeemed_points",
                            "redeemed_value_cents", "earned_points", "points")
  SELECT r.n, local_day(NEW.created_at), r.home, c.kind = 'visit', c.kind IN ('purchase', 'treatment'),
         CASE WHEN c.kind IN ('purchase', 'treatment', 'refund') THEN NEW.amount_cents ELSE 0 END,
         c.kind = 'redeem', CASE WHEN c.kind = 'redeem' THEN -NEW.points ELSE 0 END,
         CASE WHEN c.kind = 'redeem' THEN NEW.amount_cents ELSE 0 END,
         CASE WHEN c.kind IN ('signup', 'visit', 'purchase', 'treatment', 'referral', 'birthday', 'refund')
              THEN NEW.points ELSE 0 END, NEW.points
  FROM "member_rollup" r,
       (SELECT CASE WHEN EXISTS (SELECT 1 FROM ledger_entry u WHERE u.ref = NEW.id AND u.kind = 'undo'
                                 AND u.member_id = NEW.member_id) THEN '' ELSE NEW.kind END AS kind) c
  WHERE r.member_id = NEW.member_id
  ON CONFLICT ("n", "day") DO UPDATE SET "visits" = "visits" + excluded.visits, "paid" = "paid" + excluded.paid,
    "revenue_cents" = "revenue_cents" + excluded.revenue_cents, "redemptions" = "redemptions" + excluded.redemptions,
    "redeemed_points" = "redeemed_points" + excluded.redeemed_points,
    "redeemed_value_cents" = "redeemed_value_cents" + excluded.redeemed_value_cents,
    "earned_points" = "earned_points" + excluded.earned_points, "points" = "points" + excluded.points;
  UPDATE "member_day" SET "visits" = "visits" - (o.kind = 'visit'), "paid" = "paid" - (o.kind IN ('purchase', 'treatment')),
    "revenue_cents" = "revenue_cents" - CASE WHEN o.kind IN ('purchase', 'treatment', 'refund') THEN o.amount_cents ELSE 0 END,
    "redemptions" = "redemptions" - (o.kind = 'redeem'),
    "redeemed_points" = "redeemed_points" + CASE WHEN o.kind = 'redeem' THEN o.points ELSE 0 END,
    "redeemed_value_cents" = "redeemed_value_cents" - CASE WHEN o.kind = 'redeem' THEN o.amount_cents ELSE 0 END,
    "earned_points" = "earned_points" - CASE WHEN o.kind IN ('signup', 'visit', 'purchase', 'treatment', 'referral', 'birthday', 'refund')
                                             THEN o.points ELSE 0 END
  FROM (SELECT kind, points, amount_cents, local_day(created_at) AS day FROM ledger_entry
        WHERE id = NEW.ref AND member_id = NEW.member_id) o
  WHERE NEW.kind = 'undo' AND "member_day"."n" = (SELECT "n" FROM "member_rollup" WHERE "member_id" = NEW.member_id)
    AND "member_day"."day" = o.day
    AND NOT EXISTS (SELECT 1 FROM ledger_entry u WHERE u.ref = NEW.ref AND u.kind = 'undo' AND u.member_id = NEW.member_id
                    AND u.id <> NEW.id);
END;
CREATE TRIGGER "member_day_feedback_insert" AFTER INSERT ON "feedback" WHEN NEW.score IS NOT NULL BEGIN
  INSERT INTO "member_day" ("n", "day", "home", "responses", "promoters", "detractors")
  SELECT r.n, local_day(NEW.at), r.home, 1, NEW.score >= 9, NEW.score <= 6 FROM "member_rollup" r
  WHERE r.member_id = NEW.member_id
  ON CONFLICT ("n", "day") DO UPDATE SET "responses" = "responses" + 1, "promoters" = "promoters" + excluded.promoters,
    "detractors" = "detractors" + excluded.detractors;
END;

-- Treatments: a new one with a recall date counts; any new, erased or undone one may decide whether the
-- member's earlier treatments of the same kind were rebooked on time, so those are looked at again.
CREATE TRIGGER "treatment_recall_insert" AFTER INSERT ON "treatment" BEGIN
  INSERT INTO "treatment_recall" SELECT * FROM "treatment_recall_fresh" WHERE treatment_id = NEW.id;
  UPDATE "treatment_recall" SET "rebooked" = (SELECT f.rebooked FROM "treatment_recall_fresh" f
                                              WHERE f.treatment_id = "treatment_recall"."treatment_id")
  WHERE "member_id" = NEW.member_id AND "item_code" = NEW.item_code;
END;
CREATE TRIGGER "treatment_recall_delete" AFTER DELETE ON "treatment" BEGIN
  DELETE FROM "treatment_recall" WHERE "treatment_id" = OLD.id;
  UPDATE "treatment_recall" SET "rebooked" = (SELECT f.rebooked FROM "treatment_recall_fresh" f
                                              WHERE f.treatment_id = "treatment_recall"."treatment_id")
  WHERE "member_id" = OLD.member_id AND "item_code" = OLD.item_code;
END;
CREATE TRIGGER "treatment_recall_undo" AFTER INSERT ON "ledger_entry" WHEN NEW.kind = 'undo' AND NEW.ref IS NOT NULL BEGIN
  DELETE FROM "treatment_recall" WHERE "treatment_id" IN (SELECT id FROM treatment WHERE entry = NEW.ref AND member_id = NEW.member_id);
  UPDATE "treatment_recall" SET "rebooked" = (SELECT f.rebooked FROM "treatment_recall_fresh" f
                                              WHERE f.treatment_id = "treatment_recall"."treatment_id")
  WHERE "member_id" = NEW.member_id
    AND "item_code" IN (SELECT item_code FROM treatment WHERE entry = NEW.ref AND member_id = NEW.member_id);
END;

-- A member's days add to their home's; the first and last visit day follow the days with a visit.
CREATE TRIGGER "location_day_day_insert" AFTER INSERT ON "member_day" BEGIN
  INSERT INTO "location_day" ("home", "day", "visits", "paid", "revenue_cents", "redemptions", "redeemed_points",
                              "redeemed_value_cents", "earned_points", "responses", "promoters", "detractors")
  VALUES (NEW.home, NEW.day, NEW.visits, NEW.paid, NEW.revenue_cents, NEW.redemptions, NEW.redeemed_points,
          NEW.redeemed_value_cents, NEW.earned_points, NEW.responses, NEW.promoters, NEW.detractors)
  ON CONFLICT ("home", "day") DO UPDATE SET "visits" = "visits" + excluded.visits, "paid" = "paid" + excluded.paid,
    "revenue_cents" = "revenue_cents" + excluded.revenue_cents, "redemptions" = "redemptions" + excluded.redemptions,
    "redeemed_points" = "redeemed_points" + excluded.redeemed_points,
    "redeemed_value_cents" = "redeemed_value_cents" + excluded.redeemed_value_cents,
    "earned_points" = "earned_points" + excluded.earned_points, "responses" = "responses" + excluded.responses,
    "promoters" = "promoters" + excluded.promoters, "detractors" = "detractors" + excluded.detractors;
  UPDATE "location_day" SET "visitors" = set_with("visitors", NEW.n) WHERE "home" = NEW.home AND "day" = NEW.day
    AND NEW.visits > 0;
  UPDATE "member_rollup" SET "first_day" = MIN(COALESCE("first_day", NEW.day), NEW.day),
                             "last_day" = MAX(COALESCE("last_day", NEW.day), NEW.day)
  WHERE "n" = NEW.n AND NEW.visits > 0;
  UPDATE "member_rollup" SET "balance" = "balance" + NEW.points WHERE "n" = NEW.n AND NEW.points <> 0;
END;
CREATE TRIGGER "location_day_day_update" AFTER UPDATE ON "member_day" BEGIN
  UPDATE "location_day" SET "visits" = "visits" - OLD.visits, "paid" = "paid" - OLD.paid,
    "revenue_cents" = "revenue_cents" - OLD.revenue_cents, "redemptions" = "redemptions" - OLD.redemptions,
    "redeemed_points" = "redeemed_points" - OLD.redeemed_points,
    "redeemed_value_cents" = "redeemed_value_cents" - OLD.redeemed_value_cents,
    "earned_points" = "earned_points" - OLD.earned_points, "responses" = "responses" - OLD.responses,
    "promoters" = "promoters" - OLD.promoters, "detractors" = "detractors" - OLD.detractors
  WHERE "home" = OLD.home AND "day" = OLD.day;
  INSERT INTO "location_day" ("home", "day", "visits", "paid", "revenue_cents", "redemptions", "redeemed_points",
                              "redeemed_value_cents", "earned_points", "responses", "promoters", "detractors")
  VALUES (NEW.home, NEW.day, NEW.visits, NEW.paid, NEW.revenue_cents, NEW.redemptions, NEW.redeemed_points,
          NEW.redeemed_value_cents, NEW.earned_points, NEW.responses, NEW.promoters, NEW.detractors)
  ON CONFLICT ("home", "day") DO UPDATE SET "visits" = "visits" + excluded.visits, "paid" = "paid" + excluded.paid,
    "revenue_cents" = "revenue_cents" + excluded.revenue_cents, "redemptions" = "redemptions" + excluded.redemptions,
    "redeemed_points" = "redeemed_points" + excluded.redeemed_points,
    "redeemed_value_cents" = "redeemed_value_cents" + excluded.redeemed_value_cents,
    "earned_points" = "earned_points" + excluded.earned_points, "responses" = "responses" + excluded.responses,
    "promoters" = "promoters" + excluded.promoters, "detractors" = "detractors" + excluded.detractors;
  UPDATE "location_day" SET "visitors" = set_without("visitors", OLD.n) WHERE "home" = OLD.home AND "day" = OLD.day
    AND OLD.visits > 0 AND (NEW.visits = 0 OR OLD.home IS NOT NEW.home);
  UPDATE "location_day" SET "visitors" = set_with("visitors", NEW.n) WHERE "home" = NEW.home AND "day" = NEW.day
    AND NEW.visits > 0 AND (OLD.visits = 0 OR OLD.home IS NOT NEW.home);
  UPDATE "member_rollup" SET "first_day" = (SELECT MIN("day") FROM "member_day" WHERE "n" = NEW.n AND "visits" > 0),
                             "last_day" = (SELECT MAX("day") FROM "member_day" WHERE "n" = NEW.n AND "visits" > 0)
  WHERE "n" = NEW.n AND (OLD.visits > 0) <> (NEW.visits > 0);
  UPDATE "member_rollup" SET "balance" = "balance" + NEW.points - OLD.points WHERE "n" = NEW.n AND NEW.points <> OLD.points;
END;
CREATE TRIGGER "location_day_day_delete" AFTER DELETE ON "member_day" BEGIN
  UPDATE "location_day" SET "visits" = "visits" - OLD.visits, "paid" = "paid" - OLD.paid,
    "revenue_cents" = "revenue_cents" - OLD.revenue_cents, "redemptions" = "redemptions" - OLD.redemptions,
    "redeemed_points" = "redeemed_points" - OLD.redeemed_points,
    "redeemed_value_cents" = "redeemed_value_cents" - OLD.redeemed_value_cents,
    "earned_points" = "earned_points" - OLD.earned_points, "responses" = "responses" - OLD.responses,
    "promoters" = "promoters" - OLD.promoters, "detractors" = "detractors" - OLD.detractors,
    "visitors" = CASE WHEN OLD.visits > 0 THEN set_without("visitors", OLD.n) ELSE "visitors" END
  WHERE "home" = OLD.home AND "day" = OLD.day;
  UPDATE "member_rollup" SET "balance" = "balance" - OLD.points WHERE "n" = OLD.n AND OLD.points <> 0;
END;

-- The dashboard reads these instead of the quarter-hour totals of migration 0007, which go.
DROP TRIGGER "ledger_bucket_entry_insert";
DROP TRIGGER "ledger_bucket_entry_delete";
DROP VIEW "ledger_bucket_fresh";
DROP TABLE "ledger_bucket";
