// Shared by the tests: the repository's conformance_fixtures/ and the suite of
// src/conformance.mjs bound to it.
import { fileURLToPath } from 'node:url';
import * as suite from '../src/conformance.mjs';

export const FIXTURES = fileURLToPath(new URL('../../../conformance_fixtures/', import.meta.url));
export const CLI = suite.READER_CLI;

export const loadManifest = () => suite.loadManifest(FIXTURES);
export const checkCase = (c, outcome) => suite.checkCase(c, outcome, FIXTURES);
export const runAll = (cases, concurrency = 8) => suite.runCases(cases, { fixtures: FIXTURES, concurrency });
