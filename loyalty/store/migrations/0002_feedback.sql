-- Kiosk feedback after a visit and the clinical team's follow-up tasks.
CREATE TABLE "feedback" ("id" TEXT NOT NULL PRIMARY KEY, "member_id" TEXT NOT NULL, "visit_entry" TEXT, "score" INTEGER, "text" TEXT, "reports_problem" INTEGER NOT NULL, "at" TEXT NOT NULL, "device_id" TEXT NOT NULL, FOREIGN KEY ("member_id") REFERENCES "member" ("id") ON DELETE CASCADE);
CREATE INDEX "feedback_member_id" ON "feedback" ("member_id");
CREATE INDEX "feedback_at" ON "feedback" ("at");
CREATE TABLE "follow_up" ("id" TEXT NOT NULL PRIMARY KEY, "member_id" TEXT NOT NULL, "kind" TEXT NOT NULL, "feedback" TEXT, "detail" TEXT NOT NULL, "created_at" TEXT NOT NULL, "status" TEXT NOT NULL, "closed_at" TEXT, "closed_by" TEXT, "note" TEXT, FOREIGN KEY ("member_id") REFERENCES "member" ("id") ON DELETE CASCADE);
CREATE INDEX "follow_up_member_id" ON "follow_up" ("member_id");
CREATE INDEX "follow_up_created_at" ON "follow_up" ("created_at");
