"""The trigram index client search reads (clients/services.py: search_clients), each database's own, on
client.search_text: PostgreSQL's pg_trgm GIN index, which serves the LIKE '%term%' as it is; on SQLite an FTS5
table with the trigram tokenizer that holds the index only (its content is the client table), kept in step by
triggers. Both ways of making the schema make it with these statements: create_all (models.py) and migration 0012.

Alembic's autogenerate leaves it out (compared). A migration that rebuilds the client table on SQLite
(batch_alter_table) drops the triggers with the table: it must run create() again after it."""

NAME = "client_trigram"

CREATE = {
    "postgresql": [
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        f"CREATE INDEX IF NOT EXISTS {NAME} ON client USING gin (search_text gin_trgm_ops)",
    ],
    "sqlite": [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {NAME} USING fts5(search_text, content='client', content_rowid='id', "
        "tokenize='trigram')",
        # An external-content table is told what leaves it: the old text, as it was indexed.
        f"CREATE TRIGGER IF NOT EXISTS {NAME}_insert AFTER INSERT ON client BEGIN "
        f"INSERT INTO {NAME} (rowid, search_text) VALUES (new.id, new.search_text); END",
        f"CREATE TRIGGER IF NOT EXISTS {NAME}_delete AFTER DELETE ON client BEGIN "
        f"INSERT INTO {NAME} ({NAME}, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
        f"CREATE TRIGGER IF NOT EXISTS {NAME}_update AFTER UPDATE OF id, search_text ON client BEGIN "
        f"INSERT INTO {NAME} ({NAME}, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
        f"INSERT INTO {NAME} (rowid, search_text) VALUES (new.id, new.search_text); END",
        f"INSERT INTO {NAME} ({NAME}) VALUES ('rebuild')",  # the clients there are
    ],
}
DROP = {
    # The extension stays: it may have been there before, and other things may use it.
    "postgresql": [f"DROP INDEX IF EXISTS {NAME}"],
    "sqlite": [f"DROP TRIGGER IF EXISTS {NAME}_{event}" for event in ("insert", "delete", "update")]
              + [f"DROP TABLE IF EXISTS {NAME}"],
}


def create(connection) -> None:
    for statement in CREATE.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)


def with_the_table(table, connection, **_) -> None:
    """create_all's way (models.py): right after it makes the client table."""
    create(connection)


def drop(connection) -> None:
    for statement in DROP.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)


def compared(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's include_name: all but the trigram index and the FTS5 table with its shadow tables, which the
    models do not describe."""
    return not (name or "").startswith(NAME)
