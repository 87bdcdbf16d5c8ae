-- Covering indexes for the manager's dashboard and lists (loyalty/services/insights.py): counts by kind
-- over a time range, and per-member aggregates, read from the index alone (no table lookups), so the
-- dashboard stays under a second at a million ledger entries. `id` is included for "not undone" checks.
CREATE INDEX "ledger_entry_kind_created_at" ON "ledger_entry" ("kind", "created_at", "member_id", "points", "amount_cents", "id");
CREATE INDEX "ledger_entry_member_id_kind" ON "ledger_entry" ("member_id", "kind", "created_at", "points", "amount_cents", "id");
CREATE INDEX "member_created_at" ON "member" ("created_at");
