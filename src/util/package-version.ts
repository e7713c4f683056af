import fs from 'node:fs';
import path from 'node:path';

/** This build's version, as package.json says (src/ and dist/ are both two levels under the package root). */
export const PACKAGE_VERSION = (JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
