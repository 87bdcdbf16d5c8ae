-- Retention engine: the message outbox (planned and sent reminders) and per-member recall intervals.
CREATE TABLE "message" ("id" TEXT NOT NULL PRIMARY KEY, "key" TEXT NOT NULL, "member_id" TEXT NOT NULL, "trigger" TEXT NOT NULL, "step" TEXT, "purpose" TEXT NOT NULL, "params" TEXT NOT NULL, "due_at" TEXT NOT NULL, "expires_at" TEXT NOT NULL, "status" TEXT NOT NULL, "channel" TEXT, "attempts" INTEGER NOT NULL, "claimed_at" TEXT, "sent_at" TEXT, "provider_ref" TEXT, "last_error" TEXT, "created_at" TEXT NOT NULL, FOREIGN KEY ("member_id") REFERENCES "member" ("id") ON DELETE CASCADE);
CREATE UNIQUE INDEX "message_key" ON "message" ("key");
CREATE INDEX "message_member_id" ON "message" ("member_id");
CREATE INDEX "message_status_due_at" ON "message" ("status", "due_at");
CREATE INDEX "message_member_id_sent_at" ON "message" ("member_id", "sent_at");
CREATE TABLE "recall_override" ("id" TEXT NOT NULL PRIMARY KEY, "member_id" TEXT NOT NULL, "item_code" TEXT NOT NULL, "recall_days" INTEGER NOT NULL, "set_at" TEXT NOT NULL, "set_by" TEXT, FOREIGN KEY ("member_id") REFERENCES "member" ("id") ON DELETE CASCADE);
CREATE INDEX "recall_override_member_id" ON "recall_override" ("member_id");
