#!/usr/bin/env node
/**
 * Run by `npm test` before vitest: the report's test (test/operations/report.test.ts)
 * opens the HTML report in headless Chromium and is never skipped. Looks for
 * CHROMIUM_PATH, else /usr/bin/chromium. When it is missing: as root with
 * apt-get, runs `apt-get update && apt-get install -y chromium` (Debian's
 * package); otherwise exits 1 at once naming that command.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const binary = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const installCommand = 'apt-get update && apt-get install -y chromium';

function fail(message) {
  process.stderr.write(`require-chromium: ${message}\n`);
  process.exit(1);
}

if (existsSync(binary)) process.exit(0);
if (process.env.CHROMIUM_PATH) fail(`CHROMIUM_PATH is ${binary}, which does not exist`);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasAptGet = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
if (!isRoot || !hasAptGet) {
  fail(
    `Chromium is not installed (${binary} is missing); the HTML report's test opens the report in it. ` +
      `Install it with: ${isRoot ? '' : 'sudo sh -c "'}${installCommand}${isRoot ? '' : '"'}, or set CHROMIUM_PATH`,
  );
}

process.stderr.write(`require-chromium: Chromium is missing; running: ${installCommand}\n`);
const install = spawnSync('sh', ['-c', installCommand], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
if (install.status !== 0 || !existsSync(binary)) {
  fail(`could not install Chromium (${installCommand} exited ${install.status}); the HTML report's test needs it`);
}
process.stderr.write('require-chromium: installed chromium\n');
