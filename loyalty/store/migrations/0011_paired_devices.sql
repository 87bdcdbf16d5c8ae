-- Tablets paired with this station on the clinic network: a kiosk or a desk device with the hash of
-- its secret (kept in a cookie on the tablet), when it was last seen and whether it was revoked.
-- A pairing offer is the one-time code in the QR code a manager shows; it becomes one device.
CREATE TABLE "paired_device" ("id" TEXT NOT NULL PRIMARY KEY, "name" TEXT NOT NULL, "role" TEXT NOT NULL, "secret_hash" TEXT NOT NULL, "paired_at" TEXT NOT NULL, "paired_by" TEXT, "last_seen_at" TEXT, "revoked_at" TEXT, "revoked_by" TEXT);
CREATE TABLE "pairing_offer" ("code_hash" TEXT NOT NULL PRIMARY KEY, "role" TEXT NOT NULL, "name" TEXT NOT NULL, "created_at" TEXT NOT NULL, "created_by" TEXT, "expires_at" TEXT NOT NULL, "device" TEXT);
