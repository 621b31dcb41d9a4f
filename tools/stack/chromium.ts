import { existsSync } from 'node:fs';
import { aptInstall } from './apt.js';
import { StackError } from './services.js';

/** The browser the page tests drive with playwright-core: Debian's chromium, or CHROMIUM_PATH. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const HOW = 'Install it with `sudo apt-get update && sudo apt-get install -y chromium`, or point CHROMIUM_PATH at a Chromium or Chrome binary.';

/** Makes sure the page tests have a browser: installs Debian's chromium when running as root, else says what to run. */
export function ensureChromium(log: (message: string) => void): void {
  if (existsSync(CHROMIUM_PATH)) return;
  if (process.env.CHROMIUM_PATH || !aptInstall('chromium', log) || !existsSync(CHROMIUM_PATH)) throw new StackError(`The page tests need Chromium at ${CHROMIUM_PATH}. ${HOW}`);
}
