-- The HQ location a member joined at: its station sends the member's reminders, so a group with
-- several locations sends each reminder once (loyalty/services/messages.py, `_reachable_members`).
ALTER TABLE "member" ADD COLUMN "home_location" TEXT;
