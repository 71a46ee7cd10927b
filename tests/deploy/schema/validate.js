#!/usr/bin/env node
// Validates Kubernetes objects (multi-document YAML files, as `kubectl kustomize` renders them)
// against the Kubernetes and prometheus-operator schemas of the npm packages kubernetes-models
// and @kubernetes-models/prometheus-operator. Each object is looked up by apiVersion and kind;
// an object of a kind neither package knows is an error too.
//
//   node validate.js RENDERED.yaml...
//
// Prints one line per valid object; for an invalid one, the file, the object and the schema
// errors. Exits 1 if any object is invalid.
"use strict";
const fs = require("fs");
const YAML = require("yaml");

// apiVersion -> module exporting the kinds of that group/version.
function modelsFor(apiVersion) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const candidates = group === "monitoring.coreos.com"
    ? [`@kubernetes-models/prometheus-operator/${group}/${version}`]
    : [`kubernetes-models/${group ? group + "/" : ""}${version}`];
  for (const c of candidates) {
    try {
      return require(c);
    } catch (e) {
      if (e.code !== "MODULE_NOT_FOUND") throw e;
    }
  }
  return null;
}

let failed = 0;
let checked = 0;
for (const file of process.argv.slice(2)) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"));
  for (const doc of docs) {
    if (doc.errors.length) {
      console.log(`FAIL ${file}: YAML: ${doc.errors.map(String).join("; ")}`);
      failed++;
      continue;
    }
    const obj = doc.toJS();
    if (obj === null) continue;
    const id = `${obj.apiVersion}/${obj.kind} ${obj.metadata && obj.metadata.namespace ? obj.metadata.namespace + "/" : ""}${obj.metadata && obj.metadata.name}`;
    checked++;
    const mod = obj.apiVersion ? modelsFor(obj.apiVersion) : null;
    const Model = mod && mod[obj.kind];
    if (!Model) {
      console.log(`FAIL ${file}: ${id}: no schema for apiVersion ${obj.apiVersion} kind ${obj.kind}`);
      failed++;
      continue;
    }
    try {
      new Model(obj).validate();
      console.log(`ok   ${id}`);
    } catch (e) {
      failed++;
      const errors = (e.errors || []).map((x) =>
        `  ${x.instancePath || "/"}: ${x.message}${x.params ? " " + JSON.stringify(x.params) : ""}`);
      console.log(`FAIL ${file}: ${id}: ${e.message}\n${errors.join("\n")}\n  object: ${JSON.stringify(obj).slice(0, 2000)}`);
    }
  }
}
console.log(`${checked} objects checked, ${failed} invalid`);
process.exit(failed || checked === 0 ? 1 : 0);
