-- copy-rollback.sql — a file's COPY failed: undo it alone.
rollback to savepoint import_copy
