// `node dist/cli.js [vectors-dir]`: check every vector file, print per-file counts, exit 1 on a failure.
import { verifyFolder } from "./checks";

const results = verifyFolder(process.argv[2] ?? "vectors");
let failed = 0;
for (const [name, r] of Object.entries(results)) {
  console.log(`${name.padEnd(28)} checked ${String(r.checked).padStart(5)}  failed ${String(r.failed).padStart(3)}`);
  for (const failure of r.failures) console.log(`    ${failure}`);
  failed += r.failed;
}
process.exitCode = failed ? 1 : 0;
