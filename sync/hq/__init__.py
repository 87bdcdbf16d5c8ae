"""The HQ server: device registry, event store, commit-ordered pull stream, program config."""
