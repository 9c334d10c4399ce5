// Generates the TypeScript types of the API document as its README tells a phone developer
// to: openapi-typescript's Node API, with files (`format: binary`) typed as `Blob` so an upload
// takes a Blob and a download (`parseAs: "blob"`) gives one.
// Usage: node generate.mjs <openapi.json> <out.d.ts>
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import openapiTS, { astToString } from "openapi-typescript";

const [input, output] = process.argv.slice(2);
const BLOB = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier("Blob"));
const ast = await openapiTS(pathToFileURL(path.resolve(input)), {
  transform(schema) {
    if (schema.format === "binary") return BLOB;
  },
});
fs.mkdirSync(path.dirname(output), { recursive: true });
fs.writeFileSync(output, astToString(ast));
