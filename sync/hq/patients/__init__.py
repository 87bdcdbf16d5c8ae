"""The patients' app's use cases at HQ: one function each, plain dataclasses out, one transaction each.

They read HQ's merged rows of the signed-in member only (the member id always comes from the
session, never from a request) and write through `sync.hq.authoring`, as HQ's own device.
"""
