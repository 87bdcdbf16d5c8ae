"""The HQ console: one Flet web app at `/console/` for the people who run the group (views only;
the use cases are in `sync.hq`)."""
