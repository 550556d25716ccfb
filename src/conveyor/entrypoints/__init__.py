"""The edges of the system: the REST API (``api/``: FastAPI routers and pydantic
schemas), the command line (``cli``: Typer) and the web UI.

Entry points translate requests into service calls and the project's error tree
into HTTP problem documents and exit codes, in one table each; no business rule
lives here.
"""
