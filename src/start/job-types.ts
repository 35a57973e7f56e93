/**
 * Every job type a process may run. Each area registers its types (with `registerJobType`) in a
 * module of its own and adds one import here, so `serve`'s embedded worker and `ecsimg worker`
 * know the same types. The internal test type is deliberately absent: only the tests register it.
 */
import '../domain/import-export/jobs.js';
