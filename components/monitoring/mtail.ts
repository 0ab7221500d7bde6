/**
 * mtail program for nginx's JSON access log, as Docker's json-file driver stores it (each line
 * escaped inside {"log": …}) or as nginx writes it. It counts answers by status code, which
 * stub_status does not report.
 */
export function renderNginxMtailProgram(): string {
  return [
    "# Rendered by the waste-management stack; a deploy overwrites local edits.",
    "counter nginx_http_responses_total by status",
    "",
    '/\\\\?"status\\\\?":\\\\?"(?P<status>[1-5][0-9][0-9])\\\\?"/ {',
    "  nginx_http_responses_total[$status]++",
    "}",
    "",
  ].join("\n");
}
