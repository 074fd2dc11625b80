"""Events of the register and the webhooks that push them (issue 14).

Every decision and every permit created writes its event rows in its own
transaction (``outbox``); clients pull them from the feed (``feed``) or get
them POSTed, signed per Standard Webhooks 1.0 (``webhooks``).
"""
