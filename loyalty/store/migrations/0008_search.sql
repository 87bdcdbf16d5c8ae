-- Search keys kept right by the database itself. name_key, last_key and phone_key are derived from
-- first_name, last_name and phone; sync merges a member field by field, so a name key computed on one
-- station from its half of two concurrent edits could win over the merged names and hide the member
-- from search. These triggers derive the keys from the row as it stands after every write (enrolment,
-- profile edit, sync merge, erasure, import). `fold` is loyalty.contacts.fold, registered on every
-- connection by loyalty/store/db.py. Trigger bodies stay on one line: migrations split at ";" + newline.
CREATE TRIGGER "member_search_keys_insert" AFTER INSERT ON "member" BEGIN UPDATE "member" SET "name_key" = NULLIF(fold(NEW."first_name" || ' ' || COALESCE(NEW."last_name", '')), ''), "last_key" = NULLIF(fold(NEW."last_name"), ''), "phone_key" = NULLIF(substr(NEW."phone", 2), '') WHERE rowid = NEW.rowid; END;
CREATE TRIGGER "member_search_keys_update" AFTER UPDATE OF "first_name", "last_name", "phone" ON "member" BEGIN UPDATE "member" SET "name_key" = NULLIF(fold(NEW."first_name" || ' ' || COALESCE(NEW."last_name", '')), ''), "last_key" = NULLIF(fold(NEW."last_name"), ''), "phone_key" = NULLIF(substr(NEW."phone", 2), '') WHERE rowid = NEW.rowid; END;
UPDATE "member" SET "name_key" = NULLIF(fold("first_name" || ' ' || COALESCE("last_name", '')), ''), "last_key" = NULLIF(fold("last_name"), ''), "phone_key" = NULLIF(substr("phone", 2), '');
-- Last-name matches come in (last name, full name) order straight from the index: "Schmid, Anna"
-- before "Schmid, Ben", so the first rows of the range are the ones shown.
DROP INDEX "member_last_key";
CREATE INDEX "member_last_key_name_key" ON "member" ("last_key", "name_key");
