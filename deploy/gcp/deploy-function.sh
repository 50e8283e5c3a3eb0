#!/usr/bin/env bash
# Deploys Switchyard as a Google Cloud Function (2nd gen) (docs/DEPLOY.md):
#   PROJECT=my-project REGION=us-central1 CONFIG=switchyard.yaml deploy/gcp/deploy-function.sh
# SECRETS (passed to --set-secrets): every ${VAR} of the config from a Secret Manager secret, e.g.
# "SWITCHYARD_API_KEY=switchyard-api-key:latest,DATABASE_URL=switchyard-database-url:latest". The
# service account is granted roles/secretmanager.secretAccessor on each of those secrets, not the project.
# Optional: NAME (function name, default switchyard); MAX_INSTANCES (default 10, as the Cloud Run
# service's maxScale): each instance holds its own PostgreSQL pool (ledger.pool_size, 2 on Cloud Functions
# unless the config sets it), so keep MAX_INSTANCES x the pool size within PostgreSQL's max_connections
# (100 by default; Cloud SQL's follows the tier), less what other clients use. Without a cap the
# function scales to 100 instances.
#
# The function runs as a service account holding roles/aiplatform.user on the project, and on each of
# its secrets roles/secretmanager.secretAccessor, and nothing else. Vertex AI is
# called with application default credentials from the metadata server: no key file, no key env.
set -euo pipefail

: "${PROJECT:?set PROJECT}" "${REGION:?set REGION}" "${CONFIG:?set CONFIG, the gateway config to deploy}"
NAME="${NAME:-switchyard}"
MAX_INSTANCES="${MAX_INSTANCES:-10}"
if [[ ! "$MAX_INSTANCES" =~ ^[1-9][0-9]*$ ]]; then
  echo "refusing to deploy: MAX_INSTANCES '$MAX_INSTANCES' is not a positive whole number" >&2
  exit 1
fi
SA="switchyard@${PROJECT}.iam.gserviceaccount.com"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# The function's URL is public (OpenAI clients cannot present Google identity tokens): the gateway's own
# API keys are the only lock, so a config without them is refused.
if ! grep -Eq '^api_keys:' "$CONFIG"; then
  echo "refusing to deploy: $CONFIG has no api_keys and the function would be open to anyone" >&2
  exit 1
fi

# The function's environment holds only SWITCHYARD_CONFIG, NODE_ENV and SWITCHYARD_FUNCTION_TIMEOUT_MS: every ${VAR} without a default
# (${VAR:-default}) must come from SECRETS, or the gateway cannot start. Comment lines are skipped.
SECRETS="${SECRETS:-}"
provided=" "
secret_names=""
for pair in ${SECRETS//,/ }; do
  if [[ ! "$pair" =~ ^([A-Za-z_][A-Za-z0-9_]*)=([^:=]+):([A-Za-z0-9_-]+)$ ]]; then
    echo "refusing to deploy: SECRETS entry '$pair' is not VAR=SECRET:VERSION" >&2
    exit 1
  fi
  provided+="${BASH_REMATCH[1]} "
  secret_names+="${BASH_REMATCH[2]}"$'\n'
done
missing=()
for var in $(grep -v '^[[:space:]]*#' "$CONFIG" | grep -oE '\$\{[A-Za-z_][A-Za-z0-9_]*\}' | tr -d '${}' | sort -u); do
  case "$provided" in *" $var "*) ;; *) missing+=("$var") ;; esac
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "refusing to deploy: $CONFIG needs ${missing[*]}, which no SECRETS entry provides (SECRETS=VAR=SECRET:VERSION,...)" >&2
  exit 1
fi

if ! gcloud iam service-accounts describe "$SA" --project "$PROJECT" >/dev/null 2>&1; then
  gcloud iam service-accounts create switchyard --project "$PROJECT" --display-name "Switchyard gateway"
fi
gcloud projects add-iam-policy-binding "$PROJECT" \
  --member "serviceAccount:$SA" --role roles/aiplatform.user --condition None >/dev/null
for secret in $(printf '%s' "$secret_names" | sort -u); do
  gcloud secrets add-iam-policy-binding "$secret" --project "$PROJECT" \
    --member "serviceAccount:$SA" --role roles/secretmanager.secretAccessor --condition None >/dev/null
done

# The function's source folder: function/ (package.json, index.js), the packed switchyard (npm pack runs
# `prepare`, which builds dist/) and the config.
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
cp "$ROOT/deploy/gcp/function/package.json" "$ROOT/deploy/gcp/function/index.js" "$STAGE/"
cp "$CONFIG" "$STAGE/switchyard.yaml"
VERSION="$(node -p "require('$ROOT/package.json').version")"
(cd "$ROOT" && npm pack --pack-destination "$STAGE" >/dev/null)
mv "$STAGE/switchyard-$VERSION.tgz" "$STAGE/switchyard.tgz"

# --cpu 1 allows --concurrency above 1; --timeout 3600s is the 2nd gen maximum for HTTP, long streams included.
# The function is not told its --timeout (documented nowhere): SWITCHYARD_FUNCTION_TIMEOUT_MS says it, and
# must stay equal to it, so streams end and late requests are stopped (504) before the platform cuts them.
gcloud functions deploy "$NAME" \
  --gen2 --runtime nodejs22 --region "$REGION" --project "$PROJECT" \
  --source "$STAGE" --entry-point switchyard --trigger-http --allow-unauthenticated \
  --service-account "$SA" \
  --set-env-vars SWITCHYARD_CONFIG=switchyard.yaml,NODE_ENV=production,SWITCHYARD_FUNCTION_TIMEOUT_MS=3600000 \
  --memory 512Mi --cpu 1 --concurrency 80 --timeout 3600s --max-instances "$MAX_INSTANCES" \
  ${SECRETS:+--set-secrets "$SECRETS"}
