// What this build of the demo service is. A commit that changes `fault` turns the release bad:
//   'none'    healthy
//   'errors'  30% of requests to / answer 500
//   'latency' requests to / take 800 ms
//   'api-errors'  30% of requests to /api/ping answer 500 (health and / stay fine)
//   'auth-storm'  every request but /healthz answers 401
//   'no-auth' GET /api/entries answers without checking the token (runtime security stops it)
//   'stack-trace' a POST /api/entries body that is not JSON gets a 500 with the stack trace
// (DEMO_FAULT in the environment overrides it, for trying things by hand.)
module.exports = {
  version: '1.0.0',
  fault: 'none',
};
