// Validates an OpenAPI document with @seriousme/openapi-schema-validator (the official
// OpenAPI 3.1 JSON Schema, plus resolution of every $ref), and checks that it documents
// every endpoint `emonet serve` has.
//   node validate.mjs path/to/openapi.json
import { readFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";

const file = process.argv[2];
const doc = JSON.parse(readFileSync(file, "utf8"));
const validator = new Validator();
const res = await validator.validate(doc);
if (!res.valid) {
  console.error(`${file}: not a valid OpenAPI document:`);
  console.error(JSON.stringify(res.errors, null, 2));
  process.exit(1);
}
if (validator.version !== "3.1") {
  console.error(`${file}: OpenAPI ${validator.version}, expected 3.1`);
  process.exit(1);
}
// Every $ref must resolve (resolveRefs throws on a dangling one).
validator.resolveRefs();
const expected = {
  "/v1/predict": "post", "/v1/embed": "post", "/v1/models": "get", "/health/live": "get",
  "/health/ready": "get", "/metrics": "get", "/openapi.json": "get", "/": "get",
};
for (const [path, method] of Object.entries(expected)) {
  if (!doc.paths?.[path]?.[method]) {
    console.error(`${file}: ${method.toUpperCase()} ${path} is not documented`);
    process.exit(1);
  }
}
console.log(`${file}: valid OpenAPI ${validator.version}, ${Object.keys(doc.paths).length} paths`);
