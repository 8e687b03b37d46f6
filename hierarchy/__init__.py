"""The hierarchy of centres: a child centre forwards its registry, alarms and audit entries to its parent.

``forward`` (the child: capture in the change's transaction, the queue, the uplink), ``receive`` (the
parent: checks and idempotent apply), ``kinds`` (what is forwarded and how each kind is applied),
``live`` (live readings on demand), ``running`` (what ``hazmap serve`` and ``hazmap hierarchy`` start).
"""
