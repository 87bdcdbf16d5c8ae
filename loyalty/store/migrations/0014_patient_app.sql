-- The patients' app at HQ (patient_app/, sync/hq/patients/): records HQ writes as its own device and
-- stations pull (appointment requests, aftercare answers and their photos' references, erasure
-- requests), and the channel a member prefers, chosen in the app.
ALTER TABLE "member" ADD COLUMN "channel" TEXT;
CREATE TABLE "appointment" ("id" TEXT NOT NULL PRIMARY KEY, "member_id" TEXT NOT NULL, "location" TEXT NOT NULL, "days" TEXT NOT NULL, "times" TEXT NOT NULL, "note" TEXT, "status" TEXT NOT NULL, "starts_at" TEXT, "reply" TEXT, "requested_at" TEXT NOT NULL, "answered_at" TEXT, "answered_by" TEXT, "device_id" TEXT NOT NULL, FOREIGN KEY ("member_id") REFERENCES "member" ("id") ON DELETE CASCADE);
CREATE INDEX "appointment_member_id" ON "appointment" ("member_id");
CREATE INDEX "appointment_location_status" ON "appointment" ("location", "status");
CREATE TABLE "aftercare_answer" ("id" TEXT NOT NULL PRIMARY KEY, "member_id" TEXT NOT NULL, "treatment" TEXT NOT NULL, "step" TEXT NOT NULL, "feeling" TEXT NOT NULL, "text" TEXT, "reports_problem" INTEGER NOT NULL, "at" TEXT NOT NULL, "device_id" TEXT NOT NULL, FOREIGN KEY ("member_id") REFERENCES "member" ("id") ON DELETE CASCADE);
CREATE INDEX "aftercare_answer_member_id" ON "aftercare_answer" ("member_id");
CREATE TABLE "aftercare_photo" ("id" TEXT NOT NULL PRIMARY KEY, "member_id" TEXT NOT NULL, "answer" TEXT NOT NULL, "content_type" TEXT NOT NULL, "size" INTEGER NOT NULL, "width" INTEGER NOT NULL, "height" INTEGER NOT NULL, "sha256" TEXT NOT NULL, "at" TEXT NOT NULL, "device_id" TEXT NOT NULL, FOREIGN KEY ("member_id") REFERENCES "member" ("id") ON DELETE CASCADE);
CREATE INDEX "aftercare_photo_member_id" ON "aftercare_photo" ("member_id");
CREATE INDEX "aftercare_photo_answer" ON "aftercare_photo" ("answer");
CREATE TABLE "erasure_request" ("id" TEXT NOT NULL PRIMARY KEY, "member_id" TEXT NOT NULL, "requested_at" TEXT NOT NULL, "status" TEXT NOT NULL, "decided_at" TEXT, "decided_by" TEXT, "device_id" TEXT NOT NULL, FOREIGN KEY ("member_id") REFERENCES "member" ("id") ON DELETE CASCADE);
CREATE INDEX "erasure_request_member_id" ON "erasure_request" ("member_id");
CREATE INDEX "erasure_request_status" ON "erasure_request" ("status");
