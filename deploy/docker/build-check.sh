#!/usr/bin/env bash
# Repeats the Dockerfile's build without Docker (base images cannot be pulled everywhere the tests run)
# and starts the result the way the image does:
#   build stage    tsc -p tsconfig.build.json, then scripts/bundle.mjs (dist/bundle/, what bin/ runs),
#                  with this checkout's dev dependencies
#   deps stage     npm ci --omit=dev --ignore-scripts in a copy of package.json + package-lock.json
#   runtime stage  package.json `files` + dist + node_modules, owned by root; the server runs as nobody
#                  (uid 65534) with deploy/docker/switchyard.yaml, its ledger in a data dir it owns,
#                  and, where unshare allows, as PID 1 of its own PID namespace (the image without tini).
# Then: /readyz answers 200, the ledger file is in the data dir, SIGTERM drains and exits 0.
# Exit codes: 0 passed, 77 skipped (npm registry unreachable), anything else failed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/switchyard-image-XXXXXX")
APP="$WORK/app"
DATA="$WORK/data"
LAUNCHER=''
cleanup() {
  if [ -n "$LAUNCHER" ]; then pkill -KILL -P "$LAUNCHER" 2>/dev/null || true; kill -KILL "$LAUNCHER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
step() { printf '[build-check %3ss] %s\n' "$SECONDS" "$*"; }
fail() { printf '[build-check] FAILED: %s\n' "$*" >&2; exit 1; }
cd "$ROOT"

REGISTRY=$(npm config get registry)
if ! node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(5000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "${REGISTRY%/}/-/ping"; then
  echo "build-check: SKIPPED: the npm registry ($REGISTRY) is unreachable"
  exit 77
fi

mkdir -p "$APP" "$DATA"
cp package.json package-lock.json "$APP/"
for entry in $(node -p 'require("./package.json").files.join(" ")'); do
  [ "$entry" = dist ] || { mkdir -p "$APP/$(dirname "$entry")" && cp -R "$entry" "$APP/$entry"; }
done

step 'build stage (tsc) and deps stage (npm ci --omit=dev --ignore-scripts), in parallel'
npx tsc -p tsconfig.build.json --outDir "$APP/dist" >"$WORK/tsc.log" 2>&1 &
TSC=$!
(cd "$APP" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline) >"$WORK/npm.log" 2>&1 &
NPM=$!
wait "$TSC" || { cat "$WORK/tsc.log"; fail 'tsc'; }
node scripts/bundle.mjs --outdir "$APP/dist/bundle" || fail 'scripts/bundle.mjs'
wait "$NPM" || { cat "$WORK/npm.log"; fail 'npm ci --omit=dev'; }
step "$(tail -n 1 "$WORK/npm.log")"
for dev in typescript vitest eslint tsx; do
  [ ! -e "$APP/node_modules/$dev" ] || fail "dev dependency $dev was installed"
done

# The Dockerfile runs `npm rebuild better-sqlite3`, which downloads a prebuilt addon from GitHub or
# compiles one (minutes on a small machine). The addon this checkout built is the same package version
# for the same Node, so it is reused when it is there.
ADDON=node_modules/better-sqlite3/build/Release/better_sqlite3.node
version_of() { node -p "require('./$1/node_modules/better-sqlite3/package.json').version"; }
if [ -f "$ADDON" ] && [ "$(version_of .)" = "$(cd "$APP" && version_of .)" ]; then
  step "native addon: reusing $ADDON (better-sqlite3 $(version_of .))"
  mkdir -p "$APP/$(dirname "$ADDON")" && cp "$ADDON" "$APP/$ADDON"
else
  step 'native addon: npm rebuild better-sqlite3'
  (cd "$APP" && npm rebuild better-sqlite3) >"$WORK/rebuild.log" 2>&1 || { cat "$WORK/rebuild.log"; fail 'npm rebuild better-sqlite3'; }
fi

cp deploy/docker/switchyard.yaml "$WORK/switchyard.yaml"
chmod -R a+rX,go-w "$WORK"
RUN_AS=()
PID1=()
EXPECT_UID=$(id -u)
if [ "$EXPECT_UID" = 0 ]; then
  EXPECT_UID=65534
  command -v setpriv >/dev/null || fail 'running as root needs setpriv (util-linux) to drop to nobody'
  chown 65534:65534 "$DATA"
  RUN_AS=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
  if unshare --pid --fork true 2>/dev/null && command -v pgrep >/dev/null; then PID1=(unshare --pid --fork); fi
else
  step "not root: the server runs as $(id -un), already unprivileged"
fi
PORT=$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')

step "runtime: node bin/switchyard.js serve as uid $EXPECT_UID${PID1:+, PID 1 of a new PID namespace}"
(
  cd "$APP"
  exec env -i PATH="$PATH" NODE_ENV=production SWITCHYARD_DATA_DIR="$DATA" SWITCHYARD_API_KEY=build-check \
    OPENAI_API_KEY=unused OPENAI_BASE_URL=http://127.0.0.1:9/v1 \
    "${PID1[@]}" "${RUN_AS[@]}" node bin/switchyard.js serve --config "$WORK/switchyard.yaml" --port "$PORT" --host 127.0.0.1
) >"$WORK/server.log" 2>&1 &
LAUNCHER=$!
SERVER=$LAUNCHER
if [ ${#PID1[@]} -gt 0 ]; then
  for _ in $(seq 1 50); do SERVER=$(pgrep -P "$LAUNCHER" || true); [ -n "$SERVER" ] && break; sleep 0.1; done
  [ -n "$SERVER" ] || fail 'the server process did not start'
fi

if ! node -e '
  const url = process.argv[1];
  const deadline = Date.now() + 30_000;
  (async () => {
    while (Date.now() < deadline) {
      try {
        const res = await fetch(url);
        if (res.status === 200) { console.log(await res.text()); return; }
      } catch {}
      await new Promise((r) => setTimeout(r, 200));
    }
    process.exit(1);
  })();' "http://127.0.0.1:$PORT/readyz"; then
  cat "$WORK/server.log"
  fail '/readyz did not answer 200 within 30 s'
fi
step '/readyz answered 200'

uid=$(awk '/^Uid:/ { print $2 }' "/proc/$SERVER/status")
[ "$uid" = "$EXPECT_UID" ] || fail "the server runs as uid $uid, not $EXPECT_UID"
if [ ${#PID1[@]} -gt 0 ]; then
  [ "$(awk '/^NSpid:/ { print $NF }' "/proc/$SERVER/status")" = 1 ] || fail 'the server is not PID 1 of its namespace'
fi
[ -f "$DATA/ledger.sqlite" ] || fail "no ledger in the data dir ($DATA)"
step "uid $uid, ledger at \$SWITCHYARD_DATA_DIR/ledger.sqlite"

kill -TERM "$SERVER"
# server.shutdown_grace_ms (10 s) for the drain, then the ledger flush.
for _ in $(seq 1 150); do kill -0 "$LAUNCHER" 2>/dev/null || break; sleep 0.1; done
kill -0 "$LAUNCHER" 2>/dev/null && fail 'SIGTERM: still running after 15 s'
status=0
wait "$LAUNCHER" || status=$?
LAUNCHER=''
[ "$status" = 0 ] || { cat "$WORK/server.log"; fail "SIGTERM: exit status $status"; }
grep -q '"stopped"' "$WORK/server.log" || { cat "$WORK/server.log"; fail 'SIGTERM: no graceful stop in the log'; }
step 'SIGTERM: drained and exited 0'
echo 'build-check: passed'
