-- copy-release.sql — a file's COPY succeeded.
release savepoint import_copy
