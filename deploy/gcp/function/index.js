// The function's source: registers the HTTP function `switchyard` with functions-framework, built on its
// first request from the config file named by SWITCHYARD_CONFIG (deploy/gcp/deploy-function.sh ships it
// as switchyard.yaml next to this file). functions-framework comes from this folder's package.json, so
// switchyard registers with the same copy the platform starts (--target=switchyard).
import 'switchyard/gcp-functions/main';
