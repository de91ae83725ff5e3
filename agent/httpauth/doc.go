// Package httpauth guards Pantau's HTTP listeners: the agent's (metrics,
// snapshots, web UI, /api/v1) and the hub's. It imports only the standard
// library and bcrypt, so any program role can use it.
//
// The rule it enforces: a listener on a loopback address may be open; on
// any other address it needs credentials (New refuses to build an Auth
// without them, naming http.auth.users_file). Credentials come from files
// only the service reads:
//
//   - http.auth.users_file: htpasswd-style lines "name:<bcrypt hash>"
//     (htpasswd -B, or `pantau passwd`), for people: HTTP Basic or a login
//     form that starts a cookie session;
//   - http.auth.tokens_file: one bearer token per line, for programs
//     (Prometheus, scripts): "Authorization: Bearer <token>".
//
// Browser sessions carry a CSRF token that every state-changing request
// must echo in the X-CSRF-Token header; cross-origin state-changing
// requests are refused whatever their credentials; failed logins are
// rate-limited per client address. Blank lines and lines starting with '#'
// are ignored in both files.
package httpauth
