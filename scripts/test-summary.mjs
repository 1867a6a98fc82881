// Sums the vitest JSON reports of every workspace member into the one closing
// line CI reads: `N passed, N failed, N skipped`. Exits non-zero when anything
// failed, a member produced no report, or no test ran at all.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const group of ["packages", "apps"]) {
  for (const name of readdirSync(group)) {
    const report = join(group, name, "test-results.json");
    if (!existsSync(report)) {
      missing.push(join(group, name));
      continue;
    }
    const r = JSON.parse(readFileSync(report, "utf8"));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests + (r.numTodoTests ?? 0);
    if (!r.success && r.numFailedTests === 0) failed += r.numFailedTestSuites || 1;
  }
}
if (missing.length > 0) console.error(`no test report from: ${missing.join(", ")}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 || missing.length > 0 ? 1 : 0);
