#!/usr/bin/env bash
# Packs what scripts/gpu-check.sh needs beyond the checkout into .cache/gpu-carry/ (git-ignored),
# for a GPU machine that may have no Node and no network: this machine's node binary (xz), the
# Node-API headers, and the npm packages the check runs (tsx, sharp and their dependencies).
# Then carry .cache/gpu-carry with the checkout (the device tool's `carry`).
set -euo pipefail
cd "$(dirname "$0")/.."
out=.cache/gpu-carry
rm -rf "$out" && mkdir -p "$out/include"
xz -T0 -6 -c "$(command -v node)" > "$out/node.xz"
node -e 'console.log(process.version)' > "$out/node-version"
# Node-API is all the addon uses (node-addon-api over NAPI_VERSION 8).
for h in node_api.h node_api_types.h js_native_api.h js_native_api_types.h; do cp "/usr/include/node/$h" "$out/include/"; done
# The packages and their installed dependencies, walked from package.json files.
node -e '
  const fs = require("fs"), path = require("path");
  const seen = new Set(), todo = ["tsx", "sharp", "node-addon-api"];
  while (todo.length) {
    const name = todo.pop();
    if (seen.has(name) || !fs.existsSync(path.join("node_modules", name, "package.json"))) continue;
    seen.add(name);
    const pj = JSON.parse(fs.readFileSync(path.join("node_modules", name, "package.json"), "utf8"));
    todo.push(...Object.keys({ ...pj.dependencies, ...pj.optionalDependencies }));
  }
  fs.writeFileSync(process.argv[1], [...seen].map((n) => "node_modules/" + n).join("\n") + "\n");
' "$out/packages.txt"
tar -cJhf "$out/node_modules.tar.xz" -T "$out/packages.txt"
du -sh "$out"/*
