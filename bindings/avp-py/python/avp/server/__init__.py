"""The AVP server: AVP 0.4's HTTP/JSON profile plus the project's stricter wire contract
(``docs/wire-contract.md``), a bare ASGI application on uvicorn, with in-memory, SQLite and
PostgreSQL storage.

Run it with ``avp serve``; embed it with ``avp.server.app.create_app(ServerConfig(...))``.
"""
