#!/usr/bin/env node
// Unknown fields: the JSON schemas of kubernetes-models accept properties they do not know, so a
// misspelt field (readOnlyRootFileSystem) would pass validate.js and be dropped by the API
// server. This writes every rendered object as a TypeScript object literal typed with the
// package's interface (IDaemonSet, IServiceMonitor, ...) and type-checks it with tsc: object
// literals get excess-property checks at every depth, so an unknown field is an error naming
// the object and the field.
//
//   node strict.js RENDERED.yaml...      (exit 1 on any error)
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { execFileSync } = require("child_process");
const YAML = require("yaml");

function moduleFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "monitoring.coreos.com") return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  return `kubernetes-models/${group ? group + "/" : ""}${version}/${kind}`;
}

const lines = [];
const where = [];
let i = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, "utf8"))) {
    const obj = doc.toJS();
    if (!obj) continue;
    const mod = moduleFor(obj.apiVersion, obj.kind);
    lines.push(`import type { I${obj.kind} as T${i} } from ${JSON.stringify(mod)};`);
    lines.push(`export const o${i}: T${i} = ${JSON.stringify(obj, null, 1)};`);
    where.push(`${path.basename(file)}: ${obj.apiVersion}/${obj.kind} ${obj.metadata && obj.metadata.name}`);
    i++;
  }
}
const dir = fs.mkdtempSync(path.join(__dirname, ".strict-"));
const ts = path.join(dir, "objects.ts");
fs.writeFileSync(ts, lines.join("\n") + "\n");
let status = 0;
try {
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "--noEmit", "--strict",
    "--skipLibCheck", "--moduleResolution", "node", "--module", "commonjs", "--target", "es2020", ts],
  { cwd: __dirname, stdio: "pipe" });
} catch (e) {
  status = 1;
  const out = e.stdout.toString();
  // objects.ts(LINE,COL): error TS...: map LINE back to its object.
  const starts = [];
  let line = 1;
  for (const l of lines) {
    if (l.startsWith("export const o")) starts.push(line);
    line += l.split("\n").length;
  }
  for (const m of out.split("\n").filter(Boolean)) {
    const n = /objects\.ts\((\d+),/.exec(m);
    let obj = "";
    if (n) {
      const ln = Number(n[1]);
      let k = starts.length - 1;
      while (k > 0 && starts[k] > ln) k--;
      obj = where[k] + ": ";
    }
    console.log(`FAIL ${obj}${m.replace(/^.*objects\.ts/, "objects.ts")}`);
  }
}
fs.rmSync(dir, { recursive: true, force: true });
console.log(`${i} objects type-checked for unknown fields, ${status ? "errors above" : "none"}`);
process.exit(status);
