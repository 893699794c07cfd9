"""``avp interop observe``: judge a client that cannot speak the actor contract from the HTTP
traffic it sends to a real server through the recording proxy (docs/interop.md, "observe").

``exchanges`` records, ``timeline`` tracks each repository's state, ``wiretypes`` and ``checks``
judge, ``session`` runs the client, ``results`` and ``command`` report like ``avp interop run``.
"""
