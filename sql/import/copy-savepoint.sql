-- copy-savepoint.sql — before a file's COPY: a COPY that fails rolls back to here, and the other files are still checked.
savepoint import_copy
