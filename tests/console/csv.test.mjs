// The console's own CSV files (no browser needed: `node --test tests/console/csv.test.mjs`):
// a cell a spreadsheet program would read as a formula is neutralised, and every console module
// that writes a CSV does it through assets/console/csv.js, so a new export is covered too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";

import { csvText, neutralise } from "../../assets/console/csv.js";

const HOSTILE = ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=王建国"];

test("a value a spreadsheet would evaluate gets a leading quote, others are unchanged", () => {
  for (const v of HOSTILE) assert.equal(neutralise(v), `'${v}`);
  for (const v of ["王建国", "610831101201", "lifted_out", "", " =1", "a=b"]) assert.equal(neutralise(v), v);
  assert.equal(neutralise(null), "");
  assert.equal(neutralise(-2), "'-2");
});

test("every cell of the CSV text is quoted and none begins a formula", () => {
  const text = csvText([["户编号", "户主", "类型"], ...HOSTILE.map((v) => [v, `${v}"x"`, 3])]);
  // Split the quoted cells back (the hostile values contain CR but never a quote at a cell's edge).
  const cells = [...text.matchAll(/"((?:[^"]|"")*)"/g)].map((m) => m[1].replaceAll('""', '"'));
  assert.equal(cells.length, 3 * (HOSTILE.length + 1));
  for (const c of cells) assert.ok(!/^[=+\-@\t\r]/.test(c), `cell ${JSON.stringify(c)} begins a formula`);
  for (const v of HOSTILE) assert.ok(cells.includes(`'${v}`), `${JSON.stringify(v)} is not neutralised`);
  // Outside the quotes there are only separators.
  assert.equal(text.replaceAll(/"((?:[^"]|"")*)"/g, ""), ",,".concat("\r\n,,".repeat(HOSTILE.length)));
});

test("every console module that writes a CSV uses csv.js", async () => {
  const dir = new URL("../../assets/console/", import.meta.url);
  const writers = [];
  for (const name of await readdir(dir)) {
    if (!name.endsWith(".js") || name === "csv.js") continue;
    const src = await readFile(new URL(name, dir), "utf8");
    if (!/text\/csv|\.csv\b/.test(src)) continue;
    writers.push(name);
    assert.match(src, /import \{[^}]*\bcsvText\b[^}]*\} from "\.\/csv\.js"/, `${name} writes a CSV without csv.js`);
    assert.doesNotMatch(src, /\.join\(",\"\)|\.join\(','\)/, `${name} joins CSV cells by hand`);
  }
  assert.ok(writers.includes("coverage.js"), `no CSV writer found (${writers})`);
});
