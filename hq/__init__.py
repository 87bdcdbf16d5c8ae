"""The HQ process's composition root: the sync API of `sync.hq` and the web apps HQ serves, in one
ASGI application (`hq.server.create_app`); `loyalty hq serve` runs `hq.main:app` in each worker."""
