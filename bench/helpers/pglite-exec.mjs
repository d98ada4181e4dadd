// The PGlite floor for `migrate`: a bare node process that opens (creates)
// the data directory and runs the deployment script from `ecliptix-persistor
// sql` in one transaction — nothing of the persistor loaded.
// Usage: node bench/helpers/pglite-exec.mjs <data dir> <script file>
import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';

const [dataDir, scriptFile] = process.argv.slice(2);
const db = await PGlite.create(dataDir);
await db.exec(`BEGIN;\n${readFileSync(scriptFile, 'utf8')}\nCOMMIT;`);
await db.close();
