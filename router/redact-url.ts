// URLs the router shows (in /status, in logs, in error messages) may carry credentials: user info
// (`https://user:pass@host/`), presigned S3 query strings, `?token=` on an adapter endpoint. Everything
// that prints a URL from a config or a table prints it through here: scheme, host and path only.

/** `scheme://host[:port]/path` of `url`, without user info, query or fragment. */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    // Not a URL: nothing of it is shown, since we cannot tell which part is the secret.
    return '<invalid URL>';
  }
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}
